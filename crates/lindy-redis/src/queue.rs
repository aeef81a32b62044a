//! [`RedisQueue`]: lindy's durable keyed queue on Redis Streams consumer groups.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use bytes::Bytes;
use redis::Value;

use crate::conn::Connection;
use crate::error::{check_key, check_value, Error, PushError};
use crate::listener::Listener;
use crate::lua::Lua;
use crate::space::check_name;
use crate::waiters::{subscribe_wakeups, Waiters};

static PUSH: LazyLock<Lua> =
    LazyLock::new(|| Lua::new(include_str!("lua/queue_push.lua").to_owned()));
static PULL: LazyLock<Lua> =
    LazyLock::new(|| Lua::new(include_str!("lua/queue_pull.lua").to_owned()));
static LEN: LazyLock<Lua> =
    LazyLock::new(|| Lua::new(include_str!("lua/queue_len.lua").to_owned()));
static CLOSE: LazyLock<Lua> =
    LazyLock::new(|| Lua::new(include_str!("lua/queue_close.lua").to_owned()));
static SETTLE: LazyLock<Lua> =
    LazyLock::new(|| Lua::new(include_str!("lua/queue_settle.lua").to_owned()));

/// Limits and timings of a [`RedisQueue`] handle (every handle of a queue should agree).
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use lindy_redis::{QueueConfig, RedisQueue};
/// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
/// let config = QueueConfig { visibility: Duration::from_secs(60), max_deliveries: 3, ..QueueConfig::default() };
/// let queue = RedisQueue::open_with(&conn, "mail", config).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct QueueConfig {
    /// How long a leased entry stays with its consumer before any other may claim it
    /// (the streams' "min idle time"; default 30 s).
    pub visibility: Duration,
    /// An entry delivered this many times is dead-lettered when it would be delivered again
    /// (default 5; 0: never).
    pub max_deliveries: u32,
    /// Longest key, in bytes (default 1024).
    pub max_key_len: usize,
    /// Largest value, in bytes (default 1 MiB).
    pub max_value_len: usize,
    /// How often a waiting puller re-checks without a wake-up (default 500 ms): it also claims
    /// entries whose visibility timeout ran out.
    pub poll_interval: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            visibility: Duration::from_secs(30),
            max_deliveries: 5,
            max_key_len: 1024,
            max_value_len: 1 << 20,
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// An entry handed to this consumer; settle it with [`RedisQueue::ack`] or
/// [`RedisQueue::nack`] before the visibility timeout, or another consumer claims it.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
/// let d = queue.take_leased("jobs").await?;
/// println!("{} #{}: {:?}", d.key(), d.id(), d.value());
/// queue.ack(&d).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    key: String,
    id: String,
    value: Bytes,
    deliveries: u32,
}

impl Delivery {
    /// The key it was pulled from.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// let d = queue.take_leased("jobs").await?;
    /// assert_eq!(d.key(), "jobs");
    /// # Ok(()) }
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }
    /// The stream entry id (`<ms>-<seq>`): its place in the key's order.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// let d = queue.take_leased("jobs").await?;
    /// println!("stream entry {}", d.id());
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The value.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// let d = queue.take_leased("jobs").await?;
    /// let job: &[u8] = d.value();
    /// # let _ = job;
    /// # Ok(()) }
    /// ```
    pub fn value(&self) -> &Bytes {
        &self.value
    }
    /// Which delivery this is (1 the first time).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// let d = queue.take_leased("jobs").await?;
    /// if d.deliveries() > 1 {
    ///     println!("a retry");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn deliveries(&self) -> u32 {
        self.deliveries
    }
}

/// A dead-lettered entry.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
/// for dead in queue.dead_letters(10).await? {
///     println!("{}: {:?} after {} deliveries", dead.key, dead.value, dead.deliveries);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueDeadLetter {
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: Bytes,
    /// How many times it was delivered.
    pub deliveries: u32,
}

struct Shared {
    conn: Connection,
    name: String,
    prefix: String,
    consumer: String,
    config: QueueConfig,
    waiters: Arc<Waiters>,
    closed: AtomicBool,
    _listener: Listener,
}

/// The durable queue on Redis Streams: one stream per key, one consumer group (`lindy`), one
/// consumer id per handle (unique per process: pid and a random part).
///
/// * [`push`](Self::push) appends (`XADD`), durable as the server's AOF makes it.
/// * [`take_leased`](Self::take_leased) hands out the oldest entry that is free: first any whose
///   visibility timeout ran out (its consumer died, or nacked) — claimed with `XAUTOCLAIM` —
///   then new ones (`XREADGROUP`, never `BLOCK`). It stays pending for this consumer until
///   [`ack`](Self::ack) (`XACK` + `XDEL`). A consumer that dies keeps its entries pending until the
///   timeout; then another claims them. After `max_deliveries` an entry goes to the dead letters.
/// * [`take`](Self::take) is a leased take acked as soon as the value is handed over: an entry
///   is lost only if the caller drops it after receiving it.
///
/// Keys share the hash tag `{name}`: runs unchanged on Redis Cluster.
///
/// # Examples
///
/// ```no_run
/// use lindy_redis::{Connection, RedisQueue};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let conn = Connection::connect("redis://127.0.0.1:6379").await?;
/// let queue = RedisQueue::open(&conn, "mail").await?;
/// queue.push("outbox", "hello").await?;
/// let d = queue.take_leased("outbox").await?;
/// // ... send it, then:
/// queue.ack(&d).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisQueue {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue")
            .field("name", &self.shared.name)
            .field("consumer", &self.shared.consumer)
            .finish()
    }
}

fn consumer_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("c-{}-{:016x}", std::process::id(), h.finish())
}

fn malformed() -> Error {
    Error::Io(redis::RedisError::from((
        redis::ErrorKind::Parse,
        "malformed queue reply",
    )))
}

fn bulk_string(v: Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.into_bytes()),
        _ => None,
    }
}

impl RedisQueue {
    /// Opens (or joins) queue `name` with the default [`QueueConfig`].
    ///
    /// # Errors
    /// `KEY_INVALID` for a bad name; `IO` if the wake-up subscription cannot be made.
    ///
    /// # Cancel safety
    /// Cancel-safe: stores nothing.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::RedisQueue;
    /// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// let queue = RedisQueue::open(&conn, "mail").await?;
    /// # Ok(()) }
    /// ```
    pub async fn open(conn: &Connection, name: &str) -> Result<Self, Error> {
        Self::open_with(conn, name, QueueConfig::default()).await
    }

    /// Opens (or joins) queue `name` with `config`.
    ///
    /// # Errors
    /// As [`open`](Self::open); `INVALID_CONFIG` for a zero limit or interval.
    ///
    /// # Cancel safety
    /// Cancel-safe: stores nothing.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::{QueueConfig, RedisQueue};
    /// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// let config = QueueConfig { max_deliveries: 10, ..QueueConfig::default() };
    /// let queue = RedisQueue::open_with(&conn, "mail", config).await?;
    /// # Ok(()) }
    /// ```
    pub async fn open_with(
        conn: &Connection,
        name: &str,
        config: QueueConfig,
    ) -> Result<Self, Error> {
        check_name(name)?;
        if config.max_key_len == 0
            || config.max_value_len == 0
            || config.poll_interval.is_zero()
            || config.visibility.is_zero()
        {
            return Err(Error::Config(
                "queue limits and intervals must be non-zero".into(),
            ));
        }
        let prefix = format!("lindy:q:{{{name}}}:");
        let waiters = Arc::new(Waiters::default());
        let listener = subscribe_wakeups(conn, &prefix, "queue", waiters.clone(), None).await?;
        Ok(RedisQueue {
            shared: Arc::new(Shared {
                conn: conn.clone(),
                name: name.to_owned(),
                prefix,
                consumer: consumer_id(),
                config,
                waiters,
                closed: AtomicBool::new(false),
                _listener: listener,
            }),
        })
    }

    /// This handle's consumer id (unique per process and handle).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// println!("this process reads as {}", queue.consumer_id());
    /// # Ok(()) }
    /// ```
    pub fn consumer_id(&self) -> &str {
        &self.shared.consumer
    }

    /// The queue's name.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// println!("queue {}", queue.name());
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    fn stream(&self, key: &str) -> String {
        format!("{}s:{key}", self.shared.prefix)
    }

    /// Appends `value` under `key`; returns its stream id.
    ///
    /// # Errors
    /// [`PushError`] with the value back: `KEY_INVALID`, `VALUE_TOO_LARGE` (nothing sent), `IO`
    /// (the value may or may not be stored: a retry is at-least-once).
    ///
    /// # Cancel safety
    /// As [`RedisSpace::out`](crate::RedisSpace::out): dropping after sending may still store.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// let id = queue.push("outbox", "hello").await?;
    /// println!("stored as {id}");
    /// # Ok(()) }
    /// ```
    pub async fn push(&self, key: &str, value: impl Into<Bytes>) -> Result<String, PushError> {
        let value = value.into();
        let checked = check_key(key, self.shared.config.max_key_len)
            .and_then(|()| check_value(value.len(), self.shared.config.max_value_len));
        if let Err(error) = checked {
            return Err(PushError { error, value });
        }
        let res: Result<String, _> = PUSH
            .call(self.stream(key))
            .arg(&self.shared.prefix)
            .arg(key)
            .arg(value.as_ref())
            .run(&self.shared.conn)
            .await;
        res.map_err(|e| PushError {
            error: Error::from_redis(e),
            value,
        })
    }

    /// One take script, in a task of its own so a dropped caller loses nothing: a delivery that
    /// never reached the caller is nacked (claimable again at once).
    async fn attempt(&self, key: &str) -> Result<Option<Delivery>, Error> {
        let call = PULL
            .call(self.stream(key))
            .arg(&self.shared.prefix)
            .arg(key)
            .arg(&self.shared.consumer)
            .arg(self.shared.config.visibility.as_millis() as u64)
            .arg(self.shared.config.max_deliveries)
            .arg(1);
        let conn = self.shared.conn.clone();
        let key = key.to_owned();
        let request: PullFuture = Box::pin(async move {
            call.run::<Value>(&conn)
                .await
                .map_err(Error::from_redis)
                .and_then(|v| parse_delivery(key, v))
        });
        let mut in_flight = InFlight {
            queue: self,
            request: Some(request),
        };
        let res = std::future::poll_fn(|cx| {
            in_flight
                .request
                .as_mut()
                .expect("present until it completes")
                .as_mut()
                .poll(cx)
        })
        .await;
        in_flight.request = None;
        res
    }

    async fn wait_for(&self, key: &str) -> Result<Delivery, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        let registration = self.shared.waiters.key(key);
        let flag = format!("{}w:{key}", self.shared.prefix);
        let flag_ms = (self.shared.config.poll_interval.as_millis() as u64).saturating_mul(3);
        loop {
            let mut notified = pin!(registration.notify().notified());
            notified.as_mut().enable();
            if let Some(d) = self.attempt(key).await? {
                return Ok(d);
            }
            // Tell pushers someone waits (they publish a wake-up only then), and look again: a
            // push between the first look and the flag did not publish.
            let _: () = redis::cmd("SET")
                .arg(&flag)
                .arg(1)
                .arg("PX")
                .arg(flag_ms)
                .query_async(&mut self.shared.conn.clone())
                .await?;
            if let Some(d) = self.attempt(key).await? {
                return Ok(d);
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(self.shared.config.poll_interval) => {}
            }
        }
    }

    /// The oldest free entry of `key` under this consumer's lease, waiting until there is one.
    ///
    /// # Errors
    /// `KEY_INVALID`, `IO` (a delivery whose reply was lost comes back after the visibility
    /// timeout: at-least-once), `CLOSED` after [`close`](Self::close) on this handle.
    ///
    /// # Cancel safety
    /// Cancel-safe: a delivery made to a dropped future is nacked (free again at once).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// let d = queue.take_leased("outbox").await?;
    /// queue.ack(&d).await?;
    /// # Ok(()) }
    /// ```
    pub async fn take_leased(&self, key: &str) -> Result<Delivery, Error> {
        self.wait_for(key).await
    }

    /// The oldest free entry of `key` under a lease, if there is one.
    ///
    /// # Errors
    /// `KEY_INVALID`, `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe, as [`take_leased`](Self::take_leased).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// while let Some(d) = queue.try_take_leased("outbox").await? {
    ///     queue.ack(&d).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_take_leased(&self, key: &str) -> Result<Option<Delivery>, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        self.attempt(key).await
    }

    /// The oldest free entry of `key`, removed, waiting until there is one.
    ///
    /// # Errors
    /// As [`take_leased`](Self::take_leased).
    ///
    /// # Cancel safety
    /// Cancel-safe until the value is handed over (then it is acked; if that ack is lost the
    /// entry is delivered again after the timeout).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// let mail = queue.take("outbox").await?;
    /// println!("{mail:?}");
    /// # Ok(()) }
    /// ```
    pub async fn take(&self, key: &str) -> Result<Bytes, Error> {
        let d = self.wait_for(key).await?;
        self.ack_handed_over(d).await
    }

    /// The oldest free entry of `key`, removed, if there is one.
    ///
    /// # Errors
    /// `KEY_INVALID`, `IO`.
    ///
    /// # Cancel safety
    /// As [`take`](Self::take).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// while let Some(mail) = queue.try_take("outbox").await? {
    ///     println!("{mail:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_take(&self, key: &str) -> Result<Option<Bytes>, Error> {
        match self.try_take_leased(key).await? {
            Some(d) => self.ack_handed_over(d).await.map(Some),
            None => Ok(None),
        }
    }

    async fn ack_handed_over(&self, d: Delivery) -> Result<Bytes, Error> {
        // The value is the caller's from here; the ack only stops a redelivery. If it fails the
        // entry comes back after the timeout (at-least-once), so the value is still returned.
        let queue = self.clone();
        let value = d.value.clone();
        tokio::spawn(async move { queue.ack(&d).await });
        Ok(value)
    }

    async fn settle(&self, op: &str, d: &Delivery) -> Result<(), Error> {
        let _: i64 = SETTLE
            .call(self.stream(&d.key))
            .arg(op)
            .arg(&d.id)
            .arg(&self.shared.consumer)
            .arg(d.deliveries)
            .run(&self.shared.conn)
            .await?;
        Ok(())
    }

    /// Renamed [`take`](Self::take).
    ///
    /// # Errors
    /// As [`take`](Self::take).
    ///
    /// # Cancel safety
    /// As [`take`](Self::take).
    #[deprecated(since = "0.2.0", note = "renamed to `take`")]
    pub async fn pull(&self, key: &str) -> Result<Bytes, Error> {
        self.take(key).await
    }

    /// Renamed [`try_take`](Self::try_take).
    ///
    /// # Errors
    /// As [`try_take`](Self::try_take).
    ///
    /// # Cancel safety
    /// As [`try_take`](Self::try_take).
    #[deprecated(since = "0.2.0", note = "renamed to `try_take`")]
    pub async fn try_pull(&self, key: &str) -> Result<Option<Bytes>, Error> {
        self.try_take(key).await
    }

    /// Renamed [`take_leased`](Self::take_leased).
    ///
    /// # Errors
    /// As [`take_leased`](Self::take_leased).
    ///
    /// # Cancel safety
    /// As [`take_leased`](Self::take_leased).
    #[deprecated(since = "0.2.0", note = "renamed to `take_leased`")]
    pub async fn pull_leased(&self, key: &str) -> Result<Delivery, Error> {
        self.take_leased(key).await
    }

    /// Renamed [`try_take_leased`](Self::try_take_leased).
    ///
    /// # Errors
    /// As [`try_take_leased`](Self::try_take_leased).
    ///
    /// # Cancel safety
    /// As [`try_take_leased`](Self::try_take_leased).
    #[deprecated(since = "0.2.0", note = "renamed to `try_take_leased`")]
    pub async fn try_pull_leased(&self, key: &str) -> Result<Option<Delivery>, Error> {
        self.try_take_leased(key).await
    }

    /// Settles a delivery: the entry is removed.
    ///
    /// # Errors
    /// `LEASE_LOST` if another consumer claimed it after the visibility timeout (or it was
    /// settled); `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe in effect: acking again is `Ok` or `LEASE_LOST`, never a double.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// let d = queue.take_leased("outbox").await?;
    /// queue.ack(&d).await?;
    /// # Ok(()) }
    /// ```
    pub async fn ack(&self, d: &Delivery) -> Result<(), Error> {
        self.settle("ack", d).await
    }

    /// Gives a delivery back: any consumer may claim it at once, ahead of newer entries; its
    /// delivery counts towards `max_deliveries`.
    ///
    /// # Errors
    /// As [`ack`](Self::ack).
    ///
    /// # Cancel safety
    /// As [`ack`](Self::ack).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// let d = queue.take_leased("outbox").await?;
    /// queue.nack(&d).await?; // claimable again at once
    /// # Ok(()) }
    /// ```
    pub async fn nack(&self, d: &Delivery) -> Result<(), Error> {
        self.settle("nack", d).await
    }

    /// Entries of `key` waiting to be pulled (leased ones not counted).
    ///
    /// # Errors
    /// `KEY_INVALID`, `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// println!("{} waiting", queue.len("outbox").await?);
    /// # Ok(()) }
    /// ```
    pub async fn len(&self, key: &str) -> Result<usize, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        let n: i64 = LEN.call(self.stream(key)).run(&self.shared.conn).await?;
        Ok(n.max(0) as usize)
    }

    /// Entries of `key` delivered and not yet acked (by any consumer).
    ///
    /// # Errors
    /// `KEY_INVALID`, `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// println!("{} leased", queue.pending("outbox").await?);
    /// # Ok(()) }
    /// ```
    pub async fn pending(&self, key: &str) -> Result<usize, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        let exists: bool = redis::cmd("EXISTS")
            .arg(self.stream(key))
            .query_async(&mut self.shared.conn.clone())
            .await?;
        if !exists {
            return Ok(0);
        }
        let v: Vec<Value> = redis::cmd("XPENDING")
            .arg(self.stream(key))
            .arg("lindy")
            .query_async(&mut self.shared.conn.clone())
            .await?;
        Ok(match v.first() {
            Some(Value::Int(n)) => *n as usize,
            _ => 0,
        })
    }

    /// The dead letters, oldest first (at most `limit`).
    ///
    /// # Errors
    /// `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// for dead in queue.dead_letters(100).await? {
    ///     println!("{}: {:?}", dead.key, dead.value);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn dead_letters(&self, limit: usize) -> Result<Vec<QueueDeadLetter>, Error> {
        let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(format!("{}dead", self.shared.prefix))
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(limit.max(1))
            .query_async(&mut self.shared.conn.clone())
            .await?;
        reply
            .ids
            .iter()
            .take(limit)
            .map(|e| {
                Ok(QueueDeadLetter {
                    key: e.get("k").ok_or_else(malformed)?,
                    value: Bytes::from(e.get::<Vec<u8>>("v").ok_or_else(malformed)?),
                    deliveries: e.get("d").ok_or_else(malformed)?,
                })
            })
            .collect()
    }

    /// Closes the queue for every process: `push` hands values back with `CLOSED`; pulls drain
    /// what is queued, then fail with `CLOSED`; waiting pulls are woken. Leases can still be
    /// settled. Idempotent.
    ///
    /// # Errors
    /// `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: idempotent.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// queue.close().await?;
    /// assert!(queue.is_closed());
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) -> Result<(), Error> {
        let _: i64 = CLOSE
            .call(format!("{}closed", self.shared.prefix))
            .arg(&self.shared.prefix)
            .run(&self.shared.conn)
            .await?;
        self.shared.closed.store(true, Ordering::Release);
        self.shared.waiters.wake_all();
        Ok(())
    }

    /// Opens a closed queue again for every process (an operator's undo of
    /// [`close`](Self::close)): pushes are accepted again; the entries never left. Idempotent.
    ///
    /// # Errors
    /// `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: idempotent (one `DEL` of the `closed` mark).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// queue.close().await?;
    /// queue.reopen().await?;
    /// queue.push("outbox", "hello").await?;
    /// # Ok(()) }
    /// ```
    pub async fn reopen(&self) -> Result<(), Error> {
        let _: i64 = redis::cmd("DEL")
            .arg(format!("{}closed", self.shared.prefix))
            .query_async(&mut self.shared.conn.clone())
            .await?;
        self.shared.closed.store(false, Ordering::Release);
        Ok(())
    }

    /// Whether the queue is closed, as far as this handle knows.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// if !queue.is_closed() {
    ///     queue.push("outbox", "hello").await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Deletes the streams of `keys`, the dead letters and the closed mark (tests, benchmarks).
    ///
    /// # Errors
    /// `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: one `DEL`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(queue: lindy_redis::RedisQueue) -> Result<(), Box<dyn std::error::Error>> {
    /// queue.destroy(&["outbox"]).await?; // a clean slate for the next test
    /// # Ok(()) }
    /// ```
    pub async fn destroy(&self, keys: &[&str]) -> Result<(), Error> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(format!("{}dead", self.shared.prefix));
        cmd.arg(format!("{}closed", self.shared.prefix));
        for k in keys {
            cmd.arg(self.stream(k));
        }
        let _: i64 = cmd.query_async(&mut self.shared.conn.clone()).await?;
        Ok(())
    }
}

fn parse_delivery(key: String, v: Value) -> Result<Option<Delivery>, Error> {
    let Value::Array(parts) = v else {
        return Ok(None);
    };
    let mut parts = parts.into_iter();
    let id = parts.next().and_then(bulk_string).ok_or_else(malformed)?;
    let value = parts.next().and_then(bulk_string).ok_or_else(malformed)?;
    let deliveries = match parts.next() {
        Some(Value::Int(n)) => n as u32,
        _ => return Err(malformed()),
    };
    Ok(Some(Delivery {
        key,
        id: String::from_utf8(id).map_err(|_| malformed())?,
        value: Bytes::from(value),
        deliveries,
    }))
}

type PullFuture = Pin<Box<dyn Future<Output = Result<Option<Delivery>, Error>> + Send>>;

/// A take in flight, polled in place. If the caller drops it before it completes, the request
/// moves to a task of its own, which nacks whatever was delivered (free again at once).
struct InFlight<'a> {
    queue: &'a RedisQueue,
    request: Option<PullFuture>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(request) = self.request.take() {
            let queue = self.queue.clone();
            tokio::spawn(async move {
                if let Ok(Some(d)) = request.await {
                    let _ = queue.nack(&d).await;
                }
            });
        }
    }
}

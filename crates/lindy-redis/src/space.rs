//! [`RedisSpace`]: lindy's keyed tuple space shared by every process that opens it on one Redis.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use bytes::Bytes;
use lindy::grammar::{Name, Pattern};
use redis::Value;

use crate::conn::Connection;
use crate::error::{check_key, check_value, Error, PushError};
use crate::listener::Listener;
use crate::lua::{Call, Lua};
use crate::waiters::{subscribe_wakeups, Waiters};

/// A space script: the head (`meta`, `P`), then the body with the shared helpers inserted at
/// its `--@lib` line (after the fast path), or before the body if it has none.
fn space_source(body: &str) -> String {
    const HEAD: &str = include_str!("lua/space_head.lua");
    const LIB: &str = include_str!("lua/space_lib.lua");
    let body = match body.split_once("--@lib\n") {
        Some((fast, rest)) => format!("{fast}{LIB}\n{rest}"),
        None => format!("{LIB}\n{body}"),
    };
    format!("{HEAD}{body}")
}

macro_rules! space_script {
    ($file:literal) => {
        LazyLock::new(|| Lua::new(space_source(include_str!(concat!("lua/", $file)))))
    };
}

static OUT: LazyLock<Lua> = space_script!("space_out.lua");
static TAKE: LazyLock<Lua> = space_script!("space_take.lua");
static READ: LazyLock<Lua> = space_script!("space_read.lua");
static SETTLE: LazyLock<Lua> = space_script!("space_settle.lua");
static REAP: LazyLock<Lua> = space_script!("space_reap.lua");
static CLOSE: LazyLock<Lua> = space_script!("space_close.lua");
static CONFIG: LazyLock<Lua> = space_script!("space_config.lua");
static WAIT: LazyLock<Lua> = space_script!("space_wait.lua");
static DESTROY: LazyLock<Lua> = space_script!("space_destroy.lua");
static INDEX: LazyLock<Lua> = space_script!("space_index.lua");
static KEYS: LazyLock<Lua> = space_script!("space_keys.lua");

/// Limits and timings of a [`RedisSpace`] handle. Every handle of one space should use the same
/// `max_deliveries` (it is applied by whichever handle requeues an entry).
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use lindy_redis::{RedisSpace, SpaceConfig};
/// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
/// let config = SpaceConfig {
///     max_deliveries: 3,
///     poll_interval: Duration::from_millis(200),
///     ..SpaceConfig::default()
/// };
/// let space = RedisSpace::open_with(&conn, "jobs", config).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SpaceConfig {
    /// Longest key, in bytes (default 1024).
    pub max_key_len: usize,
    /// Largest value, in bytes (default 1 MiB; Redis itself stops at 512 MiB).
    pub max_value_len: usize,
    /// A leased entry delivered this many times is dead-lettered instead of requeued when its
    /// lease ends without an ack (default 5; 0: never).
    pub max_deliveries: u32,
    /// How often a waiting taker re-checks without a wake-up, and requeues expired leases
    /// (default 500 ms). Wake-ups make this a safety net, not the latency.
    pub poll_interval: Duration,
    /// How long a waiting taker may go without looking before it is presumed dead and whatever
    /// was handed to it goes back (default 10 s; a live taker looks every poll interval).
    pub waiter_ttl: Duration,
    /// Where dead letters go: a key of the space (taken like any other), or, if `None`, a
    /// separate list read with [`RedisSpace::dead_letters`]. Recorded space-wide by the handle
    /// that opens with `Some`.
    pub dead_letter_key: Option<String>,
}

impl Default for SpaceConfig {
    fn default() -> Self {
        SpaceConfig {
            max_key_len: 1024,
            max_value_len: 1 << 20,
            max_deliveries: 5,
            poll_interval: Duration::from_millis(500),
            dead_letter_key: None,
            waiter_ttl: Duration::from_secs(10),
        }
    }
}

/// An entry taken under a lease: settle it with [`RedisSpace::ack`] or [`RedisSpace::nack`]
/// before [`deadline_ms`](Self::deadline_ms), or any node requeues it (keeping its age).
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
/// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
/// println!("job {:?}, delivery {}", lease.value(), lease.delivery());
/// space.ack(&lease).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    id: u64,
    key: String,
    value: Bytes,
    seq: u64,
    delivery: u32,
    deadline_ms: u64,
}

impl Lease {
    /// The lease's id: unique in the space, never reused (a re-delivery is a new lease).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// println!("lease {}", lease.id());
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }
    /// The key it was taken from.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// assert_eq!(lease.key(), "jobs");
    /// # Ok(()) }
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }
    /// The value.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// let job: &[u8] = lease.value();
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
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// if lease.delivery() > 1 {
    ///     println!("a retry");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn delivery(&self) -> u32 {
        self.delivery
    }
    /// When the lease ends, in ms on the server clock (`TIME`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// println!("settle before {} ms (server clock)", lease.deadline_ms());
    /// # Ok(()) }
    /// ```
    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }
    /// The entry's age rank in the space (its `push` sequence number).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// println!("entry #{} of the space", lease.seq());
    /// # Ok(()) }
    /// ```
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

/// What a [`nack`](RedisSpace::nack) did.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use lindy_redis::Nacked;
/// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
/// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
/// match space.nack(&lease).await? {
///     Nacked::Requeued => println!("back at the head of its key"),
///     Nacked::DeadLettered => println!("given up on"),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nacked {
    /// Back at the head of its key, in age order.
    Requeued,
    /// Delivered `max_deliveries` times: moved to the dead letters.
    DeadLettered,
}

/// An entry that was dead-lettered.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
/// for dead in space.dead_letters(10).await? {
///     println!("{}: {:?} after {} deliveries", dead.key, dead.value, dead.deliveries);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// The key it was taken from.
    pub key: String,
    /// The value.
    pub value: Bytes,
    /// How many times it was delivered.
    pub deliveries: u32,
}

/// One raw item from a script: `seq:deliveries:value`.
struct Item {
    key: String,
    raw: Bytes,
    seq: u64,
    deliveries: u32,
    value: Bytes,
    /// Leased: the deadline and the lease id.
    lease: Option<(u64, u64)>,
}

fn parse_item(key: String, raw: Bytes, lease: Option<(u64, u64)>) -> Result<Item, Error> {
    let bad = || {
        Error::Io(redis::RedisError::from((
            redis::ErrorKind::Parse,
            "malformed space item",
        )))
    };
    let a = raw.iter().position(|&b| b == b':').ok_or_else(bad)?;
    let b = a
        + 1
        + raw[a + 1..]
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(bad)?;
    let num = |s: &[u8]| -> Option<u64> { std::str::from_utf8(s).ok()?.parse().ok() };
    let seq = num(&raw[..a]).ok_or_else(bad)?;
    let deliveries = num(&raw[a + 1..b]).ok_or_else(bad)? as u32;
    let value = raw.slice(b + 1..);
    Ok(Item {
        key,
        raw,
        seq,
        deliveries,
        value,
        lease,
    })
}

fn bulk(v: Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.into_bytes()),
        _ => None,
    }
}

/// Reads a take script's reply: nil, `{key, item[, deadline, id]}`, or (the fast path of a
/// plain take of one key, `key`) the item alone.
fn take_reply(v: Value, key: Option<String>) -> Result<Option<Item>, Error> {
    let parts = match v {
        Value::Array(parts) => parts,
        Value::BulkString(raw) => {
            return match key {
                Some(key) => parse_item(key, Bytes::from(raw), None).map(Some),
                None => Err(Error::Io(redis::RedisError::from((
                    redis::ErrorKind::Parse,
                    "malformed take reply",
                )))),
            };
        }
        _ => return Ok(None),
    };
    let mut parts = parts.into_iter();
    let malformed = || {
        Error::Io(redis::RedisError::from((
            redis::ErrorKind::Parse,
            "malformed take reply",
        )))
    };
    let key = parts.next().and_then(bulk).ok_or_else(malformed)?;
    let key = String::from_utf8(key).map_err(|_| malformed())?;
    let raw = parts.next().and_then(bulk).ok_or_else(malformed)?;
    let lease = match (parts.next(), parts.next()) {
        (Some(Value::Int(d)), Some(Value::Int(id))) => Some((d as u64, id as u64)),
        _ => None,
    };
    parse_item(key, Bytes::from(raw), lease).map(Some)
}

struct Shared {
    conn: Connection,
    name: String,
    meta: String,
    config: SpaceConfig,
    waiters: Arc<Waiters>,
    closed: Arc<AtomicBool>,
    /// This handle's id and ticket counter: waiting takers' tickets are `{handle}:{n}`.
    handle: String,
    tickets: AtomicU64,
    _listener: Listener,
}

/// The keyed tuple space on Redis: every process that opens the same `name` on the same Redis
/// (standalone or cluster) shares it.
///
/// The same rules as [`lindy::space::LocalSpace`] — FIFO per key, `take` waits, `try_take`
/// drains after close, `push` after close hands the value back, pattern takes serve the oldest
/// entry across matching keys — plus the lease model: [`take_leased`](Self::take_leased) hands
/// an entry out for a time; [`ack`](Self::ack) removes it, [`nack`](Self::nack) or an expired
/// lease puts it back *at its age* (usually the head of its key) and counts the delivery; after
/// `max_deliveries` it goes to the dead letters.
///
/// Every operation is one atomic Lua script on the server, and all keys of a space share one
/// hash tag (`{name}`), so it runs unchanged on Redis Cluster. Waiting takes never block a
/// connection (see `docs/redis.md`). The handle is cheap to clone; it needs a tokio runtime.
///
/// # Examples
///
/// ```no_run
/// use lindy_redis::{Connection, RedisSpace};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let conn = Connection::connect("redis://127.0.0.1:6379").await?;
/// let space = RedisSpace::open(&conn, "jobs").await?;
/// space.push("resize", "a.png").await?;
/// // In this process or any other that opened "jobs" on the same Redis:
/// let job = space.take("resize").await?;
/// assert_eq!(job, "a.png");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisSpace {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSpace")
            .field("name", &self.shared.name)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The prefix of every Redis key of space `name`.
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    check_key(name, 256)?;
    if name.contains(['{', '}']) {
        return Err(Error::KeyInvalid(format!(
            "name {name:?} may not contain '{{' or '}}'"
        )));
    }
    Ok(())
}

impl RedisSpace {
    /// Opens (or joins) space `name` with the default [`SpaceConfig`].
    ///
    /// # Errors
    /// `KEY_INVALID` for an empty or over-long name or one with `{`/`}`; `IO` if the wake-up
    /// subscription cannot be made.
    ///
    /// # Cancel safety
    /// Cancel-safe: opening stores nothing.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::RedisSpace;
    /// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// let space = RedisSpace::open(&conn, "jobs").await?;
    /// # Ok(()) }
    /// ```
    pub async fn open(conn: &Connection, name: &str) -> Result<Self, Error> {
        Self::open_with(conn, name, SpaceConfig::default()).await
    }

    /// Opens (or joins) space `name` with `config`.
    ///
    /// # Errors
    /// As [`open`](Self::open); `INVALID_CONFIG` for a zero limit.
    ///
    /// # Cancel safety
    /// Cancel-safe: opening stores nothing.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::{RedisSpace, SpaceConfig};
    /// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// let config = SpaceConfig { dead_letter_key: Some("failed".into()), ..SpaceConfig::default() };
    /// let space = RedisSpace::open_with(&conn, "jobs", config).await?;
    /// # Ok(()) }
    /// ```
    pub async fn open_with(
        conn: &Connection,
        name: &str,
        config: SpaceConfig,
    ) -> Result<Self, Error> {
        check_name(name)?;
        if config.max_key_len == 0 || config.max_value_len == 0 || config.poll_interval.is_zero() {
            return Err(Error::Config(
                "space limits and poll interval must be non-zero".into(),
            ));
        }
        let prefix = format!("lindy:sp:{{{name}}}:");
        let waiters = Arc::new(Waiters::default());
        let closed = Arc::new(AtomicBool::new(false));
        let listener = subscribe_wakeups(
            conn,
            &prefix,
            "space",
            waiters.clone(),
            Some(closed.clone()),
        )
        .await?;
        if let Some(dead) = &config.dead_letter_key {
            check_key(dead, config.max_key_len)?;
            let _: i64 = CONFIG
                .call(format!("{prefix}meta"))
                .arg(dead)
                .run(conn)
                .await?;
        }
        Ok(RedisSpace {
            shared: Arc::new(Shared {
                conn: conn.clone(),
                name: name.to_owned(),
                meta: format!("{prefix}meta"),
                config,
                waiters,
                closed,
                handle: handle_id(),
                tickets: AtomicU64::new(0),
                _listener: listener,
            }),
        })
    }

    /// The space's name.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// println!("space {}", space.name());
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    fn key_name(&self, suffix: &str) -> String {
        format!("lindy:sp:{{{}}}:{suffix}", self.shared.name)
    }

    /// Appends `value` under `key`.
    ///
    /// # Errors
    /// [`PushError`] with the value handed back: `KEY_INVALID`, `VALUE_TOO_LARGE` (nothing sent),
    /// `CLOSED`, or `IO` — after which the value may or may not be stored (the reply was lost).
    ///
    /// # Cancel safety
    /// Not cancel-safe in the strict sense: once sent, dropping the future does not unsend the
    /// value, which may then be stored without the caller knowing. Nothing is lost; a retry may
    /// duplicate it.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// if let Err(e) = space.push("resize", "a.png").await {
    ///     eprintln!("not queued ({}): {:?}", e.code(), e.into_inner());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn push(&self, key: &str, value: impl Into<Bytes>) -> Result<(), PushError> {
        self.push_at(key, value.into(), false).await
    }

    /// Puts `value` at the head of `key`: it is taken next. It takes the age of the key's
    /// current head (so the key keeps its place in pattern takes).
    ///
    /// # Errors
    /// As [`push`](Self::push).
    ///
    /// # Cancel safety
    /// As [`push`](Self::push).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// space.push_front("resize", "urgent.png").await?;
    /// assert_eq!(space.take("resize").await?, "urgent.png");
    /// # Ok(()) }
    /// ```
    pub async fn push_front(&self, key: &str, value: impl Into<Bytes>) -> Result<(), PushError> {
        self.push_at(key, value.into(), true).await
    }

    /// The same as [`push`](Self::push): a Redis space has no bound, so a push never waits
    /// for room. Kept so that code moves between [`lindy::space::LocalSpace`] and this space
    /// with the same verbs.
    ///
    /// # Errors
    /// As [`push`](Self::push).
    ///
    /// # Cancel safety
    /// As [`push`](Self::push).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// space.try_push("resize", "a.png").await?;
    /// # Ok(()) }
    /// ```
    pub async fn try_push(&self, key: &str, value: impl Into<Bytes>) -> Result<(), PushError> {
        self.push(key, value).await
    }

    /// Renamed [`push`](Self::push).
    ///
    /// # Errors
    /// As [`push`](Self::push).
    ///
    /// # Cancel safety
    /// As [`push`](Self::push).
    #[deprecated(since = "0.2.0", note = "renamed to `push`")]
    pub async fn out(&self, key: &str, value: impl Into<Bytes>) -> Result<(), PushError> {
        self.push(key, value).await
    }

    /// Renamed [`push_front`](Self::push_front).
    ///
    /// # Errors
    /// As [`push`](Self::push).
    ///
    /// # Cancel safety
    /// As [`push`](Self::push).
    #[deprecated(since = "0.2.0", note = "renamed to `push_front`")]
    pub async fn out_front(&self, key: &str, value: impl Into<Bytes>) -> Result<(), PushError> {
        self.push_front(key, value).await
    }

    /// Renamed [`peek`](Self::peek).
    ///
    /// # Errors
    /// As [`peek`](Self::peek).
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    #[deprecated(since = "0.2.0", note = "renamed to `peek`")]
    pub async fn read(&self, key: &str) -> Result<Bytes, Error> {
        self.peek(key).await
    }

    /// Renamed [`try_peek`](Self::try_peek).
    ///
    /// # Errors
    /// As [`try_peek`](Self::try_peek).
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    #[deprecated(since = "0.2.0", note = "renamed to `try_peek`")]
    pub async fn try_read(&self, key: &str) -> Result<Option<Bytes>, Error> {
        self.try_peek(key).await
    }

    async fn push_at(&self, key: &str, value: Bytes, front: bool) -> Result<(), PushError> {
        let checked = check_key(key, self.shared.config.max_key_len)
            .and_then(|()| check_value(value.len(), self.shared.config.max_value_len));
        if let Err(error) = checked {
            return Err(PushError { error, value });
        }
        let res: Result<i64, _> = OUT
            .call(&self.shared.meta)
            .arg(key)
            .arg(value.as_ref())
            .arg(u8::from(front))
            .run(&self.shared.conn)
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(e) => {
                let error = Error::from_redis(e);
                if matches!(error, Error::Closed) {
                    self.shared.closed.store(true, Ordering::Release);
                }
                Err(PushError { error, value })
            }
        }
    }

    /// Runs one take script in a task of its own, so that a caller who drops the future
    /// mid-flight loses nothing: whatever the script took is put back (at its age) by the task,
    /// or by the guard if the reply arrived but was never read.
    async fn attempt(&self, keys: &[&str], lease: Option<Duration>) -> Result<Option<Item>, Error> {
        let lease_ms = lease.map_or(0, |d| d.as_millis().max(1) as u64);
        let mut call = TAKE
            .call(&self.shared.meta)
            .arg(lease_ms)
            .arg(self.shared.config.max_deliveries);
        for k in keys {
            call = call.arg(*k);
        }
        let key = match keys {
            [key] => (*key).to_owned(),
            _ => return self.run_take(call, None).await,
        };
        if lease.is_some() {
            return self.run_take(call, Some(key)).await;
        }
        // A plain take of one key is a plain `LPOP`: an entry is handed out exactly as the take
        // script would (it pops the head and checks nothing else). The key set of a space that
        // keeps one is cleaned of the emptied key lazily, by the next listing (`keys`). Only an
        // empty list needs the script, for the close rule (and whatever arrived meanwhile).
        let conn = self.shared.conn.clone();
        let list = self.key_name(&format!("q:{key}"));
        self.run_request(Box::pin(async move {
            let raw: Option<Vec<u8>> = redis::cmd("LPOP")
                .arg(&list)
                .query_async(&mut conn.clone())
                .await
                .map_err(Error::from_redis)?;
            match raw {
                Some(raw) => parse_item(key, Bytes::from(raw), None).map(Some),
                None => call
                    .run::<Value>(&conn)
                    .await
                    .map_err(Error::from_redis)
                    .and_then(|v| take_reply(v, Some(key))),
            }
        }))
        .await
    }

    /// Runs a script that may hand out an entry, cancel-safely (see [`attempt`](Self::attempt)).
    /// `key`: the key of a one-key take (its fast path replies with the item alone).
    async fn run_take(&self, call: Call, key: Option<String>) -> Result<Option<Item>, Error> {
        let conn = self.shared.conn.clone();
        self.run_request(Box::pin(async move {
            call.run::<Value>(&conn)
                .await
                .map_err(Error::from_redis)
                .and_then(|v| take_reply(v, key))
        }))
        .await
    }

    /// Polls a take request in place; if dropped unfinished, a task finishes it and puts back
    /// whatever it took.
    async fn run_request(&self, request: TakeFuture) -> Result<Option<Item>, Error> {
        let mut in_flight = InFlight {
            space: self,
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

    /// Puts an item the caller never received back at its age (a cancelled take).
    async fn restore(&self, item: Item) {
        let original = if let Some((_, id)) = item.lease {
            // Leased: release the lease and requeue the item as it was before this delivery.
            let _ = SETTLE
                .call(&self.shared.meta)
                .arg("ack")
                .arg(id)
                .arg(0)
                .run::<i64>(&self.shared.conn)
                .await;
            let mut raw =
                format!("{}:{}:", item.seq, item.deliveries.saturating_sub(1)).into_bytes();
            raw.extend_from_slice(&item.value);
            raw
        } else {
            item.raw.to_vec()
        };
        let _ = SETTLE
            .call(&self.shared.meta)
            .arg("restore")
            .arg("")
            .arg(0)
            .arg(&item.key)
            .arg(original)
            .run::<i64>(&self.shared.conn)
            .await;
    }

    /// Waits until `attempt` yields, re-running it on every wake-up of `key` (or of any key for
    /// a pattern taker, `key == None`) and every poll interval.
    async fn wait_for<F, Fut>(&self, key: Option<&str>, mut attempt: F) -> Result<Item, Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<Item>, Error>>,
    {
        let registration = key.map(|k| self.shared.waiters.key(k));
        // Outs publish a wake-up only while someone flags that it waits (see `notify` in the
        // scripts): a reader flags its key, a pattern taker flags "any key".
        let flag = match key {
            Some(k) => self.key_name(&format!("w:{k}")),
            None => self.key_name("wany"),
        };
        let flag_ms = (self.shared.config.poll_interval.as_millis() as u64).saturating_mul(3);
        loop {
            let notify = match &registration {
                Some(r) => r.notify(),
                None => self.shared.waiters.any(),
            };
            let mut notified = pin!(notify.notified());
            notified.as_mut().enable();
            let mut found = attempt().await;
            if matches!(found, Ok(None)) {
                // Flag, then look again: an out between the first look and the flag did not
                // publish.
                let _: () = redis::cmd("SET")
                    .arg(&flag)
                    .arg(1)
                    .arg("PX")
                    .arg(flag_ms.max(1))
                    .query_async(&mut self.shared.conn.clone())
                    .await?;
                found = attempt().await;
            }
            match found {
                Ok(Some(item)) => return Ok(item),
                Ok(None) => {}
                Err(Error::Closed) => {
                    self.shared.closed.store(true, Ordering::Release);
                    return Err(Error::Closed);
                }
                Err(e) => return Err(e),
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(self.shared.config.poll_interval) => {
                    // Nobody rang: leases may have run out (they expire silently).
                    self.reap_expired().await?;
                }
            }
        }
    }

    /// A waiting take of one key: joins the key's waiters on the server (in the order takes are
    /// first polled, across processes), then claims what a `push` hands it.
    async fn wait_key(&self, key: &str, lease: Option<Duration>) -> Result<Item, Error> {
        let lease_ms = lease.map_or(0, |d| d.as_millis().max(1) as u64);
        let ticket = format!(
            "{}:{}",
            self.shared.handle,
            self.shared.tickets.fetch_add(1, Ordering::Relaxed)
        );
        let ttl_ms = self.shared.config.waiter_ttl.as_millis().max(1) as u64;
        let wait_call = |phase: &str| {
            WAIT.call(&self.shared.meta)
                .arg(phase)
                .arg(lease_ms)
                .arg(self.shared.config.max_deliveries)
                .arg(key)
                .arg(&ticket)
                .arg(ttl_ms)
        };
        let registration = self.shared.waiters.key(key);
        let mut guard = TicketGuard {
            space: self,
            ticket: &ticket,
            done: false,
        };
        // Sent in this first poll: takers queue in the order they were first polled.
        let _: i64 = wait_call("register")
            .eval_owned(self.shared.conn.clone())
            .await?;
        loop {
            let mut notified = pin!(registration.notify().notified());
            notified.as_mut().enable();
            match self.run_take(wait_call("claim"), None).await {
                Ok(Some(item)) => {
                    guard.done = true;
                    return Ok(item);
                }
                Ok(None) => {}
                Err(Error::Closed) => {
                    guard.done = true; // the script forgot the ticket
                    self.shared.closed.store(true, Ordering::Release);
                    return Err(Error::Closed);
                }
                Err(e) => return Err(e),
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(self.shared.config.poll_interval) => {
                    self.reap_expired().await?;
                }
            }
        }
    }

    /// Takes the head entry of `key`, waiting until there is one.
    ///
    /// At-most-once: if the connection fails after the server ran the take but before the reply
    /// arrived, the entry is gone (use [`take_leased`](Self::take_leased) for at-least-once).
    ///
    /// # Errors
    /// `CLOSED` once the space is closed (even if entries remain: drain with
    /// [`try_take`](Self::try_take)); `KEY_INVALID`; `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: if the future is dropped while a take is in flight, the entry it took is put
    /// back at its age (by a spawned task), so nothing is lost.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let job = space.take("resize").await?;
    /// println!("{job:?}");
    /// # Ok(()) }
    /// ```
    pub async fn take(&self, key: &str) -> Result<Bytes, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        let item = self.wait_key(key, None).await?;
        Ok(item.value)
    }

    /// Takes the head entry of `key` if there is one. Serves a closed space too (to drain it).
    ///
    /// # Errors
    /// `KEY_INVALID`; `IO` (see [`take`](Self::take) for what a lost reply means).
    ///
    /// # Cancel safety
    /// Cancel-safe, as [`take`](Self::take).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// while let Some(job) = space.try_take("resize").await? {
    ///     println!("{job:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_take(&self, key: &str) -> Result<Option<Bytes>, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        Ok(self.attempt(&[key], None).await?.map(|i| i.value))
    }

    /// Takes the head entry of `key` under a lease of `lease` (server clock), waiting until there
    /// is one. Expired leases anywhere in the space are requeued on the way.
    ///
    /// # Errors
    /// `CLOSED`, `KEY_INVALID`, `IO` (after a lost reply the lease simply runs out and the entry
    /// comes back: at-least-once).
    ///
    /// # Cancel safety
    /// Cancel-safe: a lease granted to a dropped future is released at once (or runs out).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// // ... do the job, then:
    /// space.ack(&lease).await?;
    /// # Ok(()) }
    /// ```
    pub async fn take_leased(&self, key: &str, lease: Duration) -> Result<Lease, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        lease_ms(lease)?;
        let item = self.wait_key(key, Some(lease)).await?;
        Ok(to_lease(item))
    }

    /// Takes the head entry of `key` under a lease, if there is one. Serves a closed space too.
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
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// if let Some(lease) = space.try_take_leased("jobs", Duration::from_secs(30)).await? {
    ///     space.ack(&lease).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_take_leased(
        &self,
        key: &str,
        lease: Duration,
    ) -> Result<Option<Lease>, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        lease_ms(lease)?;
        Ok(self.attempt(&[key], Some(lease)).await?.map(to_lease))
    }

    /// Keys that hold entries and match `pattern`.
    async fn matching_keys(&self, pattern: &Pattern) -> Result<Vec<String>, Error> {
        let keys = self.keys().await?;
        Ok(keys
            .into_iter()
            .filter(|k| Name::parse(k).is_ok_and(|n| pattern.matches(&n)))
            .collect())
    }

    async fn attempt_matching(
        &self,
        pattern: &Pattern,
        lease: Option<Duration>,
    ) -> Result<Option<Item>, Error> {
        loop {
            let keys = self.matching_keys(pattern).await?;
            if keys.is_empty() {
                // No key has entries: the script only reports a closed space.
                return self.attempt(&[], lease).await;
            }
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            // The script picks the oldest head among the keys, atomically; if another taker
            // emptied them all meanwhile, list again.
            if let Some(item) = self.attempt(&refs, lease).await? {
                return Ok(Some(item));
            }
        }
    }

    /// Takes the oldest entry (by `push` order across the space) from any key that is a channel
    /// name matching `pattern`, waiting until there is one. Lists the non-empty keys (O(keys)),
    /// then one script takes the oldest head among the matching ones.
    ///
    /// # Errors
    /// As [`take`](Self::take).
    ///
    /// # Cancel safety
    /// Cancel-safe, as [`take`](Self::take).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy::grammar::Pattern;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let jobs = Pattern::parse("public:app.jobs.*")?;
    /// let (key, job) = space.take_matching(&jobs).await?;
    /// println!("{}: {job:?}", key.as_str());
    /// # Ok(()) }
    /// ```
    pub async fn take_matching(&self, pattern: &Pattern) -> Result<(Name, Bytes), Error> {
        let item = self
            .wait_for(None, || self.attempt_matching(pattern, None))
            .await?;
        let name = Name::parse(&item.key).map_err(|e| Error::KeyInvalid(e.to_string()))?;
        Ok((name, item.value))
    }

    /// Takes the oldest entry from any key matching `pattern`, if there is one.
    ///
    /// # Errors
    /// `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe, as [`take`](Self::take).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy::grammar::Pattern;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let jobs = Pattern::parse("public:app.jobs.*")?;
    /// while let Some((key, job)) = space.try_take_matching(&jobs).await? {
    ///     println!("{}: {job:?}", key.as_str());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_take_matching(
        &self,
        pattern: &Pattern,
    ) -> Result<Option<(Name, Bytes)>, Error> {
        match self.attempt_matching(pattern, None).await? {
            Some(item) => {
                let name = Name::parse(&item.key).map_err(|e| Error::KeyInvalid(e.to_string()))?;
                Ok(Some((name, item.value)))
            }
            None => Ok(None),
        }
    }

    /// Takes the oldest entry from any key matching `pattern` under a lease, waiting for one.
    ///
    /// # Errors
    /// As [`take_leased`](Self::take_leased).
    ///
    /// # Cancel safety
    /// Cancel-safe, as [`take_leased`](Self::take_leased).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use lindy::grammar::Pattern;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let jobs = Pattern::parse("public:app.jobs.*")?;
    /// let lease = space.take_matching_leased(&jobs, Duration::from_secs(30)).await?;
    /// space.ack(&lease).await?;
    /// # Ok(()) }
    /// ```
    pub async fn take_matching_leased(
        &self,
        pattern: &Pattern,
        lease: Duration,
    ) -> Result<Lease, Error> {
        lease_ms(lease)?;
        let item = self
            .wait_for(None, || self.attempt_matching(pattern, Some(lease)))
            .await?;
        Ok(to_lease(item))
    }

    async fn settle(&self, op: &str, lease: &Lease) -> Result<i64, Error> {
        let res = SETTLE
            .call(&self.shared.meta)
            .arg(op)
            .arg(lease.id)
            .arg(self.shared.config.max_deliveries)
            .run(&self.shared.conn)
            .await?;
        Ok(res)
    }

    /// Extends a lease: it now ends `lease` from now (server clock).
    ///
    /// # Errors
    /// `LEASE_INVALID` for a zero length (nothing changed); `LEASE_LOST` if the lease already
    /// ran out or was settled; `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe in effect: extending again sets the same kind of deadline.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// // A long job: keep the lease alive.
    /// space.extend(&lease, Duration::from_secs(30)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn extend(&self, lease: &Lease, by: Duration) -> Result<(), Error> {
        let ms = lease_ms(by)?;
        let _: i64 = SETTLE
            .call(&self.shared.meta)
            .arg("extend")
            .arg(lease.id)
            .arg(self.shared.config.max_deliveries)
            .arg(ms)
            .run(&self.shared.conn)
            .await?;
        Ok(())
    }

    /// Settles a lease: the entry is done and removed.
    ///
    /// # Errors
    /// `LEASE_LOST` if the lease ran out (the entry was requeued and may be delivered again) or
    /// was already settled; `IO` (then the outcome is unknown: if the ack was lost the entry comes
    /// back after the lease — at-least-once).
    ///
    /// # Cancel safety
    /// Idempotent in effect: dropping and acking again is `Ok` or `LEASE_LOST`, never a double.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// space.ack(&lease).await?;
    /// # Ok(()) }
    /// ```
    pub async fn ack(&self, lease: &Lease) -> Result<(), Error> {
        self.settle("ack", lease).await.map(drop)
    }

    /// Settles a lease and outs `value` under `key` in one atomic step: the Linda "take a job,
    /// out its result" hand-off with no window between them. If the lease was lost (it ran out
    /// and the job went back to the space), nothing is written — so each job's result is
    /// written once, however often the job was delivered. Works on a closed space too.
    ///
    /// # Errors
    /// `LEASE_LOST` (nothing written), `KEY_INVALID`, `VALUE_TOO_LARGE`, `IO` (outcome unknown:
    /// either both happened or neither).
    ///
    /// # Cancel safety
    /// As [`ack`](Self::ack): both or neither, once.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// // The result is written once, whatever happened to earlier deliveries of the job.
    /// space.ack_with(&lease, "results", "done").await?;
    /// # Ok(()) }
    /// ```
    pub async fn ack_with(
        &self,
        lease: &Lease,
        key: &str,
        value: impl Into<Bytes>,
    ) -> Result<(), Error> {
        let value = value.into();
        check_key(key, self.shared.config.max_key_len)?;
        check_value(value.len(), self.shared.config.max_value_len)?;
        let _: i64 = SETTLE
            .call(&self.shared.meta)
            .arg("ackout")
            .arg(lease.id)
            .arg(self.shared.config.max_deliveries)
            .arg(key)
            .arg(value.as_ref())
            .run(&self.shared.conn)
            .await?;
        Ok(())
    }

    /// Gives a lease back: the entry returns at its age (the head of its key, normally) with its
    /// delivery counted, or goes to the dead letters after `max_deliveries`.
    ///
    /// # Errors
    /// `LEASE_LOST`, `IO`, as [`ack`](Self::ack).
    ///
    /// # Cancel safety
    /// As [`ack`](Self::ack).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let lease = space.take_leased("jobs", Duration::from_secs(30)).await?;
    /// space.nack(&lease).await?; // back at its age, delivery counted
    /// # Ok(()) }
    /// ```
    pub async fn nack(&self, lease: &Lease) -> Result<Nacked, Error> {
        Ok(match self.settle("nack", lease).await? {
            1 => Nacked::DeadLettered,
            _ => Nacked::Requeued,
        })
    }

    /// Requeues (or dead-letters) every lease whose deadline has passed on the server clock.
    /// Any node may call it, any number at once: each lease is requeued once. Waiting takers
    /// call it every poll interval and leased takes on their way, so a driver is optional.
    ///
    /// # Errors
    /// `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: each batch is one atomic script.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let requeued = space.reap_expired().await?;
    /// println!("{requeued} expired leases requeued");
    /// # Ok(()) }
    /// ```
    pub async fn reap_expired(&self) -> Result<usize, Error> {
        let mut total = 0;
        loop {
            let n: usize = REAP
                .call(&self.shared.meta)
                .arg(256)
                .arg(self.shared.config.max_deliveries)
                .run(&self.shared.conn)
                .await?;
            total += n;
            if n < 256 {
                return Ok(total);
            }
        }
    }

    /// Leases currently held (by any process).
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
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// println!("{} leases held", space.leased().await?);
    /// # Ok(()) }
    /// ```
    pub async fn leased(&self) -> Result<usize, Error> {
        let n: usize = redis::cmd("ZCARD")
            .arg(self.key_name("leases"))
            .query_async(&mut self.shared.conn.clone())
            .await?;
        Ok(n)
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
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// for dead in space.dead_letters(100).await? {
    ///     println!("{}: {:?}", dead.key, dead.value);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, Error> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let raw: Vec<Vec<u8>> = redis::cmd("LRANGE")
            .arg(self.key_name("dead"))
            .arg(0)
            .arg(limit - 1)
            .query_async(&mut self.shared.conn.clone())
            .await?;
        raw.into_iter()
            .map(|r| {
                let malformed = || {
                    Error::Io(redis::RedisError::from((
                        redis::ErrorKind::Parse,
                        "malformed dead letter",
                    )))
                };
                let colon = r.iter().position(|&b| b == b':').ok_or_else(malformed)?;
                let klen: usize = std::str::from_utf8(&r[..colon])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(malformed)?;
                let key =
                    std::str::from_utf8(r.get(colon + 1..colon + 1 + klen).ok_or_else(malformed)?)
                        .map_err(|_| malformed())?
                        .to_owned();
                let raw = Bytes::from(r).slice(colon + 1 + klen..);
                let item = parse_item(key, raw, None)?;
                Ok(DeadLetter {
                    key: item.key,
                    value: item.value,
                    deliveries: item.deliveries,
                })
            })
            .collect()
    }

    /// A copy of the head entry of `key`, waiting until there is one.
    ///
    /// # Errors
    /// `CLOSED` once the space is closed, `KEY_INVALID`, `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// let head = space.peek("config").await?; // waits until there is one
    /// println!("{head:?}");
    /// # Ok(()) }
    /// ```
    pub async fn peek(&self, key: &str) -> Result<Bytes, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        let item = self
            .wait_for(Some(key), || async {
                self.read_head(key, true).await.map(|o| {
                    o.map(|raw| Item {
                        key: String::new(),
                        raw: raw.clone(),
                        seq: 0,
                        deliveries: 0,
                        value: raw,
                        lease: None,
                    })
                })
            })
            .await?;
        Ok(item.value)
    }

    /// A copy of the head entry of `key`, if there is one.
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
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// if let Some(head) = space.try_peek("config").await? {
    ///     println!("{head:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn try_peek(&self, key: &str) -> Result<Option<Bytes>, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        self.read_head(key, false).await
    }

    async fn read_head(&self, key: &str, waiting: bool) -> Result<Option<Bytes>, Error> {
        let raw: Option<Vec<u8>> = READ
            .call(&self.shared.meta)
            .arg(u8::from(waiting))
            .arg(key)
            .run(&self.shared.conn)
            .await?;
        match raw {
            None => Ok(None),
            Some(raw) => Ok(Some(
                parse_item(String::new(), Bytes::from(raw), None)?.value,
            )),
        }
    }

    /// Entries queued under `key` (leased ones not counted).
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
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// println!("{} queued", space.len("resize").await?);
    /// # Ok(()) }
    /// ```
    pub async fn len(&self, key: &str) -> Result<usize, Error> {
        check_key(key, self.shared.config.max_key_len)?;
        let n: usize = redis::cmd("LLEN")
            .arg(self.key_name(&format!("q:{key}")))
            .query_async(&mut self.shared.conn.clone())
            .await?;
        Ok(n)
    }

    /// The keys holding at least one entry, in no particular order. The first call on a space
    /// (or its first pattern take) makes the space keep its key set from then on (see
    /// `docs/redis.md`): a one-time `SCAN` of the space's keys, in steps.
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
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// for key in space.keys().await? {
    ///     println!("{key}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn keys(&self) -> Result<Vec<String>, Error> {
        loop {
            let keys: Option<Vec<String>> =
                KEYS.call(&self.shared.meta).run(&self.shared.conn).await?;
            match keys {
                Some(keys) => return Ok(keys),
                None => self.build_key_set().await?,
            }
        }
    }

    /// Makes the space keep its set of non-empty keys (the first pattern take or `keys()` of a
    /// space does this once, for every process): marks it kept, then adds the keys that were
    /// already non-empty, one `SCAN` step per script run so the server never blocks for long.
    async fn build_key_set(&self) -> Result<(), Error> {
        let mut pattern = String::new();
        for c in self.key_name("").chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push_str("q:*");
        let mut cursor = b"0".to_vec();
        loop {
            let next: Value = INDEX
                .call(&self.shared.meta)
                .arg(&cursor)
                .arg(&pattern)
                .run(&self.shared.conn)
                .await?;
            match bulk(next) {
                Some(next) => cursor = next,
                None => return Ok(()), // -1: the set is complete
            }
        }
    }

    /// Closes the space for every process: waiting takes and reads fail with `CLOSED`, `push`
    /// hands values back; entries and leases stay (drain with `try_take`, settle leases).
    /// Idempotent.
    ///
    /// # Errors
    /// `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: idempotent, call it again.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// space.close().await?;
    /// assert!(space.is_closed());
    /// while let Some(job) = space.try_take("resize").await? {
    ///     println!("draining {job:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn close(&self) -> Result<(), Error> {
        let _: i64 = CLOSE.call(&self.shared.meta).run(&self.shared.conn).await?;
        self.shared.closed.store(true, Ordering::Release);
        self.shared.waiters.wake_all();
        Ok(())
    }

    /// Opens a closed space again for every process (an operator's undo of
    /// [`close`](Self::close)): `push` is accepted again. Idempotent.
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
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// space.close().await?;
    /// space.reopen().await?;
    /// space.push("resize", "a.png").await?;
    /// # Ok(()) }
    /// ```
    pub async fn reopen(&self) -> Result<(), Error> {
        let _: i64 = CLOSE
            .call(&self.shared.meta)
            .arg("reopen")
            .run(&self.shared.conn)
            .await?;
        self.shared.closed.store(false, Ordering::Release);
        Ok(())
    }

    /// Whether the space is closed, as far as this handle knows (it learns from its own
    /// `close`, from the close broadcast, and from any call refused with `CLOSED`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// if !space.is_closed() {
    ///     space.push("resize", "a.png").await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Deletes every Redis key of this space (tests, benchmarks). Other handles see an empty,
    /// open space.
    ///
    /// # Errors
    /// `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: one atomic script.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// space.destroy().await?; // a clean slate for the next test
    /// # Ok(()) }
    /// ```
    pub async fn destroy(&self) -> Result<(), Error> {
        self.build_key_set().await?;
        let _: i64 = DESTROY
            .call(&self.shared.meta)
            .run(&self.shared.conn)
            .await?;
        self.shared.closed.store(false, Ordering::Release);
        Ok(())
    }
}

/// A lease length in whole milliseconds: at least 1 ms, at most a year.
fn lease_ms(d: Duration) -> Result<u64, Error> {
    const MAX_MS: u128 = 365 * 24 * 3600 * 1000;
    let ms = d.as_millis();
    if ms == 0 || ms > MAX_MS || !d.subsec_nanos().is_multiple_of(1_000_000) {
        return Err(Error::LeaseInvalid(d));
    }
    Ok(ms as u64)
}

fn to_lease(item: Item) -> Lease {
    Lease {
        id: item.lease.map_or(0, |(_, id)| id),
        key: item.key,
        value: item.value,
        seq: item.seq,
        delivery: item.deliveries,
        deadline_ms: item.lease.map_or(0, |(d, _)| d),
    }
}

fn handle_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{}-{:x}", std::process::id(), h.finish())
}

/// A waiting take's place among the key's waiters: left when the take is dropped unfinished.
struct TicketGuard<'a> {
    space: &'a RedisSpace,
    ticket: &'a str,
    done: bool,
}

impl Drop for TicketGuard<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let call = SETTLE
            .call(&self.space.shared.meta)
            .arg("unwait")
            .arg(self.ticket)
            .arg(0);
        let mut leave = Box::pin(call.eval_owned::<i64>(self.space.shared.conn.clone()));
        // Poll once here, so the command is queued on the connection before anything the caller
        // sends next (a `push` right after dropping a take must not be handed to this ticket).
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        if std::future::Future::poll(leave.as_mut(), &mut cx).is_pending() {
            tokio::spawn(leave);
        }
    }
}

type TakeFuture = Pin<Box<dyn Future<Output = Result<Option<Item>, Error>> + Send>>;

/// A take request in flight, polled in place (no task on the hot path). If the caller drops it
/// before it completes, the request moves to a task of its own, which waits for the reply and
/// puts back whatever was taken.
struct InFlight<'a> {
    space: &'a RedisSpace,
    request: Option<TakeFuture>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(request) = self.request.take() {
            let space = self.space.clone();
            tokio::spawn(async move {
                if let Ok(Some(item)) = request.await {
                    space.restore(item).await;
                }
            });
        }
    }
}

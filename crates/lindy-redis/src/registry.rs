//! [`RedisRegistry`]: the channel registry shared by every node on one Redis, and
//! [`RedisBus`], which carries each node's transitions to the others.

use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use lindy::channels::{
    AsyncManager, AsyncRegistry, Channel, ChannelError, Event, EventKind, NodeId, RemoteEvent,
    State,
};
use lindy::grammar::Name;
use redis::Value;

use crate::conn::Connection;
use crate::error::Error;
use crate::listener::{Listener, Signal};
use crate::lua::Lua;
use crate::space::check_name;

macro_rules! registry_script {
    ($file:literal) => {
        LazyLock::new(|| {
            Lua::new(
                concat!(
                    include_str!("lua/registry_lib.lua"),
                    "\n",
                    include_str!(concat!("lua/", $file))
                )
                .to_owned(),
            )
        })
    };
}

static OPEN: LazyLock<Lua> = registry_script!("registry_open.lua");
static TOUCH: LazyLock<Lua> = registry_script!("registry_touch.lua");
static DELETE: LazyLock<Lua> = registry_script!("registry_delete.lua");
static DELTA: LazyLock<Lua> = registry_script!("registry_delta.lua");
static SWEEP: LazyLock<Lua> = registry_script!("registry_sweep.lua");

/// How many due channels one sweep script handles before the next (bounds each script's time).
const SWEEP_BATCH: usize = 1000;

/// The channel registry on Redis: the rules of lindy's [`Registry`](lindy::channels::Registry)
/// table, shared by every node that opens the same `name`.
///
/// * One atomic Lua script per call; the clock is the Redis server's `TIME` (on a cluster, the
///   clock of the master serving the registry's slot), so node clock skew never shifts expiry.
/// * An **expiry index** (a sorted set by deadline) makes a sweep touch only due channels.
/// * Each transition is made by exactly one script run, which numbers it, appends it to a capped
///   event stream and publishes it: N nodes sweeping at once emit each transition once.
/// * All keys share the hash tag `{name}`: it runs unchanged on Redis Cluster.
///
/// Use it through [`AsyncManager`] (see [`RedisBus::attach`]).
///
/// # Examples
///
/// ```no_run
/// use lindy::grammar::Name;
/// use lindy_redis::{RedisBus, RedisRegistry};
/// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
/// let registry = RedisRegistry::new(&conn, "chat")?;
/// let (manager, _bus) = RedisBus::attach(registry).await?;
/// let room = Name::parse("public:chat.lobby")?;
/// manager.open_public(&room, None).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRegistry {
    conn: Connection,
    node: NodeId,
    ch: String,
    prefix: String,
    log_len: usize,
}

impl std::fmt::Debug for RedisRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRegistry")
            .field("key", &self.ch)
            .field("node", &self.node)
            .finish()
    }
}

fn new_node_id() -> NodeId {
    use std::hash::{BuildHasher, Hasher};
    // Random per process and per call: pid, time and std's per-process random hash keys.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    NodeId(h.finish())
}

fn channel_error(e: redis::RedisError, name: &Name) -> Error {
    match e.code() {
        Some("LINDY_CH_NOT_FOUND") => ChannelError::NotFound {
            channel: name.clone(),
        }
        .into(),
        Some("LINDY_CH_EXISTS") => ChannelError::Exists {
            channel: name.clone(),
        }
        .into(),
        Some("LINDY_CH_CLOSED") => ChannelError::Closed {
            channel: name.clone(),
        }
        .into(),
        _ => Error::from_redis(e),
    }
}

fn kind_of(code: &str) -> Option<EventKind> {
    match code {
        "o" => Some(EventKind::Opened),
        "c" => Some(EventKind::Closed),
        "d" => Some(EventKind::Deleted),
        _ => None,
    }
}

fn parse_record(name: Name, r: &str) -> Option<Channel> {
    let mut f = r.split(',');
    let state = match f.next()? {
        "o" => State::Open,
        "c" => State::Closed,
        "d" => State::Deleted,
        _ => return None,
    };
    let ttl: u64 = f.next()?.parse().ok()?;
    let created_at = f.next()?.parse().ok()?;
    let last_active = f.next()?.parse().ok()?;
    let delta = f.next()? == "1";
    Some(Channel {
        name,
        state,
        ttl: Duration::from_millis(ttl),
        created_at,
        last_active,
        delta,
    })
}

fn malformed(what: &'static str) -> Error {
    Error::Io(redis::RedisError::from((redis::ErrorKind::Parse, what)))
}

fn ttl_ms(ttl: Duration) -> u64 {
    // Whole milliseconds, rounded up (as the core); capped so the Lua doubles stay exact.
    let ms = ttl.as_nanos().div_ceil(1_000_000);
    ms.min(1 << 50) as u64
}

impl RedisRegistry {
    /// The registry `name` on `conn`, for a node with a fresh random id.
    ///
    /// # Errors
    /// `KEY_INVALID` for an empty or over-long name or one with `{`/`}`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::RedisRegistry;
    /// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// let registry = RedisRegistry::new(&conn, "chat")?;
    /// println!("node {:?}", registry.node_id());
    /// # Ok(()) }
    /// ```
    pub fn new(conn: &Connection, name: &str) -> Result<Self, Error> {
        check_name(name)?;
        let prefix = format!("lindy:reg:{{{name}}}:");
        Ok(RedisRegistry {
            conn: conn.clone(),
            node: new_node_id(),
            ch: format!("{prefix}ch"),
            prefix,
            log_len: 10_000,
        })
    }

    /// Keeps about `len` events in the registry's event stream (default 10 000): a node that is
    /// disconnected for longer than that many transitions learns that it lost some
    /// ([`RedisBus::lost`]).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::RedisRegistry;
    /// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// let registry = RedisRegistry::new(&conn, "chat")?.with_log_len(100_000);
    /// # let _ = registry;
    /// # Ok(()) }
    /// ```
    pub fn with_log_len(mut self, len: usize) -> Self {
        self.log_len = len.max(1);
        self
    }

    /// The id this node's transitions carry.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(registry: lindy_redis::RedisRegistry) -> Result<(), Box<dyn std::error::Error>> {
    /// println!("this node is {:?}", registry.node_id());
    /// # Ok(()) }
    /// ```
    pub fn node_id(&self) -> NodeId {
        self.node
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.prefix)
    }

    /// Runs the open script: `private` creates a private channel (which must be new), else opens
    /// or rejoins a public one.
    async fn run_open(&self, name: &Name, ttl: Duration, private: bool) -> Result<Value, Error> {
        OPEN.call(&self.ch)
            .arg(self.log_len)
            .arg(self.node.0)
            .arg(name.as_str())
            .arg(ttl_ms(ttl))
            .arg(u8::from(private))
            .run(&self.conn)
            .await
            .map_err(|e| channel_error(e, name))
    }

    fn reply_channel(&self, name: &Name, v: Value) -> Result<(Channel, Option<Event>), Error> {
        let Value::Array(parts) = v else {
            return Err(malformed("malformed registry reply"));
        };
        let text: Vec<String> = parts
            .into_iter()
            .map(|p| match p {
                Value::BulkString(b) => String::from_utf8(b).unwrap_or_default(),
                Value::Int(i) => i.to_string(),
                Value::SimpleString(s) => s,
                _ => String::new(),
            })
            .collect();
        if text.len() != 7 {
            return Err(malformed("malformed registry reply"));
        }
        let record = text[..5].join(",");
        let channel =
            parse_record(name.clone(), &record).ok_or_else(|| malformed("malformed record"))?;
        let at: u64 = text[6].parse().unwrap_or(0);
        let event = kind_of(&text[5]).map(|k| Event::new(k, name.clone(), at));
        Ok((channel, event))
    }

    /// Deletes every Redis key of this registry (tests, benchmarks).
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
    /// # async fn demo(registry: lindy_redis::RedisRegistry) -> Result<(), Box<dyn std::error::Error>> {
    /// registry.destroy().await?; // a clean slate for the next test
    /// # Ok(()) }
    /// ```
    pub async fn destroy(&self) -> Result<(), Error> {
        let _: i64 = redis::cmd("DEL")
            .arg(&self.ch)
            .arg(self.key("exp"))
            .arg(self.key("n"))
            .arg(self.key("seq"))
            .arg(self.key("log"))
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }
}

impl AsyncRegistry for RedisRegistry {
    type Error = Error;

    async fn get(&self, name: &Name) -> Result<Channel, Error> {
        let r: Option<String> = redis::cmd("HGET")
            .arg(&self.ch)
            .arg(name.as_str())
            .query_async(&mut self.conn.clone())
            .await?;
        match r.and_then(|r| parse_record(name.clone(), &r)) {
            Some(c) if c.state != State::Deleted => Ok(c),
            _ => Err(ChannelError::NotFound {
                channel: name.clone(),
            }
            .into()),
        }
    }

    async fn list(&self) -> Result<Vec<Channel>, Error> {
        let all: Vec<(String, String)> = redis::cmd("HGETALL")
            .arg(&self.ch)
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(all
            .into_iter()
            .filter_map(|(n, r)| parse_record(Name::parse(&n).ok()?, &r))
            .filter(|c| c.state != State::Deleted)
            .collect())
    }

    async fn len(&self) -> Result<usize, Error> {
        let n: Option<i64> = redis::cmd("GET")
            .arg(self.key("n"))
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(n.unwrap_or(0).max(0) as usize)
    }

    async fn open_public(
        &self,
        name: &Name,
        ttl: Duration,
    ) -> Result<(Channel, Option<Event>), Error> {
        let v = self.run_open(name, ttl, false).await?;
        self.reply_channel(name, v)
    }

    async fn create_private(&self, name: &Name, ttl: Duration) -> Result<(Channel, Event), Error> {
        let v = self.run_open(name, ttl, true).await?;
        let (c, e) = self.reply_channel(name, v)?;
        Ok((c, e.ok_or_else(|| malformed("create without an event"))?))
    }

    async fn touch(&self, name: &Name) -> Result<(), Error> {
        let _: i64 = TOUCH
            .call(&self.ch)
            .arg(self.log_len)
            .arg(name.as_str())
            .run(&self.conn)
            .await
            .map_err(|e| channel_error(e, name))?;
        Ok(())
    }

    async fn delete(&self, name: &Name) -> Result<Option<Event>, Error> {
        let at: u64 = DELETE
            .call(&self.ch)
            .arg(self.log_len)
            .arg(self.node.0)
            .arg(name.as_str())
            .run(&self.conn)
            .await
            .map_err(|e| channel_error(e, name))?;
        Ok((at != 0).then(|| Event::new(EventKind::Deleted, name.clone(), at)))
    }

    async fn set_delta(&self, name: &Name, enabled: bool) -> Result<(), Error> {
        let _: i64 = DELTA
            .call(&self.ch)
            .arg(self.log_len)
            .arg(name.as_str())
            .arg(u8::from(enabled))
            .run(&self.conn)
            .await
            .map_err(|e| channel_error(e, name))?;
        Ok(())
    }

    async fn sweep(&self) -> Result<Vec<Event>, Error> {
        let mut events = Vec::new();
        loop {
            let v: Vec<Value> = SWEEP
                .call(&self.ch)
                .arg(self.log_len)
                .arg(self.node.0)
                .arg(SWEEP_BATCH)
                .run(&self.conn)
                .await?;
            let int = |v: &Value| match v {
                Value::Int(i) => Some(*i as u64),
                _ => None,
            };
            let now = v
                .first()
                .and_then(int)
                .ok_or_else(|| malformed("sweep reply"))?;
            let more = v.get(1).and_then(int) == Some(1);
            for pair in v[2..].chunks(2) {
                let [Value::BulkString(k), Value::BulkString(n)] = pair else {
                    return Err(malformed("sweep reply"));
                };
                let kind = kind_of(std::str::from_utf8(k).unwrap_or(""))
                    .ok_or_else(|| malformed("sweep kind"))?;
                let name = std::str::from_utf8(n)
                    .ok()
                    .and_then(|n| Name::parse(n).ok());
                if let Some(name) = name {
                    events.push(Event::new(kind, name, now));
                }
            }
            if !more {
                return Ok(events);
            }
        }
    }

    async fn next_deadline(&self) -> Result<Option<u64>, Error> {
        let first: Vec<(String, f64)> = redis::cmd("ZRANGE")
            .arg(self.key("exp"))
            .arg(0)
            .arg(0)
            .arg("WITHSCORES")
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(first.first().map(|(_, s)| *s as u64))
    }
}

/// Delivery bookkeeping of a [`RedisBus`].
#[derive(Default)]
struct BusState {
    /// The number of the last event applied (or skipped as an echo).
    last: u64,
    /// While a resync reads the event stream, live messages wait here (in order).
    resyncing: bool,
    buffered: Vec<(u64, RemoteEvent)>,
    delivered: u64,
    echoes: u64,
    missed: u64,
    lost: u64,
    reconnects: u64,
}

/// Counters of a [`RedisBus`].
///
/// # Examples
///
/// ```no_run
/// use lindy_redis::RedisBus;
/// # async fn demo(registry: lindy_redis::RedisRegistry) -> Result<(), Box<dyn std::error::Error>> {
/// let (_manager, bus) = RedisBus::attach(registry).await?;
/// let stats = bus.stats();
/// println!("{} delivered, {} missed and resynced, {} lost", stats.delivered, stats.missed, stats.lost);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BusStats {
    /// Remote events applied to the manager (live or by resync).
    pub delivered: u64,
    /// Own events seen on the bus and dropped.
    pub echoes: u64,
    /// Events the pub/sub connection missed (a disconnection) that a resync recovered from the
    /// registry's event stream.
    pub missed: u64,
    /// Events missed *and* already trimmed from the stream: gone. After any, re-read the
    /// registry with `list` (the manager's subscribers cannot be told what they were).
    pub lost: u64,
    /// Times the subscription was re-established.
    pub reconnects: u64,
}

type Apply = Arc<dyn Fn(&RemoteEvent) + Send + Sync>;

/// Carries a registry's transitions between nodes: Redis pub/sub for the live path, the
/// registry's event stream for what a node missed.
///
/// * Every event carries the node id of the node whose call made it; a node drops its own
///   (echo filtering) — its manager already fanned them out when the call returned.
/// * Events are numbered by the registry; a node applies each number once, in order.
/// * After a reconnection (the listener resubscribes on its own), the bus reads the events it
///   missed from the stream before applying live ones again: the manager learns what it missed,
///   and [`BusStats::missed`] counts them. Events trimmed from the stream meanwhile are counted
///   in [`BusStats::lost`].
///
/// # Examples
///
/// ```no_run
/// use lindy_redis::RedisBus;
/// # async fn demo(registry: lindy_redis::RedisRegistry) -> Result<(), Box<dyn std::error::Error>> {
/// let (manager, bus) = RedisBus::attach(registry).await?;
/// // `manager` now sees every other node's transitions; `bus` counts them.
/// println!("{:?}", bus.stats());
/// # let _ = manager;
/// # Ok(()) }
/// ```
pub struct RedisBus {
    state: Arc<Mutex<BusState>>,
    _listener: Listener,
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBus")
            .field("stats", &self.stats())
            .finish()
    }
}

fn parse_message(payload: &[u8]) -> Option<(u64, RemoteEvent)> {
    let s = std::str::from_utf8(payload).ok()?;
    let mut f = s.splitn(5, '|');
    let n = f.next()?.parse().ok()?;
    let origin = NodeId(f.next()?.parse().ok()?);
    let kind = kind_of(f.next()?)?;
    let at = f.next()?.parse().ok()?;
    let name = Name::parse(f.next()?).ok()?;
    Some((
        n,
        RemoteEvent {
            origin,
            event: Event::new(kind, name, at),
        },
    ))
}

impl BusState {
    /// Applies event `n` unless it was already seen; counts a gap before it as lost.
    fn accept(&mut self, n: u64, ev: &RemoteEvent, own: NodeId, apply: &Apply) {
        if n <= self.last {
            return;
        }
        if n > self.last + 1 {
            self.lost += n - self.last - 1;
        }
        self.last = n;
        if ev.origin == own {
            self.echoes += 1;
        } else {
            self.delivered += 1;
            apply(ev);
        }
    }
}

impl RedisBus {
    /// Builds the manager of this node over `registry` and connects it to the other nodes.
    ///
    /// # Errors
    /// `IO` if the event stream cannot be read or the subscription made.
    ///
    /// # Cancel safety
    /// Cancel-safe: stores nothing.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::RedisBus;
    /// # async fn demo(registry: lindy_redis::RedisRegistry) -> Result<(), Box<dyn std::error::Error>> {
    /// let (manager, _bus) = RedisBus::attach(registry).await?;
    /// # let _ = manager;
    /// # Ok(()) }
    /// ```
    pub async fn attach(
        registry: RedisRegistry,
    ) -> Result<(Arc<AsyncManager<RedisRegistry>>, RedisBus), Error> {
        let node = registry.node_id();
        let manager = Arc::new(AsyncManager::new(registry, node));
        let weak = Arc::downgrade(&manager);
        let apply: Apply = Arc::new(move |ev| {
            if let Some(m) = weak.upgrade() {
                m.apply_remote(ev);
            }
        });
        let bus = Self::start(manager.registry(), apply).await?;
        Ok((manager, bus))
    }

    /// Starts a bus for `registry`'s node that hands every remote event to `apply`.
    ///
    /// # Errors
    /// As [`attach`](Self::attach).
    ///
    /// # Cancel safety
    /// Cancel-safe: stores nothing.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use lindy_redis::RedisBus;
    /// # async fn demo(registry: lindy_redis::RedisRegistry) -> Result<(), Box<dyn std::error::Error>> {
    /// let bus = RedisBus::start(&registry, Arc::new(|event| println!("{event:?}"))).await?;
    /// # let _ = bus;
    /// # Ok(()) }
    /// ```
    pub async fn start(
        registry: &RedisRegistry,
        apply: Arc<dyn Fn(&RemoteEvent) + Send + Sync>,
    ) -> Result<Self, Error> {
        let conn = registry.conn.clone();
        let own = registry.node;
        let seq_key = registry.key("seq");
        let log_key = registry.key("log");
        // Events before this point are history: start after the last one.
        let last: Option<u64> = redis::cmd("GET")
            .arg(&seq_key)
            .query_async(&mut conn.clone())
            .await?;
        let state = Arc::new(Mutex::new(BusState {
            last: last.unwrap_or(0),
            resyncing: true,
            ..BusState::default()
        }));
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
        let ready_tx = Mutex::new(Some(ready_tx));
        let listener = Listener::spawn(conn.config().clients()?, vec![registry.key("bus")], {
            let state = state.clone();
            move |signal| match signal {
                Signal::Message { payload, .. } => {
                    let Some((n, ev)) = parse_message(payload) else {
                        return;
                    };
                    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                    if s.resyncing {
                        s.buffered.push((n, ev));
                    } else {
                        s.accept(n, &ev, own, &apply);
                    }
                }
                Signal::Connected { reconnect } => {
                    {
                        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                        s.resyncing = true;
                        if reconnect {
                            s.reconnects += 1;
                        }
                    }
                    let ready = ready_tx.lock().unwrap_or_else(|e| e.into_inner()).take();
                    tokio::spawn(resync(
                        conn.clone(),
                        log_key.clone(),
                        state.clone(),
                        own,
                        apply.clone(),
                        ready,
                    ));
                }
                Signal::Disconnected => {}
            }
        });
        let timeout = registry.conn.config().connection_timeout * 2;
        match tokio::time::timeout(timeout, ready_rx).await {
            Ok(Ok(())) => Ok(RedisBus {
                state,
                _listener: listener,
            }),
            _ => Err(Error::Io(redis::RedisError::from((
                redis::ErrorKind::Io,
                "could not subscribe to the registry's bus",
            )))),
        }
    }

    /// The bus's counters.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::RedisBus;
    /// # async fn demo(registry: lindy_redis::RedisRegistry) -> Result<(), Box<dyn std::error::Error>> {
    /// let (_manager, bus) = RedisBus::attach(registry).await?;
    /// println!("{:?}", bus.stats());
    /// # Ok(()) }
    /// ```
    pub fn stats(&self) -> BusStats {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        BusStats {
            delivered: s.delivered,
            echoes: s.echoes,
            missed: s.missed,
            lost: s.lost,
            reconnects: s.reconnects,
        }
    }

    /// Events missed by pub/sub and recovered from the stream ([`BusStats::missed`]).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::RedisBus;
    /// # async fn demo(registry: lindy_redis::RedisRegistry) -> Result<(), Box<dyn std::error::Error>> {
    /// let (_manager, bus) = RedisBus::attach(registry).await?;
    /// println!("{} events learned by resync", bus.missed());
    /// # Ok(()) }
    /// ```
    pub fn missed(&self) -> u64 {
        self.stats().missed
    }

    /// Events missed and gone ([`BusStats::lost`]).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::RedisBus;
    /// # async fn demo(registry: lindy_redis::RedisRegistry) -> Result<(), Box<dyn std::error::Error>> {
    /// let (manager, bus) = RedisBus::attach(registry).await?;
    /// if bus.lost() > 0 {
    ///     // Trimmed from the event stream before we saw them: re-read the channel list.
    ///     println!("{:?}", manager.list().await?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn lost(&self) -> u64 {
        self.stats().lost
    }
}

/// Reads the events after the last applied one from the stream, applies them in order, then
/// the live messages buffered meanwhile; retries until the stream answers.
async fn resync(
    conn: Connection,
    log_key: String,
    state: Arc<Mutex<BusState>>,
    own: NodeId,
    apply: Apply,
    ready: Option<tokio::sync::oneshot::Sender<()>>,
) {
    loop {
        let from = state.lock().unwrap_or_else(|e| e.into_inner()).last;
        let read: Result<redis::streams::StreamRangeReply, _> = redis::cmd("XRANGE")
            .arg(&log_key)
            .arg(format!("({from}-1"))
            .arg("+")
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn.clone())
            .await;
        let Ok(read) = read else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        for entry in &read.ids {
            let n: Option<u64> = entry.id.split('-').next().and_then(|n| n.parse().ok());
            let field = |f: &str| entry.get::<String>(f);
            let ev = (|| {
                Some(RemoteEvent {
                    origin: NodeId(field("o")?.parse().ok()?),
                    event: Event::new(
                        kind_of(&field("k")?)?,
                        Name::parse(&field("c")?).ok()?,
                        field("a")?.parse().ok()?,
                    ),
                })
            })();
            if let (Some(n), Some(ev)) = (n, ev) {
                if n > s.last {
                    // Missed by pub/sub, recovered here.
                    if ev.origin != own {
                        s.missed += 1;
                    }
                    s.accept(n, &ev, own, &apply);
                }
            }
        }
        if read.ids.len() == 1000 {
            continue;
        }
        let buffered = std::mem::take(&mut s.buffered);
        for (n, ev) in buffered {
            s.accept(n, &ev, own, &apply);
        }
        s.resyncing = false;
        drop(s);
        if let Some(tx) = ready {
            let _ = tx.send(());
        }
        return;
    }
}

//! The async twin of [`Registry`](super::Registry) and [`Manager`](super::Manager), for
//! registries behind a network (e.g. `lindy-redis`'s `RedisRegistry`).
//!
//! A networked registry differs from the in-memory one in three ways, which is why it is a
//! separate trait rather than a blocking implementation of [`Registry`](super::Registry):
//! every call is I/O (futures, and an error type that can say `IO`); the registry is shared by
//! many nodes, so it — not each node's clock — decides `now` (one clock for every expiry), and
//! calls take `&self` (the registry serialises them itself, e.g. one atomic script each); and
//! its transitions are carried to the other nodes by the registry itself, exactly once, so the
//! manager here only fans the returned events out *locally* and applies remote ones
//! ([`apply_remote`](AsyncManager::apply_remote)).

use super::manager::expect_visibility;
use crate::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::time::Duration;

use super::bus::{NodeId, RemoteEvent};
use super::subscribe::{Hub, Subscription};
use super::{
    Channel, ChannelError, Clock, Event, Registry, DEFAULT_PRIVATE_TTL, DEFAULT_PUBLIC_TTL,
    MAX_PRIVATE_TTL,
};
use crate::error::ErrorCode;
use crate::grammar::{Name, Pattern, Visibility};
use crate::sync::{DefaultRawMutex, Mutex, RawMutex};

/// Where channel records live, when that is across a network: the rules of
/// [`Registry`](super::Registry) (its transition table applies unchanged), with the registry's
/// own clock and `&self` calls.
///
/// Every mutating call returns the event(s) it caused, so the calling node can fan them out
/// locally; an implementation shared by several nodes also publishes each one to the others
/// (with the caller's node id), once per transition.
///
/// ```
/// use std::time::Duration;
/// use futures::executor::block_on;
/// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
/// use lindy::grammar::Name;
///
/// // Code written against the trait runs on any registry: here, the in-memory one.
/// async fn open_all<G: AsyncRegistry>(registry: &G, names: &[Name]) -> Result<usize, G::Error> {
///     for name in names {
///         registry.open_public(name, Duration::from_secs(60)).await?;
///     }
///     registry.len().await
/// }
///
/// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
/// let names = [Name::parse("public:a.b")?, Name::parse("public:a.c")?];
/// assert_eq!(block_on(open_all(&registry, &names))?, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait AsyncRegistry {
    /// Why a call failed: a [`ChannelError`] rule, or the backend's own failure (`IO`).
    type Error: From<ChannelError> + ErrorCode + core::error::Error;

    /// A snapshot of the channel; deleted records are `CHANNEL_NOT_FOUND`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 7);
    /// let room = Name::parse("public:a.b")?;
    /// assert_eq!(block_on(registry.get(&room)).unwrap_err().code(), "CHANNEL_NOT_FOUND");
    /// block_on(registry.open_public(&room, Duration::from_secs(1)))?;
    /// assert_eq!(block_on(registry.get(&room))?.last_active, 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// Must be cancel-safe: it only reads.
    fn get(&self, name: &Name) -> impl Future<Output = Result<Channel, Self::Error>>;
    /// Snapshots of every record that is not deleted, in no particular order.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let (a, b) = (Name::parse("public:a.b")?, Name::parse("public:a.c")?);
    /// block_on(registry.open_public(&a, Duration::from_secs(1)))?;
    /// block_on(registry.open_public(&b, Duration::from_secs(1)))?;
    /// block_on(registry.delete(&a))?;
    /// let names: Vec<_> = block_on(registry.list())?.into_iter().map(|c| c.name).collect();
    /// assert_eq!(names, [b], "the deleted record is left out");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// Must be cancel-safe: it only reads.
    fn list(&self) -> impl Future<Output = Result<Vec<Channel>, Self::Error>>;
    /// The number of records that are not deleted.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let room = Name::parse("public:a.b")?;
    /// block_on(registry.open_public(&room, Duration::from_secs(1)))?;
    /// assert_eq!(block_on(registry.len())?, 1);
    /// block_on(registry.delete(&room))?;
    /// assert_eq!(block_on(registry.len())?, 0, "a tombstone is not counted");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// Must be cancel-safe: it only reads.
    fn len(&self) -> impl Future<Output = Result<usize, Self::Error>>;
    /// Whether there are no records that are not deleted.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// assert!(block_on(registry.is_empty())?);
    /// block_on(registry.open_public(&Name::parse("public:a.b")?, Duration::from_secs(1)))?;
    /// assert!(!block_on(registry.is_empty())?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// Must be cancel-safe: it only reads.
    fn is_empty(&self) -> impl Future<Output = Result<bool, Self::Error>> {
        async { Ok(self.len().await? == 0) }
    }
    /// Creates, refreshes or re-opens a public channel at the registry's `now`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, EventKind, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let room = Name::parse("public:a.b")?;
    /// let (_, event) = block_on(registry.open_public(&room, Duration::from_secs(1)))?;
    /// assert_eq!(event.map(|e| e.kind), Some(EventKind::Opened));
    /// let (_, again) = block_on(registry.open_public(&room, Duration::from_secs(1)))?;
    /// assert!(again.is_none(), "refreshing an open channel emits nothing");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn open_public(
        &self,
        name: &Name,
        ttl: Duration,
    ) -> impl Future<Output = Result<(Channel, Option<Event>), Self::Error>>;
    /// Creates a private channel; any existing record is `CHANNEL_EXISTS`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let dm = Name::parse("private:chat.dm.ab1")?;
    /// let (channel, _) = block_on(registry.create_private(&dm, Duration::from_secs(1)))?;
    /// assert!(channel.is_private());
    /// let again = block_on(registry.create_private(&dm, Duration::from_secs(1)));
    /// assert_eq!(again.unwrap_err().code(), "CHANNEL_EXISTS");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn create_private(
        &self,
        name: &Name,
        ttl: Duration,
    ) -> impl Future<Output = Result<(Channel, Event), Self::Error>>;
    /// Refreshes an open channel's last-active time.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let now = Cell::new(0);
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || now.get());
    /// let room = Name::parse("public:a.b")?;
    /// block_on(registry.open_public(&room, Duration::from_millis(10)))?;
    /// now.set(8);
    /// block_on(registry.touch(&room))?;
    /// assert_eq!(block_on(registry.next_deadline())?, Some(18));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn touch(&self, name: &Name) -> impl Future<Output = Result<(), Self::Error>>;
    /// Deletes the channel; `Ok(None)` if it was already deleted.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, EventKind, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let room = Name::parse("public:a.b")?;
    /// block_on(registry.open_public(&room, Duration::from_secs(1)))?;
    /// let event = block_on(registry.delete(&room))?;
    /// assert_eq!(event.map(|e| e.kind), Some(EventKind::Deleted));
    /// assert!(block_on(registry.delete(&room))?.is_none(), "already deleted");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn delete(&self, name: &Name) -> impl Future<Output = Result<Option<Event>, Self::Error>>;
    /// Turns delta encoding on or off.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let room = Name::parse("public:a.b")?;
    /// let unknown = block_on(registry.set_delta(&room, true));
    /// assert_eq!(unknown.unwrap_err().code(), "CHANNEL_NOT_FOUND");
    /// block_on(registry.open_public(&room, Duration::from_secs(1)))?;
    /// block_on(registry.set_delta(&room, true))?;
    /// assert!(block_on(registry.get(&room))?.delta);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn set_delta(
        &self,
        name: &Name,
        enabled: bool,
    ) -> impl Future<Output = Result<(), Self::Error>>;
    /// Runs one expiry pass at the registry's `now`; returns the transitions *this call*
    /// made (several nodes sweeping at once split the work: each transition is returned once).
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, EventKind, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let now = Cell::new(0);
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || now.get());
    /// block_on(registry.open_public(&Name::parse("public:a.b")?, Duration::from_millis(10)))?;
    /// now.set(9);
    /// assert!(block_on(registry.sweep())?.is_empty());
    /// now.set(10);
    /// let kinds: Vec<_> = block_on(registry.sweep())?.into_iter().map(|e| e.kind).collect();
    /// assert_eq!(kinds, [EventKind::Closed]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn sweep(&self) -> impl Future<Output = Result<Vec<Event>, Self::Error>>;
    /// The earliest time (ms, registry clock) at which a sweep has work to do.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 5);
    /// assert_eq!(block_on(registry.next_deadline())?, None);
    /// block_on(registry.open_public(&Name::parse("public:a.b")?, Duration::from_millis(10)))?;
    /// assert_eq!(block_on(registry.next_deadline())?, Some(15));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Cancel safety
    /// Must be cancel-safe: it only reads.
    fn next_deadline(&self) -> impl Future<Output = Result<Option<u64>, Self::Error>>;
}

/// An [`AsyncRegistry`] over a blocking [`Registry`] (e.g.
/// [`MemoryRegistry`](super::MemoryRegistry)) and a [`Clock`]: every call takes the lock, reads
/// `now` from the clock and runs the registry's method, so each future is ready on its first
/// poll.
///
/// What it is for: tests of code written against [`AsyncRegistry`] (no network, and a clock the
/// test moves); running such code in a single process, where the in-memory registry is all there
/// is; and the examples of this module. It is the networked registry's shape with the network
/// taken out: one clock for every call, read under the lock (as a networked registry reads its
/// own time inside its atomic script), `&self` calls serialised by a
/// [`Mutex`](crate::sync::Mutex) with the lock `R` (so it works without std, on every target
/// [`Manager`](super::Manager) does). It publishes nothing to other nodes: there are none.
///
/// A test of code written for a networked registry, with a clock the test moves:
///
/// ```
/// use std::cell::Cell;
/// use std::time::Duration;
/// use futures::executor::block_on;
/// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId, State};
/// use lindy::grammar::Name;
///
/// let now = Cell::new(0);
/// let registry = BlockingRegistry::new(MemoryRegistry::new(), || now.get());
/// let manager = AsyncManager::new(registry, NodeId(1));
/// let room = Name::parse("public:chat.rooms.lobby")?;
/// block_on(async {
///     manager.open_public(&room, Some(Duration::from_secs(60))).await?;
///     now.set(60_000); // idle for a whole TTL
///     assert_eq!(manager.handle_timeout().await?, 1);
///     assert_eq!(manager.get(&room).await?.state, State::Closed);
///     Ok::<(), lindy::channels::ChannelError>(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BlockingRegistry<G, C, R: RawMutex = DefaultRawMutex> {
    registry: Mutex<R, G>,
    clock: C,
}

impl<G: Registry, C: Clock> BlockingRegistry<G, C, DefaultRawMutex> {
    /// `registry` behind the default lock, with `clock` (any `Fn() -> u64` of milliseconds)
    /// as the registry's `now`.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// assert!(block_on(registry.is_empty())?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(registry: G, clock: C) -> Self {
        Self::with_raw_mutex(registry, clock)
    }
}

impl<G: Registry, C: Clock, R: RawMutex> BlockingRegistry<G, C, R> {
    /// As [`new`](BlockingRegistry::new), with another lock (e.g. [`NoopRawMutex`] for a
    /// single-threaded program).
    ///
    /// [`NoopRawMutex`]: crate::sync::NoopRawMutex
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry};
    /// use lindy::sync::NoopRawMutex;
    ///
    /// let registry =
    ///     BlockingRegistry::<_, _, NoopRawMutex>::with_raw_mutex(MemoryRegistry::new(), || 0);
    /// assert_eq!(block_on(registry.len())?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_raw_mutex(registry: G, clock: C) -> Self {
        BlockingRegistry {
            registry: Mutex::new(registry),
            clock,
        }
    }

    /// Runs `f` on the registry under the lock: for what [`AsyncRegistry`] does not ask (e.g.
    /// [`Registry::is_delta`]), or to set up a test.
    ///
    /// # Panics
    /// If `f` calls back into this registry (the lock is not re-entrant).
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let room = Name::parse("public:a.b")?;
    /// block_on(registry.open_public(&room, Duration::from_secs(1)))?;
    /// block_on(registry.set_delta(&room, true))?;
    /// assert!(registry.lock(|r| r.is_delta(&room)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lock<T>(&self, f: impl FnOnce(&mut G) -> T) -> T {
        self.registry.lock(f)
    }

    /// The clock.
    ///
    /// ```
    /// use lindy::channels::{BlockingRegistry, Clock, MemoryRegistry};
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 42);
    /// assert_eq!(registry.clock().now_ms(), 42);
    /// ```
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// The registry, giving up the adapter.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncRegistry, BlockingRegistry, MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// block_on(registry.open_public(&Name::parse("public:a.b")?, Duration::from_secs(1)))?;
    /// let memory: MemoryRegistry = registry.into_inner();
    /// assert_eq!(memory.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_inner(self) -> G {
        self.registry.into_inner()
    }

    /// Runs `f` on the registry with the clock's `now`, both under the lock.
    fn at_now<T>(&self, f: impl FnOnce(&mut G, u64) -> T) -> T {
        self.registry.lock(|r| f(r, self.clock.now_ms()))
    }
}

impl<G: Registry, C: Clock, R: RawMutex> AsyncRegistry for BlockingRegistry<G, C, R> {
    type Error = ChannelError;

    async fn get(&self, name: &Name) -> Result<Channel, ChannelError> {
        self.lock(|r| r.get(name))
    }

    async fn list(&self) -> Result<Vec<Channel>, ChannelError> {
        Ok(self.lock(|r| r.list()))
    }

    async fn len(&self) -> Result<usize, ChannelError> {
        Ok(self.lock(|r| r.len()))
    }

    async fn is_empty(&self) -> Result<bool, ChannelError> {
        Ok(self.lock(|r| r.is_empty()))
    }

    async fn open_public(
        &self,
        name: &Name,
        ttl: Duration,
    ) -> Result<(Channel, Option<Event>), ChannelError> {
        self.at_now(|r, now| r.open_public(name, ttl, now))
    }

    async fn create_private(
        &self,
        name: &Name,
        ttl: Duration,
    ) -> Result<(Channel, Event), ChannelError> {
        self.at_now(|r, now| r.create_private(name, ttl, now))
    }

    async fn touch(&self, name: &Name) -> Result<(), ChannelError> {
        self.at_now(|r, now| r.touch(name, now))
    }

    async fn delete(&self, name: &Name) -> Result<Option<Event>, ChannelError> {
        self.at_now(|r, now| r.delete(name, now))
    }

    async fn set_delta(&self, name: &Name, enabled: bool) -> Result<(), ChannelError> {
        self.lock(|r| r.set_delta(name, enabled))
    }

    async fn sweep(&self) -> Result<Vec<Event>, ChannelError> {
        Ok(self.at_now(|r, now| r.sweep(now)))
    }

    async fn next_deadline(&self) -> Result<Option<u64>, ChannelError> {
        Ok(self.lock(|r| r.next_deadline()))
    }
}

impl<G, C, R: RawMutex> fmt::Debug for BlockingRegistry<G, C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingRegistry").finish_non_exhaustive()
    }
}

/// The [`Manager`](super::Manager) over an [`AsyncRegistry`]: the same validation (visibility,
/// default and maximum TTLs), the same [`Subscription`]s, with async calls.
///
/// Events of this node's calls are fanned out to local subscribers when the call returns;
/// events of other nodes arrive through [`apply_remote`](Self::apply_remote) (echoes of this
/// node's own events, recognised by [`node_id`](Self::node_id), are dropped there).
///
/// ```
/// use std::time::Duration;
/// use futures::executor::block_on;
/// use lindy::channels::{AsyncManager, BlockingRegistry, EventKind, MemoryRegistry, NodeId};
/// use lindy::grammar::Name;
///
/// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
/// let manager = AsyncManager::new(registry, NodeId(1));
/// let mut events = manager.subscribe(8);
/// let lobby = Name::parse("public:chat.rooms.lobby")?;
/// block_on(async {
///     manager.open_public(&lobby, Some(Duration::from_secs(60))).await?;
///     manager.delete(&lobby).await
/// })?;
/// let kinds: Vec<_> = std::iter::from_fn(|| events.try_recv().ok()).map(|e| e.kind).collect();
/// assert_eq!(kinds, [EventKind::Opened, EventKind::Deleted]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AsyncManager<G, R: RawMutex = DefaultRawMutex> {
    registry: G,
    hub: Arc<Hub<R>>,
}

impl<G: AsyncRegistry> AsyncManager<G, DefaultRawMutex> {
    /// A manager over `registry`, known to the other nodes as `node`.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// assert_eq!(manager.node_id(), NodeId(1));
    /// assert!(block_on(manager.is_empty())?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(registry: G, node: NodeId) -> Self {
        Self::with_raw_mutex(registry, node)
    }
}

impl<G: AsyncRegistry, R: RawMutex> AsyncManager<G, R> {
    /// As [`new`](AsyncManager::new), with another lock for the subscriber hub.
    ///
    /// ```
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::sync::NoopRawMutex;
    ///
    /// // A single-threaded program needs no lock around its subscribers.
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::<_, NoopRawMutex>::with_raw_mutex(registry, NodeId(2));
    /// let _events = manager.subscribe(8);
    /// assert_eq!(manager.subscribers(), 1);
    /// ```
    pub fn with_raw_mutex(registry: G, node: NodeId) -> Self {
        let hub = Arc::new(Hub::new());
        hub.set_node(Some(node));
        AsyncManager { registry, hub }
    }

    /// The registry.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::channels::Registry;
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let room = Name::parse("public:a.b")?;
    /// block_on(manager.open_public(&room, None))?;
    /// assert!(manager.registry().lock(|r| r.is_open(&room)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn registry(&self) -> &G {
        &self.registry
    }

    /// This node's id.
    ///
    /// ```
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(7));
    /// assert_eq!(manager.node_id(), NodeId(7));
    /// ```
    pub fn node_id(&self) -> NodeId {
        self.hub.node().expect("set at construction")
    }

    fn emit(&self, events: Vec<Event>) {
        if !events.is_empty() {
            self.hub.fan_out(events).wake();
        }
    }

    /// Opens (or refreshes, or re-opens) a public channel; `None` TTL is
    /// [`DEFAULT_PUBLIC_TTL`].
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::channels::DEFAULT_PUBLIC_TTL;
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let room = Name::parse("public:chat.rooms.a")?;
    /// assert_eq!(block_on(manager.open_public(&room, None))?.ttl, DEFAULT_PUBLIC_TTL);
    /// let dm = Name::parse("private:chat.dm.ab1")?;
    /// assert_eq!(block_on(manager.open_public(&dm, None)).unwrap_err().code(), "CHANNEL_INVALID");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `CHANNEL_INVALID` for a private name; `CHANNEL_NOT_FOUND` on a tombstone; the backend's.
    ///
    /// # Cancel safety
    /// Not cancel-safe: once sent, the call may take effect without its event reaching the
    /// local subscribers (other nodes still get it through the registry).
    pub async fn open_public(
        &self,
        name: &Name,
        ttl: Option<Duration>,
    ) -> Result<Channel, G::Error> {
        expect_visibility(name, Visibility::Public)?;
        let (channel, event) = self
            .registry
            .open_public(name, ttl.unwrap_or(DEFAULT_PUBLIC_TTL))
            .await?;
        self.emit(event.into_iter().collect());
        Ok(channel)
    }

    /// Creates a private channel; `None` TTL is [`DEFAULT_PRIVATE_TTL`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::channels::{DEFAULT_PRIVATE_TTL, MAX_PRIVATE_TTL};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let dm = Name::parse("private:chat.dm.ab1")?;
    /// assert_eq!(block_on(manager.create_private(&dm, None))?.ttl, DEFAULT_PRIVATE_TTL);
    /// let other = Name::parse("private:chat.dm.cd2")?;
    /// let too_long = MAX_PRIVATE_TTL + Duration::from_millis(1);
    /// let err = block_on(manager.create_private(&other, Some(too_long))).unwrap_err();
    /// assert_eq!(err.code(), "CHANNEL_TTL_EXCEEDS_MAX");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `CHANNEL_INVALID`, `CHANNEL_TTL_EXCEEDS_MAX`, `CHANNEL_EXISTS`; the backend's.
    ///
    /// # Cancel safety
    /// As [`open_public`](Self::open_public).
    pub async fn create_private(
        &self,
        name: &Name,
        ttl: Option<Duration>,
    ) -> Result<Channel, G::Error> {
        expect_visibility(name, Visibility::Private)?;
        let ttl = ttl.unwrap_or(DEFAULT_PRIVATE_TTL);
        if ttl > MAX_PRIVATE_TTL {
            return Err(ChannelError::TtlExceedsMax {
                channel: name.clone(),
                ttl,
                max: MAX_PRIVATE_TTL,
            }
            .into());
        }
        let (channel, event) = self.registry.create_private(name, ttl).await?;
        self.emit(alloc::vec![event]);
        Ok(channel)
    }

    /// Refreshes an open channel.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::grammar::Name;
    ///
    /// let now = Cell::new(0);
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || now.get());
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let room = Name::parse("public:a.b")?;
    /// block_on(manager.open_public(&room, Some(Duration::from_secs(10))))?;
    /// now.set(8_000);
    /// block_on(manager.touch(&room))?; // active again: expires at 18 s now
    /// assert_eq!(block_on(manager.poll_timeout())?, Some(18_000));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND`, `CHANNEL_CLOSED`; the backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe in effect: a touch is idempotent.
    pub async fn touch(&self, name: &Name) -> Result<(), G::Error> {
        self.registry.touch(name).await
    }

    /// Deletes a channel (a quiet `Ok` if already deleted).
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let room = Name::parse("public:a.b")?;
    /// block_on(manager.open_public(&room, None))?;
    /// block_on(manager.delete(&room))?;
    /// assert_eq!(block_on(manager.get(&room)).unwrap_err().code(), "CHANNEL_NOT_FOUND");
    /// block_on(manager.delete(&room))?; // already deleted: a quiet Ok
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND`; the backend's.
    ///
    /// # Cancel safety
    /// As [`open_public`](Self::open_public).
    pub async fn delete(&self, name: &Name) -> Result<(), G::Error> {
        let event = self.registry.delete(name).await?;
        self.emit(event.into_iter().collect());
        Ok(())
    }

    /// A snapshot of the channel.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId, State};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 5);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let room = Name::parse("public:a.b")?;
    /// block_on(manager.open_public(&room, None))?;
    /// let channel = block_on(manager.get(&room))?;
    /// assert_eq!((channel.state, channel.created_at), (State::Open, 5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND`; the backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    pub async fn get(&self, name: &Name) -> Result<Channel, G::Error> {
        self.registry.get(name).await
    }

    /// Every channel that is not deleted.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let room = Name::parse("public:a.b")?;
    /// block_on(manager.open_public(&room, None))?;
    /// let names: Vec<_> = block_on(manager.list())?.into_iter().map(|c| c.name).collect();
    /// assert_eq!(names, [room]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    pub async fn list(&self) -> Result<Vec<Channel>, G::Error> {
        self.registry.list().await
    }

    /// The number of channels that are not deleted.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// block_on(manager.open_public(&Name::parse("public:a.b")?, None))?;
    /// block_on(manager.create_private(&Name::parse("private:a.b.c")?, None))?;
    /// assert_eq!(block_on(manager.len())?, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    pub async fn len(&self) -> Result<usize, G::Error> {
        self.registry.len().await
    }

    /// Whether there are no channels that are not deleted.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// assert!(block_on(manager.is_empty())?);
    /// block_on(manager.open_public(&Name::parse("public:a.b")?, None))?;
    /// assert!(!block_on(manager.is_empty())?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    pub async fn is_empty(&self) -> Result<bool, G::Error> {
        self.registry.is_empty().await
    }

    /// Turns delta encoding on or off.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let room = Name::parse("public:a.b")?;
    /// block_on(manager.open_public(&room, None))?;
    /// assert!(!block_on(manager.get(&room))?.delta, "off by default");
    /// block_on(manager.set_delta(&room, true))?;
    /// assert!(block_on(manager.get(&room))?.delta);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND`; the backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe in effect: idempotent.
    pub async fn set_delta(&self, name: &Name, enabled: bool) -> Result<(), G::Error> {
        self.registry.set_delta(name, enabled).await
    }

    /// Expires what is due at the registry's clock; returns how many transitions this node
    /// made (and fanned out locally).
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, EventKind, MemoryRegistry, NodeId};
    /// use lindy::grammar::Name;
    ///
    /// let now = Cell::new(0);
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || now.get());
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let mut events = manager.subscribe(8);
    /// let room = Name::parse("public:a.b")?;
    /// block_on(manager.open_public(&room, Some(Duration::from_millis(10))))?;
    /// assert_eq!(block_on(manager.handle_timeout())?, 0, "not due yet");
    /// now.set(10);
    /// assert_eq!(block_on(manager.handle_timeout())?, 1);
    /// let kinds: Vec<_> = std::iter::from_fn(|| events.try_recv().ok()).map(|e| e.kind).collect();
    /// assert_eq!(kinds, [EventKind::Opened, EventKind::Closed]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The backend's.
    ///
    /// # Cancel safety
    /// As [`open_public`](Self::open_public).
    pub async fn handle_timeout(&self) -> Result<usize, G::Error> {
        let events = self.registry.sweep().await?;
        let n = events.len();
        self.emit(events);
        Ok(n)
    }

    /// Renamed [`handle_timeout`](Self::handle_timeout).
    #[deprecated(since = "0.2.0", note = "renamed to `handle_timeout`")]
    pub async fn sweep(&self) -> Result<usize, G::Error> {
        self.handle_timeout().await
    }

    /// When [`handle_timeout`](Self::handle_timeout) next has work, in ms on the registry's
    /// clock.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 5);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// assert_eq!(block_on(manager.poll_timeout())?, None, "nothing can expire");
    /// let room = Name::parse("public:a.b")?;
    /// block_on(manager.open_public(&room, Some(Duration::from_millis(10))))?;
    /// assert_eq!(block_on(manager.poll_timeout())?, Some(15));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    pub async fn poll_timeout(&self) -> Result<Option<u64>, G::Error> {
        self.registry.next_deadline().await
    }

    /// Renamed [`poll_timeout`](Self::poll_timeout).
    #[deprecated(since = "0.2.0", note = "renamed to `poll_timeout`")]
    pub async fn next_deadline(&self) -> Result<Option<u64>, G::Error> {
        self.poll_timeout().await
    }

    /// A subscription to every event, local and remote, holding up to `capacity`.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, EventKind, MemoryRegistry, NodeId};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let mut events = manager.subscribe(8);
    /// let room = Name::parse("public:a.b")?;
    /// block_on(manager.open_public(&room, None))?;
    /// let event = events.try_recv()?;
    /// assert_eq!((event.kind, event.name), (EventKind::Opened, room));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe(&self, capacity: usize) -> Subscription<R> {
        Subscription::new(self.hub.clone(), capacity, None)
    }

    /// A subscription to the events of channels matching `pattern`.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::error::TryRecvError;
    /// use lindy::grammar::{Name, Pattern};
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let mut chat = manager.subscribe_matching(&Pattern::parse("public:chat.**")?, 8);
    /// let room = Name::parse("public:chat.rooms.a")?;
    /// block_on(manager.open_public(&room, None))?;
    /// block_on(manager.open_public(&Name::parse("public:news.today")?, None))?;
    /// assert_eq!(chat.try_recv()?.name, room);
    /// assert_eq!(chat.try_recv(), Err(TryRecvError::Empty), "news is not chat");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe_matching(&self, pattern: &Pattern, capacity: usize) -> Subscription<R> {
        Subscription::new(self.hub.clone(), capacity, Some(pattern))
    }

    /// Live subscriptions.
    ///
    /// ```
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// assert_eq!(manager.subscribers(), 0);
    /// let events = manager.subscribe(8);
    /// assert_eq!(manager.subscribers(), 1);
    /// drop(events);
    /// assert_eq!(manager.subscribers(), 0);
    /// ```
    pub fn subscribers(&self) -> usize {
        self.hub.subscriber_count()
    }

    /// Fans out an event another node made; `false` (and nothing delivered) if it is an echo of
    /// this node's own.
    ///
    /// ```
    /// use lindy::channels::{AsyncManager, BlockingRegistry, MemoryRegistry, NodeId};
    /// use lindy::channels::{Event, EventKind, RemoteEvent};
    /// use lindy::grammar::Name;
    ///
    /// let registry = BlockingRegistry::new(MemoryRegistry::new(), || 0);
    /// let manager = AsyncManager::new(registry, NodeId(1));
    /// let mut events = manager.subscribe(8);
    /// let event = Event::new(EventKind::Deleted, Name::parse("public:a.b")?, 11);
    /// let from = |origin| RemoteEvent { origin: NodeId(origin), event: event.clone() };
    /// assert!(!manager.apply_remote(&from(1)), "an echo of this node's own event");
    /// assert!(manager.apply_remote(&from(2)));
    /// assert_eq!(events.try_recv()?, event);
    /// assert!(events.try_recv().is_err(), "the echo was not delivered");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_remote(&self, event: &RemoteEvent) -> bool {
        match self.hub.fan_out_remote(event.origin, &event.event) {
            Some(w) => {
                w.wake();
                true
            }
            None => false,
        }
    }
}

impl<G, R: RawMutex> Drop for AsyncManager<G, R> {
    fn drop(&mut self) {
        self.hub.close().wake();
    }
}

impl<G, R: RawMutex> fmt::Debug for AsyncManager<G, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncManager")
            .field("node", &self.hub.node())
            .field("subscribers", &self.hub.subscriber_count())
            .finish()
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use crate::channels::{EventKind, MemoryRegistry};
    use core::sync::atomic::{AtomicU64, Ordering};
    use futures::executor::block_on;

    #[test]
    fn the_async_manager_validates_fans_out_and_filters_echoes() {
        block_on(async {
            // The in-memory registry behind the async trait, with its own clock: what a
            // networked registry looks like to the manager.
            let now = Arc::new(AtomicU64::new(0));
            let clock = {
                let now = now.clone();
                move || now.load(Ordering::Relaxed)
            };
            let m = AsyncManager::new(
                BlockingRegistry::new(MemoryRegistry::new(), clock),
                NodeId(1),
            );
            let mut sub = m.subscribe(16);
            let room = Name::parse("public:chat.rooms.a").unwrap();
            let dm = Name::parse("private:chat.dm.ab1").unwrap();
            m.open_public(&room, Some(Duration::from_millis(10)))
                .await
                .unwrap();
            assert_eq!(
                m.open_public(&dm, None).await.unwrap_err().code(),
                "CHANNEL_INVALID"
            );
            assert_eq!(
                m.create_private(&dm, Some(MAX_PRIVATE_TTL + Duration::from_millis(1)))
                    .await
                    .unwrap_err()
                    .code(),
                "CHANNEL_TTL_EXCEEDS_MAX"
            );
            assert_eq!(m.poll_timeout().await.unwrap(), Some(10));
            now.store(10, Ordering::Relaxed);
            assert_eq!(m.handle_timeout().await.unwrap(), 1);
            assert_eq!(m.len().await.unwrap(), 1);
            assert!(!m.is_empty().await.unwrap());
            // A remote event is fanned out; an echo of this node's own is not.
            let remote = |origin| RemoteEvent {
                origin: NodeId(origin),
                event: Event::new(EventKind::Deleted, room.clone(), 11),
            };
            assert!(!m.apply_remote(&remote(1)), "echo");
            assert!(m.apply_remote(&remote(2)));
            let seen: Vec<_> = core::iter::from_fn(|| sub.try_recv().ok())
                .map(|e| (e.kind, e.at))
                .collect();
            assert_eq!(
                seen,
                [
                    (EventKind::Opened, 0),
                    (EventKind::Closed, 10),
                    (EventKind::Deleted, 11)
                ]
            );
            assert_eq!(m.node_id(), NodeId(1));
        });
    }
}

//! [`Manager`]: channel lifecycle over a [`Registry`], with subscribers and a bus.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::bus::{EventBus, NodeId, RemoteEvent};
use super::subscribe::{EventBatch, Hub, Subscription, Wakeups};
use super::{
    Channel, ChannelError, Clock, Event, MemoryRegistry, Registry, DEFAULT_PRIVATE_TTL,
    DEFAULT_PUBLIC_TTL, MAX_PRIVATE_TTL,
};
use crate::grammar::{Name, Pattern, Visibility};
use crate::sync::{Arc, DefaultRawMutex, Mutex, RawMutex};

type SweepHook = Arc<dyn Fn(&[Channel]) + Send + Sync>;
type Bus = Arc<dyn EventBus + Send + Sync>;

struct Inner<G> {
    registry: G,
    bus: Option<Bus>,
    on_sweep: Option<SweepHook>,
}

impl<G> Inner<G> {
    /// Queues `events` for the bus and fans them out locally. Runs under the manager's lock, so
    /// subscribers and other nodes see one channel's transitions in the order they happened; the
    /// bus itself is called later, with no lock held ([`Manager::flush_bus`]). Returns whether
    /// anything was queued for the bus.
    fn emit<R: RawMutex, B: EventBatch>(
        &self,
        hub: &Hub<R>,
        outbox: &Mutex<R, Outbox>,
        events: B,
    ) -> (Wakeups, bool) {
        let mut queued = false;
        if let Some(bus) = &self.bus {
            let origin = bus.node_id();
            outbox.lock(|o| {
                for event in events.as_ref() {
                    o.queue.push_back((
                        bus.clone(),
                        RemoteEvent {
                            origin,
                            event: event.clone(),
                        },
                    ));
                    queued = true;
                }
            });
        }
        (hub.fan_out(events), queued)
    }
}

/// Events waiting to be published on the bus, in the order they happened, and whether a thread
/// is publishing them. The bus is user code, so it never runs under the registry lock (a bus that
/// calls back into the manager would deadlock); one thread at a time drains the outbox, so the
/// order survives.
#[derive(Default)]
struct Outbox {
    queue: VecDeque<(Bus, RemoteEvent)>,
    draining: bool,
}

/// Owns channel lifecycle: opening, creating, touching, deleting and expiring channels, and
/// telling subscribers (and other nodes) about every transition.
///
/// * **State** lives in a [`Registry`] (`G`, by default the in-memory [`MemoryRegistry`]); the
///   manager validates visibility and TTLs before it calls the registry (see the
///   [module docs](super) for the rules).
/// * **Time** comes from a [`Clock`]: [`Manager::new`] uses the [`SystemClock`](super::SystemClock)
///   on std; without std, [`Manager::with_clock`] is the way in. Expiry is driven from outside,
///   sans-IO: call [`handle_timeout(now)`](Self::handle_timeout) when
///   [`poll_timeout`](Self::poll_timeout) says, or let [`run_sweeper`](Self::run_sweeper)
///   (std) do it on a timer thread.
/// * **Events** go to [`Subscription`]s (bounded queues: a slow subscriber misses events and is
///   told how many, it never blocks the manager) and to an [`EventBus`], if one is set.
/// * **Locking**: every method takes `&self`; state sits behind one [`Mutex`] with the lock `R`.
///   On std the manager is `Send + Sync`; share it with an `Arc`.
///
/// ```
/// use std::time::Duration;
/// use lindy::channels::{EventKind, Manager, State};
/// use lindy::grammar::Name;
///
/// let manager = Manager::with_clock(|| 0);
/// let mut events = manager.subscribe(8);
/// let lobby = Name::parse("public:chat.rooms.lobby")?;
///
/// manager.open_public(&lobby, Some(Duration::from_secs(60)))?;
/// assert_eq!(manager.poll_timeout(), Some(60_000));
/// assert_eq!(manager.handle_timeout(60_000), 1); // idle for a whole TTL: closed
/// assert_eq!(manager.get(&lobby)?.state, State::Closed);
///
/// let kinds: Vec<_> = std::iter::from_fn(|| events.try_recv().ok()).map(|e| e.kind).collect();
/// assert_eq!(kinds, [EventKind::Opened, EventKind::Closed]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Manager<G: Registry = MemoryRegistry, R: RawMutex = DefaultRawMutex> {
    inner: Mutex<R, Inner<G>>,
    outbox: Mutex<R, Outbox>,
    hub: Arc<Hub<R>>,
    clock: Box<dyn Clock + Send + Sync>,
}

#[cfg(feature = "std")]
impl Manager<MemoryRegistry, DefaultRawMutex> {
    /// A manager over an empty [`MemoryRegistry`], on the [`SystemClock`](super::SystemClock).
    ///
    /// ```
    /// let manager = lindy::channels::Manager::new(); // wall-clock ms since the Unix epoch
    /// assert!(manager.now() > 1_600_000_000_000);
    /// ```
    pub fn new() -> Self {
        Self::with_clock(super::SystemClock)
    }
}

#[cfg(feature = "std")]
impl Default for Manager<MemoryRegistry, DefaultRawMutex> {
    fn default() -> Self {
        Self::new()
    }
}

impl Manager<MemoryRegistry, DefaultRawMutex> {
    /// A manager over an empty [`MemoryRegistry`] with `clock` (any `Fn() -> u64` of
    /// milliseconds). The way to build one without std, and in tests.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    ///
    /// let t = Arc::new(AtomicU64::new(5));
    /// let manager = lindy::channels::Manager::with_clock({
    ///     let t = t.clone();
    ///     move || t.load(Ordering::Relaxed)
    /// });
    /// t.store(9, Ordering::Relaxed);
    /// assert_eq!(manager.now(), 9);
    /// ```
    pub fn with_clock(clock: impl Clock + Send + Sync + 'static) -> Self {
        Manager::with_registry(MemoryRegistry::new(), clock)
    }
}

impl<G: Registry, R: RawMutex> Manager<G, R> {
    /// A manager over `registry` with `clock`: the general constructor, for any registry and any
    /// lock. Name the type so the lock is known — `Manager::<MyRegistry>::with_registry(..)` for
    /// the default lock, `Manager::<MemoryRegistry, NoopRawMutex>::with_registry(..)` on
    /// single-threaded wasm.
    ///
    /// ```
    /// use lindy::channels::{Manager, MemoryRegistry};
    /// use lindy::sync::NoopRawMutex;
    ///
    /// // Name the lock when it is not the default (here: single-threaded).
    /// let manager = Manager::<MemoryRegistry, NoopRawMutex>::with_registry(MemoryRegistry::new(), || 0);
    /// assert!(manager.is_empty());
    /// ```
    pub fn with_registry(registry: G, clock: impl Clock + Send + Sync + 'static) -> Self {
        Manager {
            inner: Mutex::new(Inner {
                registry,
                bus: None,
                on_sweep: None,
            }),
            outbox: Mutex::new(Outbox::default()),
            hub: Arc::new(Hub::new()),
            clock: Box::new(clock),
        }
    }

    /// Now, in ms, on the manager's clock.
    ///
    /// ```
    /// assert_eq!(lindy::channels::Manager::with_clock(|| 42).now(), 42);
    /// ```
    pub fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Runs `op` on the registry under the lock, emits the events it returns, and wakes
    /// subscribers after unlocking.
    fn mutate<T>(
        &self,
        op: impl FnOnce(&mut G) -> Result<(T, Option<Event>), ChannelError>,
    ) -> Result<T, ChannelError> {
        let (result, wakeups) = self.inner.lock(|inner| match op(&mut inner.registry) {
            Ok((value, Some(event))) => {
                let w = inner.emit(&self.hub, &self.outbox, [event]);
                (Ok(value), Some(w))
            }
            Ok((value, None)) => (Ok(value), None),
            Err(e) => (Err(e), None),
        });
        if let Some((w, queued)) = wakeups {
            w.wake();
            if queued {
                self.flush_bus();
            }
        }
        result
    }

    /// Publishes the queued bus events, in order, with no lock held — unless another call is
    /// already doing so (it then publishes ours too: a bus that calls back into the manager from
    /// `publish` finds its own events published right after it returns).
    fn flush_bus(&self) {
        if !self
            .outbox
            .lock(|o| !core::mem::replace(&mut o.draining, true))
        {
            return;
        }
        // If `publish` panics, let the next caller drain (the events stay queued).
        struct Release<'a, R: RawMutex>(&'a Mutex<R, Outbox>);
        impl<R: RawMutex> Drop for Release<'_, R> {
            fn drop(&mut self) {
                self.0.lock(|o| o.draining = false);
            }
        }
        let release = Release(&self.outbox);
        loop {
            let next = self.outbox.lock(|o| {
                let next = o.queue.pop_front();
                if next.is_none() {
                    o.draining = false;
                }
                next
            });
            match next {
                Some((bus, event)) => bus.publish(&event),
                None => break,
            }
        }
        core::mem::forget(release); // `draining` was cleared with the last (empty) pop
    }

    /// Opens a public channel, or refreshes or re-opens it. `ttl` defaults to
    /// [`DEFAULT_PUBLIC_TTL`].
    ///
    /// * unknown → created, event `Opened`;
    /// * open → TTL and last-active refreshed, no event;
    /// * closed → re-opened (TTL and last-active refreshed, delta flag kept), event `Opened`.
    ///
    /// `ttl: None` is the default; `Some(Duration::ZERO)` is a real zero TTL — the channel
    /// expires at the next [`handle_timeout`](Self::handle_timeout). (Go's
    /// `OpenPublic(name, 0)` meant "the default": port it to `None`.)
    ///
    /// # Errors
    /// `CHANNEL_INVALID` if `name` is private; `CHANNEL_NOT_FOUND` if it was deleted (see the
    /// tombstone rule on [`MemoryRegistry`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let manager = Manager::with_clock(|| 0);
    /// let name = Name::parse("public:chat.rooms")?;
    /// let channel = manager.open_public(&name, None)?;
    /// assert_eq!(channel.ttl, lindy::channels::DEFAULT_PUBLIC_TTL);
    /// // `Some(Duration::ZERO)` is a zero TTL (expires at the next sweep), not "the default".
    /// manager.open_public(&name, Some(Duration::ZERO))?;
    /// assert_eq!(manager.handle_timeout(0), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_public(&self, name: &Name, ttl: Option<Duration>) -> Result<Channel, ChannelError> {
        expect_visibility(name, Visibility::Public)?;
        let ttl = ttl.unwrap_or(DEFAULT_PUBLIC_TTL);
        let now = self.now();
        self.mutate(|r| r.open_public(name, ttl, now))
    }

    /// Creates a private channel (event `Opened`). `ttl` defaults to [`DEFAULT_PRIVATE_TTL`] and
    /// may be at most [`MAX_PRIVATE_TTL`] (inclusive).
    ///
    /// # Errors
    /// `CHANNEL_INVALID` if `name` is public; `CHANNEL_TTL_EXCEEDS_MAX` if `ttl` is above the
    /// maximum; `CHANNEL_EXISTS` if any record with that name exists (open, or a tombstone).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let manager = Manager::with_clock(|| 0);
    /// let dm = Name::parse("private:chat.dm.u42")?;
    /// manager.create_private(&dm, Some(Duration::from_secs(60)))?;
    /// assert_eq!(manager.create_private(&dm, None).unwrap_err().code(), "CHANNEL_EXISTS");
    /// let too_long = Some(Duration::from_secs(2 * 60 * 60));
    /// let other = Name::parse("private:chat.dm.u43")?;
    /// assert_eq!(manager.create_private(&other, too_long).unwrap_err().code(), "CHANNEL_TTL_EXCEEDS_MAX");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_private(
        &self,
        name: &Name,
        ttl: Option<Duration>,
    ) -> Result<Channel, ChannelError> {
        expect_visibility(name, Visibility::Private)?;
        let ttl = ttl.unwrap_or(DEFAULT_PRIVATE_TTL);
        if ttl > MAX_PRIVATE_TTL {
            return Err(ChannelError::TtlExceedsMax {
                channel: name.clone(),
                ttl,
                max: MAX_PRIVATE_TTL,
            });
        }
        let now = self.now();
        self.mutate(|r| r.create_private(name, ttl, now).map(|(c, e)| (c, Some(e))))
    }

    /// Marks the channel active now, postponing its expiry by a whole TTL. O(1), no event.
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND` if unknown or deleted; `CHANNEL_CLOSED` if closed.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let t = Arc::new(AtomicU64::new(0));
    /// let manager = Manager::with_clock({ let t = t.clone(); move || t.load(Ordering::Relaxed) });
    /// let name = Name::parse("public:a.b")?;
    /// manager.open_public(&name, Some(Duration::from_secs(1)))?;
    /// t.store(900, Ordering::Relaxed);
    /// manager.touch(&name)?;
    /// assert_eq!(manager.poll_timeout(), Some(1_900));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn touch(&self, name: &Name) -> Result<(), ChannelError> {
        let now = self.now();
        self.inner.lock(|inner| inner.registry.touch(name, now))
    }

    /// Deletes the channel (event `Deleted`). Deleting a deleted channel is `Ok` and emits
    /// nothing.
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND` if there is no record with that name.
    ///
    /// ```
    /// use lindy::channels::EventKind;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let manager = Manager::with_clock(|| 0);
    /// let mut events = manager.subscribe(4);
    /// let name = Name::parse("public:a.b")?;
    /// manager.open_public(&name, None)?;
    /// manager.delete(&name)?;
    /// manager.delete(&name)?; // already deleted: Ok, no event
    /// let kinds: Vec<_> = std::iter::from_fn(|| events.try_recv().ok()).map(|e| e.kind).collect();
    /// assert_eq!(kinds, [EventKind::Opened, EventKind::Deleted]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete(&self, name: &Name) -> Result<(), ChannelError> {
        let now = self.now();
        self.mutate(|r| r.delete(name, now).map(|e| ((), e)))
    }

    /// A snapshot of the channel.
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND` if unknown or deleted.
    ///
    /// ```
    /// use lindy::channels::State;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let manager = Manager::with_clock(|| 7);
    /// let name = Name::parse("public:a.b")?;
    /// manager.open_public(&name, None)?;
    /// let channel = manager.get(&name)?;
    /// assert_eq!((channel.state, channel.created_at), (State::Open, 7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, name: &Name) -> Result<Channel, ChannelError> {
        self.inner.lock(|inner| inner.registry.get(name))
    }

    /// Snapshots of every channel that is not deleted, in no particular order.
    ///
    /// ```
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let manager = Manager::with_clock(|| 0);
    /// manager.open_public(&Name::parse("public:a.b")?, None)?;
    /// manager.open_public(&Name::parse("public:a.c")?, None)?;
    /// assert_eq!(manager.list().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn list(&self) -> Vec<Channel> {
        self.inner.lock(|inner| inner.registry.list())
    }

    /// The number of channels that are not deleted.
    ///
    /// ```
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let manager = Manager::with_clock(|| 0);
    /// manager.open_public(&Name::parse("public:a.b")?, None)?;
    /// assert_eq!(manager.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.inner.lock(|inner| inner.registry.len())
    }

    /// Whether there are no channels (deleted ones aside).
    ///
    /// ```
    /// assert!(lindy::channels::Manager::with_clock(|| 0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the channel exists and is open. A channel past its TTL stays open until the
    /// next sweep.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let manager = Manager::with_clock(|| 0);
    /// let name = Name::parse("public:a.b")?;
    /// manager.open_public(&name, Some(Duration::from_millis(10)))?;
    /// assert!(manager.is_open(&name));
    /// manager.handle_timeout(10);
    /// assert!(!manager.is_open(&name));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_open(&self, name: &Name) -> bool {
        self.inner.lock(|inner| inner.registry.is_open(name))
    }

    /// Turns delta encoding on or off for the channel (off by default; kept across close and
    /// re-open).
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND` if unknown or deleted.
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// let name = lindy::grammar::Name::parse("public:a.b")?;
    /// manager.open_public(&name, None)?;
    /// manager.set_delta(&name, true)?;
    /// assert!(manager.is_delta(&name));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_delta(&self, name: &Name, enabled: bool) -> Result<(), ChannelError> {
        self.inner
            .lock(|inner| inner.registry.set_delta(name, enabled))
    }

    /// Whether the channel exists and has delta encoding on.
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// let name = lindy::grammar::Name::parse("public:a.b")?;
    /// manager.open_public(&name, None)?;
    /// assert!(!manager.is_delta(&name)); // off by default
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_delta(&self, name: &Name) -> bool {
        self.inner.lock(|inner| inner.registry.is_delta(name))
    }

    /// Renamed [`handle_timeout`](Self::handle_timeout).
    #[deprecated(since = "0.2.0", note = "renamed `handle_timeout` (acts at `now`)")]
    pub fn sweep(&self, now: u64) -> usize {
        self.handle_timeout(now)
    }

    /// Renamed [`handle_timeout_now`](Self::handle_timeout_now).
    #[deprecated(since = "0.2.0", note = "renamed `handle_timeout_now`")]
    pub fn sweep_now(&self) -> usize {
        self.handle_timeout_now()
    }

    /// Renamed [`poll_timeout`](Self::poll_timeout).
    #[deprecated(
        since = "0.2.0",
        note = "renamed `poll_timeout` (answers the next deadline)"
    )]
    pub fn next_deadline(&self) -> Option<u64> {
        self.poll_timeout()
    }

    /// Calls `hook` after every sweep with the list of channels (deleted ones omitted), for
    /// metrics — channel names go nowhere else. Replaces any previous hook.
    ///
    /// The hook runs on the sweeping thread, after the manager's lock is released (it may call
    /// the manager). Building the list costs one snapshot per channel per sweep.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let manager = Manager::with_clock(|| 0);
    /// manager.open_public(&Name::parse("public:a.b")?, None)?;
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// manager.on_sweep({
    ///     let seen = seen.clone();
    ///     move |channels| seen.store(channels.len(), Ordering::Relaxed)
    /// });
    /// manager.handle_timeout(0);
    /// assert_eq!(seen.load(Ordering::Relaxed), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_sweep(&self, hook: impl Fn(&[Channel]) + Send + Sync + 'static) {
        let old = self
            .inner
            .lock(|inner| inner.on_sweep.replace(Arc::from(Box::new(hook) as Box<_>)));
        drop(old);
    }

    /// Removes the [`on_sweep`](Self::on_sweep) hook.
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// manager.on_sweep(|_| panic!("removed before any sweep"));
    /// manager.clear_on_sweep();
    /// manager.handle_timeout(0);
    /// ```
    pub fn clear_on_sweep(&self) {
        let old = self.inner.lock(|inner| inner.on_sweep.take());
        drop(old);
    }

    /// Subscribes to every lifecycle event, with a queue of `capacity` events (at least 1).
    /// Events that arrive while the queue is full are dropped for this subscriber and counted
    /// in [`Subscription::missed`].
    ///
    /// ```
    /// use lindy::channels::EventKind;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let manager = Manager::with_clock(|| 0);
    /// let mut events = manager.subscribe(8);
    /// manager.open_public(&Name::parse("public:a.b")?, None)?;
    /// assert_eq!(events.try_recv()?.kind, EventKind::Opened);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe(&self, capacity: usize) -> Subscription<R> {
        Subscription::new(self.hub.clone(), capacity, None)
    }

    /// Like [`subscribe`](Self::subscribe), but only for channels whose name matches `pattern`
    /// (routed through a [`PatternIndex`](crate::grammar::PatternIndex), so many filtered
    /// subscribers cost O(name depth) per event, not O(subscribers)).
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    /// let manager = Manager::with_clock(|| 0);
    /// let mut chat = manager.subscribe_matching(&Pattern::parse("public:chat.**")?, 8);
    /// manager.open_public(&Name::parse("public:news.today")?, None)?;
    /// manager.open_public(&Name::parse("public:chat.rooms")?, None)?;
    /// assert_eq!(chat.try_recv()?.name.as_str(), "public:chat.rooms");
    /// assert!(chat.try_recv().is_err(), "news was filtered out");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe_matching(&self, pattern: &Pattern, capacity: usize) -> Subscription<R> {
        Subscription::new(self.hub.clone(), capacity, Some(pattern))
    }

    /// Live subscriptions.
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// let sub = manager.subscribe(1);
    /// assert_eq!(manager.subscribers(), 1);
    /// drop(sub);
    /// assert_eq!(manager.subscribers(), 0);
    /// ```
    pub fn subscribers(&self) -> usize {
        self.hub.subscriber_count()
    }

    /// Connects the manager to a cross-node bus: every event it emits from now on is also
    /// published there, stamped with `bus.node_id()`, and remote events with that origin are
    /// ignored by [`apply_remote`](Self::apply_remote). Replaces any previous bus.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lindy::channels::{EventBus, Manager, NodeId, RemoteEvent};
    /// use lindy::grammar::Name;
    ///
    /// struct Log(std::sync::Mutex<Vec<String>>);
    /// impl EventBus for Log {
    ///     fn node_id(&self) -> NodeId { NodeId(1) }
    ///     fn publish(&self, event: &RemoteEvent) {
    ///         self.0.lock().unwrap().push(event.event.name.to_string());
    ///     }
    /// }
    /// let bus = Arc::new(Log(Default::default()));
    /// let manager = Manager::with_clock(|| 0);
    /// manager.set_bus(bus.clone());
    /// manager.open_public(&Name::parse("public:a.b")?, None)?;
    /// assert_eq!(*bus.0.lock().unwrap(), ["public:a.b"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_bus(&self, bus: Arc<dyn EventBus + Send + Sync>) {
        let node = bus.node_id();
        let old = self.inner.lock(|inner| {
            // Under the manager lock, so no event is published on the new bus before the
            // echo filter knows the new id.
            self.hub.set_node(Some(node));
            inner.bus.replace(bus)
        });
        drop(old);
    }

    /// Disconnects the bus (events stay local).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let bus = lindy::channels::LocalBus::new();
    /// let manager = Arc::new(lindy::channels::Manager::with_clock(|| 0));
    /// bus.attach(&manager);
    /// assert!(manager.node_id().is_some());
    /// manager.clear_bus();
    /// assert_eq!(manager.node_id(), None);
    /// ```
    pub fn clear_bus(&self) {
        let old = self.inner.lock(|inner| {
            self.hub.set_node(None);
            inner.bus.take()
        });
        drop(old);
    }

    /// This manager's node id on its bus, if it has one.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let manager = Arc::new(lindy::channels::Manager::with_clock(|| 0));
    /// assert_eq!(manager.node_id(), None);
    /// let id = lindy::channels::LocalBus::new().attach(&manager);
    /// assert_eq!(manager.node_id(), Some(id));
    /// ```
    pub fn node_id(&self) -> Option<NodeId> {
        self.hub.node()
    }

    /// Delivers an event from another node to this manager's subscribers; the inbound half of an
    /// [`EventBus`]. Returns `false` (and delivers nothing) if the event is this node's own echo.
    /// Remote events are never published again and never change the registry.
    ///
    /// Takes only the subscribers' lock, never the registry's, so a bus may call it from inside
    /// another manager's `publish`.
    ///
    /// ```
    /// use lindy::channels::{Event, EventKind, Manager, NodeId, RemoteEvent};
    /// use lindy::grammar::Name;
    ///
    /// let manager = Manager::with_clock(|| 0);
    /// let mut events = manager.subscribe(4);
    /// let remote = RemoteEvent {
    ///     origin: NodeId(7),
    ///     event: Event::new(EventKind::Opened, Name::parse("public:a.b")?, 100),
    /// };
    /// assert!(manager.apply_remote(&remote)); // fanned out to local subscribers
    /// assert_eq!(events.try_recv()?.at, 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_remote(&self, event: &RemoteEvent) -> bool {
        match self.hub.fan_out_remote(event.origin, &event.event) {
            Some(wakeups) => {
                wakeups.wake();
                true
            }
            None => false,
        }
    }
}

/// The visibility check `open_public` / `open_private` share with the async twin.
pub(super) fn expect_visibility(name: &Name, expected: Visibility) -> Result<(), ChannelError> {
    if name.visibility() == expected {
        Ok(())
    } else {
        Err(ChannelError::WrongVisibility {
            channel: name.clone(),
            expected,
        })
    }
}

/// The sans-IO timeout pair (quinn-proto's convention, used across lindy): `poll_timeout()`
/// answers when there is work, `handle_timeout(now)` does it.
impl<G: Registry, R: RawMutex> Manager<G, R> {
    /// Runs one expiry pass at `now` (ms): every open channel idle for at least its TTL
    /// (`now - last_active >= ttl`) expires — a public one is closed (event `Closed`), a private
    /// one deleted and removed (event `Deleted`) — and tombstones past their reap time are
    /// dropped. Returns the number of transitions.
    ///
    /// Then the [`on_sweep`](Self::on_sweep) hook, if any, is called with the channel list.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{Manager, State};
    /// use lindy::grammar::Name;
    ///
    /// let manager = Manager::with_clock(|| 0);
    /// let name = Name::parse("public:chat.rooms.lobby")?;
    /// manager.open_public(&name, Some(Duration::from_secs(1)))?;
    /// assert_eq!(manager.handle_timeout(999), 0);
    /// assert_eq!(manager.handle_timeout(1_000), 1);
    /// assert_eq!(manager.get(&name)?.state, State::Closed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn handle_timeout(&self, now: u64) -> usize {
        let (transitions, (wakeups, queued), hook) = self.inner.lock(|inner| {
            let events = inner.registry.sweep(now);
            let transitions = events.len();
            let emitted = inner.emit(&self.hub, &self.outbox, events);
            let hook = inner
                .on_sweep
                .clone()
                .map(|hook| (hook, inner.registry.list()));
            (transitions, emitted, hook)
        });
        wakeups.wake();
        if queued {
            self.flush_bus();
        }
        if let Some((hook, list)) = hook {
            hook(&list);
        }
        transitions
    }

    /// [`handle_timeout`](Self::handle_timeout) at the manager clock's now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    ///
    /// let manager = Manager::with_clock(|| 5_000);
    /// manager.open_public(&Name::parse("public:a.b")?, Some(Duration::ZERO))?;
    /// assert_eq!(manager.handle_timeout_now(), 1, "a zero TTL expires on the next pass");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn handle_timeout_now(&self) -> usize {
        self.handle_timeout(self.now())
    }

    /// The earliest time (ms) at which [`handle_timeout`](Self::handle_timeout) has work to
    /// do — a channel's expiry, or a tombstone's reap time — or `None` if nothing can expire.
    /// A sans-IO driver sleeps until then and calls `handle_timeout`; since touches only move
    /// deadlines later, acting then is never too late (at worst it finds the channel was
    /// touched and answers a later deadline next time).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    ///
    /// let manager = Manager::with_clock(|| 100);
    /// assert_eq!(manager.poll_timeout(), None);
    /// manager.open_public(&Name::parse("public:a.b")?, Some(Duration::from_millis(50)))?;
    /// assert_eq!(manager.poll_timeout(), Some(150));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn poll_timeout(&self) -> Option<u64> {
        self.inner.lock(|inner| inner.registry.next_deadline())
    }
}

impl<G: Registry, R: RawMutex> Drop for Manager<G, R> {
    /// Subscribers see the end of their stream once they have drained their queues.
    fn drop(&mut self) {
        self.hub.close().wake();
    }
}

impl<G: Registry, R: RawMutex> fmt::Debug for Manager<G, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (channels, bus) = self
            .inner
            .lock(|inner| (inner.registry.len(), inner.bus.is_some()));
        f.debug_struct("Manager")
            .field("channels", &channels)
            .field("subscribers", &self.hub.subscriber_count())
            .field("bus", &bus)
            .field("node", &self.hub.node())
            .finish()
    }
}

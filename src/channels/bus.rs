//! The cross-node seam: [`EventBus`], [`RemoteEvent`], and [`LocalBus`] (in-process).

use core::fmt;

use super::Event;
// `LocalBus` and what it needs are left out on targets without compare-and-swap (Cortex-M0):
// it type-erases managers as `Weak<dyn _>`, which portable-atomic's `Weak` cannot express on
// stable Rust (see `crate::sync::Arc`). `EventBus` and `Manager::set_bus` remain.
#[cfg(target_has_atomic = "ptr")]
use super::{Manager, Registry};
#[cfg(target_has_atomic = "ptr")]
use crate::sync::{Arc, DefaultRawMutex, Mutex, RawMutex, Weak};
#[cfg(target_has_atomic = "ptr")]
use alloc::vec::Vec;

/// Identifies one node (one [`Manager`]) on a bus, so it can recognise its own echo.
///
/// Buses choose ids: [`LocalBus`] counts from 1; a network bus would use a random `u64` per
/// process or tab.
///
/// ```
/// use std::sync::Arc;
/// let bus = lindy::channels::LocalBus::new();
/// let (a, b) = (Arc::new(lindy::channels::Manager::with_clock(|| 0)), Arc::new(lindy::channels::Manager::with_clock(|| 0)));
/// assert_ne!(bus.attach(&a), bus.attach(&b));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NodeId(pub u64);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node-{:x}", self.0)
    }
}

/// An [`Event`] on the wire between nodes, tagged with the node that emitted it.
///
/// ```
/// use lindy::channels::{Event, EventKind, NodeId, RemoteEvent};
/// let remote = RemoteEvent {
///     origin: NodeId(3),
///     event: Event::new(EventKind::Closed, lindy::grammar::Name::parse("public:a.b")?, 10),
/// };
/// assert_eq!(remote.event.kind.as_str(), "closed");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RemoteEvent {
    /// The node whose manager made the transition.
    pub origin: NodeId,
    /// The transition.
    pub event: Event,
}

/// The cross-node bridge for lifecycle events: a transition on node A reaches the subscribers
/// of every other node's [`Manager`].
///
/// The seam is sans-IO and executor-agnostic. It has two halves:
///
/// * **outbound** — [`publish`](Self::publish): the manager calls it for every event it emits,
///   in the order the events happened (they are queued under the registry lock, with the local
///   fan-out), but *with no lock held*: one thread at a time publishes the queue. So `publish` may
///   call back into the publishing manager; it should still not block (it delays every other
///   event of the manager): hand the event to a transport (post a message, push onto an outgoing
///   queue drained by an I/O task) and return. It cannot fail: a transport error is the bus's to
///   report or retry.
/// * **inbound** — the bus's receiving side (a thread, a task, a JS `onmessage` handler) calls
///   [`Manager::apply_remote`] for every event it receives. The manager drops events whose
///   [`origin`](RemoteEvent::origin) is its own [`node_id`](Self::node_id) (the echo most
///   pub/sub transports deliver back to the publisher), fans the rest out to its local
///   subscribers, and never publishes them again, so events do not loop.
///
/// A bus carries events only; it does not sync registries. Nodes that should agree on channel
/// *state* share a [`Registry`] (e.g. one backed by Redis), as in the seed.
///
/// How the planned buses fit:
///
/// * **Redis pub/sub:** `node_id` is a random `u64`; `publish` serialises the [`RemoteEvent`]
///   (serde, feature `serde`) onto an unbounded channel drained by an async task that
///   `PUBLISH`es to `<prefix>:events`; a task `SUBSCRIBE`d to the same key deserialises each
///   message and calls `apply_remote` (Redis echoes our own publishes: the manager drops them).
/// * **BroadcastChannel (browser tabs, workers):** `publish` calls `postMessage` (synchronous,
///   non-blocking); the `onmessage` handler calls `apply_remote`. BroadcastChannel does not echo
///   to the sender, and the origin check makes that irrelevant anyway.
///
/// Wiring: [`Manager::set_bus`]. [`LocalBus`] is the in-process implementation (tests, several
/// managers in one process).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use lindy::channels::{EventBus, Manager, NodeId, RemoteEvent};
///
/// /// A bus that queues events for an I/O task to send (here: a Vec).
/// struct Outbox(Mutex<Vec<RemoteEvent>>);
/// impl EventBus for Outbox {
///     fn node_id(&self) -> NodeId { NodeId(42) }
///     fn publish(&self, event: &RemoteEvent) { self.0.lock().unwrap().push(event.clone()); }
/// }
/// let outbox = Arc::new(Outbox(Mutex::new(Vec::new())));
/// let manager = Manager::with_clock(|| 0);
/// manager.set_bus(outbox.clone());
/// manager.open_public(&lindy::grammar::Name::parse("public:a.b")?, None)?;
/// let sent = outbox.0.lock().unwrap();
/// assert_eq!((sent.len(), sent[0].origin), (1, NodeId(42)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait EventBus {
    /// This node's id: stamped on every published event, and what the manager filters its own
    /// echo by.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lindy::channels::{EventBus, LocalBus, Manager};
    /// let manager = Arc::new(Manager::with_clock(|| 0));
    /// let id = LocalBus::new().attach(&manager);
    /// assert_eq!(manager.node_id(), Some(id));
    /// ```
    fn node_id(&self) -> NodeId;

    /// Hands `event` to the other nodes (the manager delivers it locally itself). Should not
    /// block. The manager calls it with no lock held, in the order the events happened, so it may
    /// call back into the publishing manager (events that causes are published after it returns).
    ///
    /// ```
    /// use std::sync::{mpsc, Arc, Mutex};
    /// use lindy::channels::{EventBus, EventKind, Manager, NodeId, RemoteEvent};
    /// use lindy::grammar::Name;
    ///
    /// /// Hands each event to a sender task over a channel: never blocks, never fails.
    /// struct Wire(Mutex<mpsc::Sender<RemoteEvent>>);
    /// impl EventBus for Wire {
    ///     fn node_id(&self) -> NodeId { NodeId(1) }
    ///     fn publish(&self, event: &RemoteEvent) {
    ///         let _ = self.0.lock().unwrap().send(event.clone()); // a closed wire is the bus's to report
    ///     }
    /// }
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let a = Manager::with_clock(|| 5);
    /// a.set_bus(Arc::new(Wire(Mutex::new(tx))));
    /// let b = Manager::with_clock(|| 5); // the other node: here, in the same process
    /// let mut on_b = b.subscribe(8);
    ///
    /// a.open_public(&Name::parse("public:chat.rooms")?, None)?;
    /// for event in rx.try_iter() {
    ///     b.apply_remote(&event); // the receiving side of the transport
    /// }
    /// let got = on_b.try_recv()?;
    /// assert_eq!((got.kind, got.name.as_str()), (EventKind::Opened, "public:chat.rooms"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn publish(&self, event: &RemoteEvent);
}

/// Whatever can take delivery of a remote event: every [`Manager`] (type-erased for
/// [`LocalBus`]).
#[cfg(target_has_atomic = "ptr")]
trait RemoteSink {
    fn deliver(&self, event: &RemoteEvent);
}

#[cfg(target_has_atomic = "ptr")]
impl<G: Registry, R: RawMutex> RemoteSink for Manager<G, R> {
    fn deliver(&self, event: &RemoteEvent) {
        self.apply_remote(event);
    }
}

#[cfg(target_has_atomic = "ptr")]
type Members = Vec<(NodeId, Weak<dyn RemoteSink + Send + Sync>)>;

#[cfg(target_has_atomic = "ptr")]
struct LocalBusState {
    next_node: u64,
    members: Members,
    published: u64,
}

/// An in-process [`EventBus`]: every attached manager is a node, and an event published by one is
/// delivered to *all* of them — the publisher included, like Redis pub/sub, so the managers'
/// echo filtering is exercised. Delivery is synchronous, in attach order.
///
/// The bus holds managers weakly: a dropped manager simply stops receiving.
///
/// ```
/// use std::sync::Arc;
/// use lindy::channels::{EventKind, LocalBus, Manager};
/// use lindy::grammar::Name;
///
/// let bus = LocalBus::new();
/// let (a, b) = (Arc::new(Manager::with_clock(|| 5)), Arc::new(Manager::with_clock(|| 5)));
/// bus.attach(&a);
/// bus.attach(&b);
/// let mut on_b = b.subscribe(8);
///
/// a.open_public(&Name::parse("public:chat.rooms")?, None)?;
/// let event = on_b.try_recv().ok().expect("b saw a's event");
/// assert_eq!(event.kind, EventKind::Opened);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(target_has_atomic = "ptr")]
pub struct LocalBus<R: RawMutex = DefaultRawMutex> {
    shared: Arc<Mutex<R, LocalBusState>>,
}

#[cfg(target_has_atomic = "ptr")]
impl<R: RawMutex> Clone for LocalBus<R> {
    fn clone(&self) -> Self {
        LocalBus {
            shared: self.shared.clone(),
        }
    }
}

#[cfg(target_has_atomic = "ptr")]
impl<R: RawMutex> Default for LocalBus<R> {
    fn default() -> Self {
        LocalBus {
            shared: Arc::new(Mutex::new(LocalBusState {
                next_node: 1,
                members: Vec::new(),
                published: 0,
            })),
        }
    }
}

#[cfg(target_has_atomic = "ptr")]
impl LocalBus<DefaultRawMutex> {
    /// A bus with no members.
    ///
    /// ```
    /// let bus = lindy::channels::LocalBus::new();
    /// assert_eq!((bus.members(), bus.published()), (0, 0));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
}

#[cfg(target_has_atomic = "ptr")]
impl<R: RawMutex + Send + Sync + 'static> LocalBus<R> {
    /// Makes `manager` a node on this bus (a fresh [`NodeId`], returned) and sets its bus, so its
    /// events reach the other members and theirs reach it. Attaching a manager again gives it a
    /// new id; its old membership ends.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let bus = lindy::channels::LocalBus::new();
    /// let manager = Arc::new(lindy::channels::Manager::with_clock(|| 0));
    /// let id = bus.attach(&manager);
    /// assert_eq!(manager.node_id(), Some(id));
    /// ```
    pub fn attach<G, MR>(&self, manager: &Arc<Manager<G, MR>>) -> NodeId
    where
        G: Registry + Send + 'static,
        MR: RawMutex + Send + Sync + 'static,
    {
        let weak: Weak<dyn RemoteSink + Send + Sync> = {
            let weak: Weak<Manager<G, MR>> = Arc::downgrade(manager);
            weak
        };
        let node = self.shared.lock(|s| {
            let node = NodeId(s.next_node);
            s.next_node += 1;
            // One membership per manager.
            s.members.retain(|(_, w)| !Weak::ptr_eq(w, &weak));
            s.members.push((node, weak));
            node
        });
        // Outside the bus lock: `set_bus` takes the manager's lock, which is held around
        // `publish` (lock order: manager → bus, never the reverse).
        manager.set_bus(Arc::new(LocalBusPort {
            shared: self.shared.clone(),
            node,
        }));
        node
    }

    /// Live members (managers not yet dropped).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let bus = lindy::channels::LocalBus::new();
    /// let manager = Arc::new(lindy::channels::Manager::with_clock(|| 0));
    /// bus.attach(&manager);
    /// assert_eq!(bus.members(), 1);
    /// drop(manager);
    /// assert_eq!(bus.members(), 0);
    /// ```
    pub fn members(&self) -> usize {
        self.shared.lock(|s| {
            s.members
                .iter()
                .filter(|(_, w)| w.strong_count() > 0)
                .count()
        })
    }

    /// Events published on the bus so far.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let bus = lindy::channels::LocalBus::new();
    /// let manager = Arc::new(lindy::channels::Manager::with_clock(|| 0));
    /// bus.attach(&manager);
    /// manager.open_public(&lindy::grammar::Name::parse("public:a.b")?, None)?;
    /// assert_eq!(bus.published(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn published(&self) -> u64 {
        self.shared.lock(|s| s.published)
    }
}

#[cfg(target_has_atomic = "ptr")]
impl<R: RawMutex> fmt::Debug for LocalBus<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shared.lock(|s| {
            f.debug_struct("LocalBus")
                .field("members", &s.members.len())
                .field("published", &s.published)
                .finish()
        })
    }
}

/// One node's port on a [`LocalBus`]: the [`EventBus`] a manager attached to it holds.
///
/// ```
/// use std::sync::Arc;
/// use lindy::channels::{EventKind, LocalBus, Manager};
/// use lindy::grammar::Name;
///
/// // `attach` gives each manager its port; a transition on one reaches the others' subscribers.
/// let bus = LocalBus::new();
/// let (a, b) = (Arc::new(Manager::with_clock(|| 0)), Arc::new(Manager::with_clock(|| 0)));
/// bus.attach(&a);
/// bus.attach(&b);
/// let mut on_b = b.subscribe(4);
/// a.open_public(&Name::parse("public:scores.live")?, None)?;
/// assert_eq!(on_b.try_recv()?.kind, EventKind::Opened);
/// assert_eq!(bus.published(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(target_has_atomic = "ptr")]
pub struct LocalBusPort<R: RawMutex = DefaultRawMutex> {
    shared: Arc<Mutex<R, LocalBusState>>,
    node: NodeId,
}

#[cfg(target_has_atomic = "ptr")]
impl<R: RawMutex> EventBus for LocalBusPort<R> {
    fn node_id(&self) -> NodeId {
        self.node
    }

    fn publish(&self, event: &RemoteEvent) {
        // Deliver under the bus lock so every member sees publications in one global order.
        // `deliver` only takes the receiving manager's subscriber lock, which is a leaf.
        let dropped = self.shared.lock(|s| {
            s.published += 1;
            let mut dead = false;
            for (_, member) in &s.members {
                match member.upgrade() {
                    Some(m) => m.deliver(event),
                    None => dead = true,
                }
            }
            if dead {
                // Take the dead ones out; drop them after unlocking.
                let (live, dead): (Members, Members) = core::mem::take(&mut s.members)
                    .into_iter()
                    .partition(|(_, w)| w.strong_count() > 0);
                s.members = live;
                dead
            } else {
                Vec::new()
            }
        });
        drop(dropped);
    }
}

#[cfg(target_has_atomic = "ptr")]
impl<R: RawMutex> fmt::Debug for LocalBusPort<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBusPort")
            .field("node", &self.node)
            .finish()
    }
}

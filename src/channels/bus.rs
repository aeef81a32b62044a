//! The cross-node seam: [`EventBus`], [`RemoteEvent`], and [`LocalBus`] (in-process).

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::fmt;

use super::{Event, Manager, Registry};
use crate::sync::{DefaultRawMutex, Mutex, RawMutex};

/// Identifies one node (one [`Manager`]) on a bus, so it can recognise its own echo.
///
/// Buses choose ids: [`LocalBus`] counts from 1; a network bus would use a random `u64` per
/// process or tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NodeId(pub u64);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node-{:x}", self.0)
    }
}

/// An [`Event`] on the wire between nodes, tagged with the node that emitted it.
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
pub trait EventBus {
    /// This node's id: stamped on every published event, and what the manager filters its own
    /// echo by.
    fn node_id(&self) -> NodeId;

    /// Hands `event` to the other nodes (the manager delivers it locally itself). Should not
    /// block. The manager calls it with no lock held, in the order the events happened, so it may
    /// call back into the publishing manager (events that causes are published after it returns).
    fn publish(&self, event: &RemoteEvent);
}

/// Whatever can take delivery of a remote event: every [`Manager`] (type-erased for
/// [`LocalBus`]).
trait RemoteSink {
    fn deliver(&self, event: &RemoteEvent);
}

impl<G: Registry, R: RawMutex> RemoteSink for Manager<G, R> {
    fn deliver(&self, event: &RemoteEvent) {
        self.apply_remote(event);
    }
}

type Members = Vec<(NodeId, Weak<dyn RemoteSink + Send + Sync>)>;

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
/// let event = on_b.try_recv().expect("b saw a's event");
/// assert_eq!(event.kind, EventKind::Opened);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LocalBus<R: RawMutex = DefaultRawMutex> {
    shared: Arc<Mutex<R, LocalBusState>>,
}

impl<R: RawMutex> Clone for LocalBus<R> {
    fn clone(&self) -> Self {
        LocalBus {
            shared: self.shared.clone(),
        }
    }
}

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

impl LocalBus<DefaultRawMutex> {
    /// A bus with no members.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<R: RawMutex + Send + Sync + 'static> LocalBus<R> {
    /// Makes `manager` a node on this bus (a fresh [`NodeId`], returned) and sets its bus, so its
    /// events reach the other members and theirs reach it. Attaching a manager again gives it a
    /// new id; its old membership ends.
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
    pub fn members(&self) -> usize {
        self.shared.lock(|s| {
            s.members
                .iter()
                .filter(|(_, w)| w.strong_count() > 0)
                .count()
        })
    }

    /// Events published on the bus so far.
    pub fn published(&self) -> u64 {
        self.shared.lock(|s| s.published)
    }
}

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
pub struct LocalBusPort<R: RawMutex = DefaultRawMutex> {
    shared: Arc<Mutex<R, LocalBusState>>,
    node: NodeId,
}

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

impl<R: RawMutex> fmt::Debug for LocalBusPort<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalBusPort")
            .field("node", &self.node)
            .finish()
    }
}

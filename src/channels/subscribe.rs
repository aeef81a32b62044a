//! Subscriptions: a bounded queue of [`Event`]s per subscriber, awaitable and a
//! [`Stream`](futures_core::Stream).
//!
//! Every subscriber has its own queue of fixed capacity. Fan-out never blocks and never waits for
//! a slow subscriber: an event that does not fit is dropped *for that subscriber* and counted in
//! [`Subscription::missed`] (the seed dropped silently). The queue keeps the oldest events, so a
//! lagging subscriber sees a contiguous prefix and then a count of what it missed.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use futures_core::{FusedStream, Stream};

use super::bus::NodeId;
use super::Event;
use crate::error::{Closed, TryRecvError};
use crate::grammar::{Pattern, PatternIndex, SubscriptionId};
use crate::sync::{Arc, DefaultRawMutex, Mutex, RawMutex, WaitQueue, WaiterSlot};

/// The fan-out point shared by a manager and its subscriptions.
pub(crate) struct Hub<R: RawMutex> {
    state: Mutex<R, HubState>,
}

struct HubState {
    /// A slab of subscriber queues; a subscription owns its index until it is dropped.
    subs: Vec<Option<Queue>>,
    free: Vec<u32>,
    /// Subscriptions without a filter (see everything).
    unfiltered: Vec<u32>,
    /// Subscriptions with a pattern filter, routed in O(name depth).
    filtered: PatternIndex<u32>,
    /// Scratch: the recipients of the event being fanned out (kept to reuse its allocation).
    recipients: Vec<u32>,
    /// This node's id on the bus: remote events carrying it are our own echo.
    node: Option<NodeId>,
    /// The manager is gone: no more events will come.
    closed: bool,
}

struct Queue {
    events: VecDeque<Event>,
    capacity: usize,
    missed: u64,
    waiters: WaitQueue,
    filter: Option<SubscriptionId>,
}

impl Queue {
    /// Queues `event`, or counts it missed and hands it back (to be dropped outside the lock).
    fn offer(&mut self, event: Event) -> Result<(), Event> {
        if self.events.len() < self.capacity {
            self.events.push_back(event);
            Ok(())
        } else {
            self.missed = self.missed.saturating_add(1);
            Err(event)
        }
    }
}

/// A batch of events to fan out: one event (no allocation) or a sweep's vector.
pub(crate) trait EventBatch: IntoIterator<Item = Event> + AsRef<[Event]> {
    /// Nobody listens: move the events into `leftovers` (empty), cheaply.
    fn discard(self, leftovers: &mut Vec<Event>);
}

impl EventBatch for [Event; 1] {
    fn discard(self, _: &mut Vec<Event>) {
        // One event: freeing it here costs less than allocating a vector to carry it out.
    }
}

impl EventBatch for Vec<Event> {
    fn discard(self, leftovers: &mut Vec<Event>) {
        *leftovers = self; // moves the allocation, no copy
    }
}

/// What a fan-out leaves to do once every lock is released: wake the woken, and drop the events
/// nobody took (freeing names is not work for inside a lock).
#[must_use = "wake them after releasing the locks"]
pub(crate) struct Wakeups {
    wakers: Vec<Waker>,
    leftovers: Vec<Event>,
}

impl Wakeups {
    const NONE: Wakeups = Wakeups {
        wakers: Vec::new(),
        leftovers: Vec::new(),
    };

    pub(crate) fn wake(self) {
        self.wakers.into_iter().for_each(Waker::wake);
        drop(self.leftovers);
    }
}

impl<R: RawMutex> Hub<R> {
    pub(crate) fn new() -> Self {
        Hub {
            state: Mutex::new(HubState {
                subs: Vec::new(),
                free: Vec::new(),
                unfiltered: Vec::new(),
                filtered: PatternIndex::new(),
                recipients: Vec::new(),
                node: None,
                closed: false,
            }),
        }
    }

    pub(crate) fn set_node(&self, node: Option<NodeId>) {
        self.state.lock(|s| s.node = node);
    }

    pub(crate) fn node(&self) -> Option<NodeId> {
        self.state.lock(|s| s.node)
    }

    /// Offers `events` to every subscriber whose filter matches. Never blocks. Each event is
    /// cloned for all its recipients but the last, which gets the original.
    pub(crate) fn fan_out<B: EventBatch>(&self, events: B) -> Wakeups {
        if events.as_ref().is_empty() {
            return Wakeups::NONE;
        }
        self.state.lock(|s| s.fan_out(events))
    }

    /// Fans out a remote event unless it carries this node's id (our own echo).
    pub(crate) fn fan_out_remote(&self, origin: NodeId, event: &Event) -> Option<Wakeups> {
        self.state.lock(|s| {
            if s.node == Some(origin) {
                None
            } else {
                Some(s.fan_out([event.clone()]))
            }
        })
    }

    /// The manager is going away: wake every waiting subscriber so it sees the end.
    pub(crate) fn close(&self) -> Wakeups {
        self.state.lock(|s| {
            s.closed = true;
            let mut wakers = Vec::new();
            for q in s.subs.iter_mut().flatten() {
                while let Some(w) = q.waiters.notify_one() {
                    wakers.push(w);
                }
            }
            Wakeups {
                wakers,
                leftovers: Vec::new(),
            }
        })
    }

    pub(crate) fn subscriber_count(&self) -> usize {
        self.state.lock(|s| s.subs.len() - s.free.len())
    }
}

impl HubState {
    fn fan_out<B: EventBatch>(&mut self, events: B) -> Wakeups {
        let mut out = Wakeups::NONE;
        if self.unfiltered.is_empty() && self.filtered.is_empty() {
            // Nobody listens: hand the batch back whole, to be freed outside the lock.
            events.discard(&mut out.leftovers);
            return out;
        }
        let HubState {
            subs,
            unfiltered,
            filtered,
            recipients,
            ..
        } = self;
        for event in events {
            recipients.clear();
            recipients.extend_from_slice(unfiltered);
            if !filtered.is_empty() {
                filtered.for_each_match(event.name.as_name_ref(), |_, &id| recipients.push(id));
            }
            let Some((&last, rest)) = recipients.split_last() else {
                out.leftovers.push(event);
                continue;
            };
            let mut offer = |id: u32, event: Event| {
                let Some(q) = subs[id as usize].as_mut() else {
                    return;
                };
                match q.offer(event) {
                    Ok(()) => out.wakers.extend(q.waiters.notify_one()),
                    Err(missed) => out.leftovers.push(missed),
                }
            };
            for &id in rest {
                offer(id, event.clone());
            }
            offer(last, event);
        }
        out
    }

    fn add(&mut self, capacity: usize, pattern: Option<&Pattern>) -> u32 {
        let capacity = capacity.max(1);
        let queue = Queue {
            events: VecDeque::new(),
            capacity,
            missed: 0,
            waiters: WaitQueue::new(),
            filter: None,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.subs[id as usize] = Some(queue);
                id
            }
            None => {
                let id = u32::try_from(self.subs.len()).expect("more than 4 billion subscribers");
                self.subs.push(Some(queue));
                id
            }
        };
        match pattern {
            Some(p) => {
                let sid = self.filtered.insert(p, id);
                if let Some(q) = self.subs[id as usize].as_mut() {
                    q.filter = Some(sid);
                }
            }
            None => self.unfiltered.push(id),
        }
        id
    }

    fn remove(&mut self, id: u32) -> Option<Queue> {
        let q = self.subs.get_mut(id as usize)?.take()?;
        match q.filter {
            Some(sid) => {
                self.filtered.remove(sid);
            }
            None => {
                if let Some(pos) = self.unfiltered.iter().position(|&u| u == id) {
                    self.unfiltered.swap_remove(pos);
                }
            }
        }
        self.free.push(id);
        Some(q)
    }
}

/// A subscriber's handle on a [`Manager`](super::Manager)'s lifecycle events.
///
/// Receive with [`recv`](Self::recv) (a future), [`try_recv`](Self::try_recv), or as a
/// [`Stream`] of [`Event`]s that ends when the manager is dropped. The queue is bounded: events
/// that arrive while it is full are dropped *for this subscriber* and counted in
/// [`missed`](Self::missed); the manager never waits for a subscriber.
///
/// Dropping the handle unsubscribes (and frees any queued events).
///
/// ```
/// use futures::executor::block_on;
/// use lindy::channels::{EventKind, Manager};
/// use lindy::grammar::Name;
///
/// let manager = Manager::with_clock(|| 1_000);
/// let mut events = manager.subscribe(16);
/// let name = Name::parse("public:chat.rooms")?;
/// manager.open_public(&name, None)?;
/// let event = block_on(events.recv())?;
/// assert_eq!((event.kind, event.at), (EventKind::Opened, 1_000));
/// assert_eq!(event.name, name);
/// assert_eq!(events.missed(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Subscription<R: RawMutex = DefaultRawMutex> {
    hub: Arc<Hub<R>>,
    id: u32,
    slot: WaiterSlot,
}

impl<R: RawMutex> Subscription<R> {
    pub(crate) fn new(hub: Arc<Hub<R>>, capacity: usize, pattern: Option<&Pattern>) -> Self {
        let id = hub.state.lock(|s| s.add(capacity, pattern));
        Subscription {
            hub,
            id,
            slot: WaiterSlot::new(),
        }
    }

    fn with_queue<T>(&self, f: impl FnOnce(&mut Queue, bool) -> T) -> T {
        self.hub.state.lock(|s| {
            let closed = s.closed;
            let q = s.subs[self.id as usize]
                .as_mut()
                .expect("a live subscription owns its queue");
            f(q, closed)
        })
    }

    /// Waits for the next event.
    ///
    /// Returns `Err(Closed)` once the manager has been dropped and every queued event has been
    /// received.
    ///
    /// # Cancel safety
    /// Cancel-safe. An event leaves the queue only in the poll that returns
    /// it, so dropping the future (before or after it was woken) loses nothing: the next `recv`
    /// or `try_recv` gets the event.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use lindy::channels::{EventKind, Manager};
    /// use lindy::grammar::Name;
    ///
    /// let manager = Manager::with_clock(|| 0);
    /// let mut events = manager.subscribe(4);
    /// manager.open_public(&Name::parse("public:a.b")?, None)?;
    /// assert_eq!(block_on(events.recv())?.kind, EventKind::Opened);
    /// drop(manager);
    /// assert!(block_on(events.recv()).is_err(), "the manager is gone and the queue drained");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv(&mut self) -> Recv<'_, R> {
        Recv { sub: self }
    }

    /// Takes the next queued event without waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] if no event is queued (more may come);
    /// [`TryRecvError::Closed`] once the manager is gone and every queued event was received.
    ///
    /// ```
    /// use lindy::channels::{EventKind, Manager, TryRecvError};
    /// use lindy::grammar::Name;
    ///
    /// let manager = Manager::with_clock(|| 0);
    /// let mut events = manager.subscribe(4);
    /// assert_eq!(events.try_recv(), Err(TryRecvError::Empty));
    /// manager.open_public(&Name::parse("public:a.b")?, None)?;
    /// assert_eq!(events.try_recv().map(|e| e.kind), Ok(EventKind::Opened));
    /// drop(manager);
    /// assert_eq!(events.try_recv(), Err(TryRecvError::Closed));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&mut self) -> Result<Event, TryRecvError> {
        self.with_queue(|q, closed| match q.events.pop_front() {
            Some(event) => Ok(event),
            None if closed => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        })
    }

    /// How many events this subscriber has missed because its queue was full (cumulative,
    /// saturating). Missed events are always the newest ones at the time: what is queued is a
    /// contiguous prefix.
    ///
    /// ```
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    ///
    /// let manager = Manager::with_clock(|| 0);
    /// let mut slow = manager.subscribe(1);
    /// manager.open_public(&Name::parse("public:a.b")?, None)?;
    /// manager.open_public(&Name::parse("public:a.c")?, None)?; // no room: dropped and counted
    /// assert_eq!(slow.missed(), 1);
    /// assert_eq!(slow.try_recv()?.name.as_str(), "public:a.b"); // the oldest is kept
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn missed(&self) -> u64 {
        self.with_queue(|q, _| q.missed)
    }

    /// Events queued and not yet received.
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// let events = manager.subscribe(4);
    /// manager.open_public(&lindy::grammar::Name::parse("public:a.b")?, None)?;
    /// assert_eq!(events.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.with_queue(|q, _| q.events.len())
    }

    /// Whether no event is queued.
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// assert!(manager.subscribe(4).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The queue's capacity (at least 1).
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// assert_eq!(manager.subscribe(16).capacity(), 16);
    /// assert_eq!(manager.subscribe(0).capacity(), 1); // at least one
    /// ```
    pub fn capacity(&self) -> usize {
        self.with_queue(|q, _| q.capacity)
    }

    /// Whether the manager has been dropped (queued events can still be received).
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// let events = manager.subscribe(4);
    /// assert!(!events.is_closed());
    /// drop(manager);
    /// assert!(events.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.with_queue(|_, closed| closed)
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<Event, Closed>> {
        let slot = &mut self.slot;
        let hub = &self.hub;
        let id = self.id;
        hub.state.lock(|s| {
            let closed = s.closed;
            let q = s.subs[id as usize]
                .as_mut()
                .expect("a live subscription owns its queue");
            if let Some(event) = q.events.pop_front() {
                q.waiters.remove(slot);
                Poll::Ready(Ok(event))
            } else if closed {
                q.waiters.remove(slot);
                Poll::Ready(Err(Closed(())))
            } else {
                q.waiters.register(slot, cx.waker());
                Poll::Pending
            }
        })
    }

    /// Leaves the wait queue; hands a wake-up on if one was owed and an event is waiting.
    fn cancel_wait(&mut self) {
        if !self.slot.is_registered() {
            return;
        }
        let slot = &mut self.slot;
        let id = self.id;
        let waker = self.hub.state.lock(|s| {
            let q = s.subs[id as usize].as_mut()?;
            if q.waiters.remove(slot) && !q.events.is_empty() {
                q.waiters.notify_one()
            } else {
                None
            }
        });
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<R: RawMutex> Drop for Subscription<R> {
    fn drop(&mut self) {
        let id = self.id;
        let queue = self.hub.state.lock(|s| {
            let mut q = s.remove(id);
            if let Some(q) = q.as_mut() {
                q.waiters.remove(&mut self.slot);
            }
            q
        });
        // Queued events are freed here, outside the lock.
        drop(queue);
    }
}

impl<R: RawMutex> fmt::Debug for Subscription<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_queue(|q, closed| {
            f.debug_struct("Subscription")
                .field("queued", &q.events.len())
                .field("capacity", &q.capacity)
                .field("missed", &q.missed)
                .field("closed", &closed)
                .finish()
        })
    }
}

impl<R: RawMutex> Stream for Subscription<R> {
    type Item = Event;

    /// The next event; `None` once the manager is gone and the queue is drained.
    ///
    /// # Cancel safety
    /// Cancel-safe in the same way as [`recv`](Subscription::recv).
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.get_mut().poll_recv(cx).map(Result::ok)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), None)
    }
}

impl<R: RawMutex> FusedStream for Subscription<R> {
    fn is_terminated(&self) -> bool {
        self.with_queue(|q, closed| closed && q.events.is_empty())
    }
}

/// The future of [`Subscription::recv`].
///
/// # Cancel safety
/// Cancel-safe (see [`Subscription::recv`]).
///
/// ```
/// use lindy::channels::{Manager, Recv};
/// let manager = Manager::with_clock(|| 0);
/// let mut events = manager.subscribe(4);
/// manager.open_public(&lindy::grammar::Name::parse("public:a.b")?, None)?;
/// let recv: Recv<'_> = events.recv();
/// assert!(futures::executor::block_on(recv).is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Recv<'a, R: RawMutex = DefaultRawMutex> {
    sub: &'a mut Subscription<R>,
}

impl<R: RawMutex> Future for Recv<'_, R> {
    type Output = Result<Event, Closed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().sub.poll_recv(cx)
    }
}

impl<R: RawMutex> Drop for Recv<'_, R> {
    fn drop(&mut self) {
        self.sub.cancel_wait();
    }
}

impl<R: RawMutex> fmt::Debug for Recv<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

//! A FIFO list of parked futures with hand-on semantics.
//!
//! The queue lives *inside* the state it guards (behind the container's [`Mutex`](super::Mutex)),
//! so registering, notifying and cancelling are all plain `&mut` operations under one lock: a
//! wake-up can never slip between "checked the condition" and "registered the waker".
//!
//! Each future owns a [`WaiterSlot`]. Waiters form a doubly linked list threaded through a slab
//! (indices, no `unsafe`), so register, notify and cancel are all O(1) and a cancelled waiter in
//! the middle costs nothing to remove.

use alloc::vec::Vec;
use core::task::Waker;

const NIL: u32 = u32::MAX;

/// A future's place in a [`WaitQueue`]. Starts empty; the queue fills and clears it.
///
/// A slot belongs to one queue: using it with another queue is a logic error (caught by a debug
/// assertion, harmless otherwise).
///
/// ```
/// use lindy::sync::{WaitQueue, WaiterSlot};
/// use std::task::Waker;
///
/// let mut queue = WaitQueue::new();
/// let mut slot = WaiterSlot::new(); // one per future, stored in the future
/// queue.register(&mut slot, Waker::noop());
/// assert!(slot.is_registered());
/// queue.remove(&mut slot); // on completion and in `Drop`
/// assert!(!slot.is_registered());
/// ```
#[derive(Debug, Default)]
pub struct WaiterSlot(Option<u32>);

impl WaiterSlot {
    /// An empty slot (not in any queue).
    ///
    /// ```
    /// use lindy::sync::WaiterSlot;
    ///
    /// let slot = WaiterSlot::new();
    /// assert!(!slot.is_registered());
    /// ```
    pub const fn new() -> Self {
        WaiterSlot(None)
    }

    /// Whether this slot currently holds a place (waiting or notified) in a queue.
    ///
    /// ```
    /// use lindy::sync::{WaitQueue, WaiterSlot};
    /// use std::task::Waker;
    ///
    /// let (mut queue, mut slot) = (WaitQueue::new(), WaiterSlot::new());
    /// queue.register(&mut slot, Waker::noop());
    /// let _waker = queue.notify_one();
    /// assert!(slot.is_registered()); // notified still holds a place until removed
    /// queue.remove(&mut slot);
    /// assert!(!slot.is_registered());
    /// ```
    pub fn is_registered(&self) -> bool {
        self.0.is_some()
    }
}

enum Slot {
    Free {
        next_free: u32,
    },
    Waiting {
        waker: Waker,
        prev: u32,
        next: u32,
        /// Arrival order, kept across notify / re-register (see [`WaitQueue::register`]).
        ticket: u64,
    },
    Notified {
        ticket: u64,
    },
}

/// A FIFO list of waiting futures.
///
/// # The protocol
/// ```text
/// poll:  lock { if ready(state) { q.remove(slot); Ready } else { q.register(slot, waker); Pending } }
/// drop:  lock { if q.remove(slot) && still_ready(state) { q.notify_one() /* pass it on */ } }
/// event: lock { change state; q.notify_one() }  — wake the returned waker after unlocking
/// ```
/// A notified waiter that finds its item gone (another caller got there first) re-registers and
/// gets its *arrival* place back: ahead of every waiter that arrived after it, behind any older
/// one that also re-registered. So FIFO order among waiters survives lost races, even when several
/// notified waiters lose and re-register in any order (they used to re-join at the very front,
/// where two of them swapped places).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::task::{Wake, Waker};
/// use lindy::sync::{WaitQueue, WaiterSlot};
///
/// /// A waker that counts its wake-ups.
/// struct Count(AtomicUsize);
/// impl Wake for Count {
///     fn wake(self: Arc<Self>) { self.0.fetch_add(1, Ordering::Relaxed); }
/// }
/// let (a, b) = (Arc::new(Count(AtomicUsize::new(0))), Arc::new(Count(AtomicUsize::new(0))));
///
/// let mut queue = WaitQueue::new();
/// let (mut first, mut second) = (WaiterSlot::new(), WaiterSlot::new());
/// queue.register(&mut first, &Waker::from(a.clone()));
/// queue.register(&mut second, &Waker::from(b.clone()));
///
/// // One item arrives: the oldest waiter, and only it, is woken.
/// queue.notify_one().unwrap().wake();
/// assert_eq!((a.0.load(Ordering::Relaxed), b.0.load(Ordering::Relaxed)), (1, 0));
///
/// // The woken future is dropped before it takes the item: it hands the wake-up on.
/// if queue.remove(&mut first) {
///     queue.notify_one().unwrap().wake();
/// }
/// assert_eq!(b.0.load(Ordering::Relaxed), 1);
/// ```
pub struct WaitQueue {
    slots: Vec<Slot>,
    /// Next arrival ticket.
    next_ticket: u64,
    head: u32,
    tail: u32,
    free: u32,
    /// Waiters still linked (registered, not yet notified).
    waiting: usize,
    /// Slots in use: waiting plus notified-but-not-yet-removed.
    in_use: usize,
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for WaitQueue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("WaitQueue")
            .field("waiting", &self.waiting)
            .field("notified", &(self.in_use - self.waiting))
            .finish()
    }
}

impl WaitQueue {
    /// An empty queue; allocates nothing until the first waiter registers.
    ///
    /// ```
    /// use lindy::sync::{DefaultRawMutex, Mutex, WaitQueue};
    ///
    /// // The queue lives inside the state it guards, behind the same lock.
    /// struct State {
    ///     items: Vec<u32>,
    ///     takers: WaitQueue,
    /// }
    /// static STATE: Mutex<DefaultRawMutex, State> =
    ///     Mutex::new(State { items: Vec::new(), takers: WaitQueue::new() });
    /// assert!(STATE.lock(|s| s.takers.is_empty() && s.items.is_empty()));
    /// ```
    pub const fn new() -> Self {
        WaitQueue {
            slots: Vec::new(),
            next_ticket: 0,
            head: NIL,
            tail: NIL,
            free: NIL,
            waiting: 0,
            in_use: 0,
        }
    }

    /// Waiters registered and not yet notified.
    ///
    /// ```
    /// use lindy::sync::{WaitQueue, WaiterSlot};
    /// use std::task::Waker;
    ///
    /// let mut queue = WaitQueue::new();
    /// let (mut a, mut b) = (WaiterSlot::new(), WaiterSlot::new());
    /// queue.register(&mut a, Waker::noop());
    /// queue.register(&mut b, Waker::noop());
    /// assert_eq!(queue.len(), 2);
    /// let _ = queue.notify_one();
    /// assert_eq!(queue.len(), 1); // `a` is notified: no longer waiting
    /// ```
    pub fn len(&self) -> usize {
        self.waiting
    }

    /// No slot in use: nobody waiting and no notification outstanding. A container may drop or
    /// recycle the queue only when this holds.
    ///
    /// ```
    /// use lindy::sync::{WaitQueue, WaiterSlot};
    /// use std::task::Waker;
    ///
    /// let (mut queue, mut slot) = (WaitQueue::new(), WaiterSlot::new());
    /// queue.register(&mut slot, Waker::noop());
    /// let _ = queue.notify_one();
    /// assert_eq!(queue.len(), 0);
    /// assert!(!queue.is_empty()); // a notification is outstanding: keep the queue
    /// queue.remove(&mut slot);
    /// assert!(queue.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.in_use == 0
    }

    /// Whether `slot` was notified and has not been removed or re-registered since.
    ///
    /// ```
    /// use lindy::sync::{WaitQueue, WaiterSlot};
    /// use std::task::Waker;
    ///
    /// let (mut queue, mut slot) = (WaitQueue::new(), WaiterSlot::new());
    /// queue.register(&mut slot, Waker::noop());
    /// assert!(!queue.is_notified(&slot));
    /// let _ = queue.notify_one();
    /// assert!(queue.is_notified(&slot));
    /// ```
    pub fn is_notified(&self, slot: &WaiterSlot) -> bool {
        matches!(
            slot.0.map(|i| &self.slots[i as usize]),
            Some(Slot::Notified { .. })
        )
    }

    /// Parks the future owning `slot` with `waker`.
    ///
    /// * empty slot → joins the back of the queue;
    /// * already waiting → refreshes the waker (keeps its place);
    /// * notified (it was woken but lost the race for the item) → rejoins at its *arrival*
    ///   place: ahead of every waiter that arrived after it.
    ///
    /// ```
    /// // A one-slot mailbox with a waiting `take`, on the protocol above.
    /// use std::future::Future;
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll};
    /// use lindy::sync::{DefaultRawMutex, Mutex, WaitQueue, WaiterSlot};
    ///
    /// struct State { item: Option<u32>, takers: WaitQueue }
    /// struct Mailbox(Mutex<DefaultRawMutex, State>);
    /// struct Take<'a> { mailbox: &'a Mailbox, slot: WaiterSlot }
    ///
    /// impl Mailbox {
    ///     fn put(&self, v: u32) {
    ///         let waker = self.0.lock(|s| { s.item = Some(v); s.takers.notify_one() });
    ///         if let Some(w) = waker { w.wake() } // after unlocking
    ///     }
    ///     fn take(&self) -> Take<'_> { Take { mailbox: self, slot: WaiterSlot::new() } }
    /// }
    /// impl Future for Take<'_> {
    ///     type Output = u32;
    ///     fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
    ///         let this = self.get_mut();
    ///         this.mailbox.0.lock(|s| match s.item.take() {
    ///             Some(v) => { s.takers.remove(&mut this.slot); Poll::Ready(v) }
    ///             None => { s.takers.register(&mut this.slot, cx.waker()); Poll::Pending }
    ///         })
    ///     }
    /// }
    /// impl Drop for Take<'_> {
    ///     fn drop(&mut self) {
    ///         // Hand-on: a woken take dropped before taking passes the wake-up to the next one.
    ///         let waker = self.mailbox.0.lock(|s| {
    ///             let woken = s.takers.remove(&mut self.slot);
    ///             if woken && s.item.is_some() { s.takers.notify_one() } else { None }
    ///         });
    ///         if let Some(w) = waker { w.wake() }
    ///     }
    /// }
    ///
    /// let mailbox = Mailbox(Mutex::new(State { item: None, takers: WaitQueue::new() }));
    /// std::thread::scope(|s| {
    ///     let taker = s.spawn(|| futures::executor::block_on(mailbox.take()));
    ///     while mailbox.0.lock(|s| s.takers.len()) == 0 { std::thread::yield_now() }
    ///     mailbox.put(42);
    ///     assert_eq!(taker.join().unwrap(), 42);
    /// });
    /// ```
    pub fn register(&mut self, slot: &mut WaiterSlot, waker: &Waker) {
        match slot.0 {
            None => {
                let i = self.alloc();
                let ticket = self.fresh_ticket();
                self.link_back(i, waker.clone(), ticket);
                slot.0 = Some(i);
            }
            Some(i) => match &mut self.slots[i as usize] {
                Slot::Waiting { waker: w, .. } => {
                    if !w.will_wake(waker) {
                        *w = waker.clone();
                    }
                }
                Slot::Notified { ticket } => {
                    let ticket = *ticket;
                    self.link_in_order(i, waker.clone(), ticket);
                }
                Slot::Free { .. } => {
                    debug_assert!(false, "WaiterSlot used with a foreign WaitQueue");
                    let i = self.alloc();
                    let ticket = self.fresh_ticket();
                    self.link_back(i, waker.clone(), ticket);
                    slot.0 = Some(i);
                }
            },
        }
    }

    fn fresh_ticket(&mut self) -> u64 {
        let t = self.next_ticket;
        self.next_ticket += 1;
        t
    }

    /// Frees `slot`'s place. Call it when the future completes *and* when it is dropped.
    ///
    /// Returns `true` if the waiter had been notified and had not yet acted on it: a future being
    /// dropped must then pass the wake-up on (`notify_one`) if what it was woken for is still there.
    ///
    /// ```
    /// use lindy::sync::{WaitQueue, WaiterSlot};
    /// use std::task::Waker;
    ///
    /// let mut queue = WaitQueue::new();
    /// let (mut first, mut second) = (WaiterSlot::new(), WaiterSlot::new());
    /// queue.register(&mut first, Waker::noop());
    /// queue.register(&mut second, Waker::noop());
    /// let _ = queue.notify_one(); // an item arrived: `first` is woken
    ///
    /// // `first` is dropped before it polls: it was notified, so it must pass the wake-up on.
    /// if queue.remove(&mut first) {
    ///     assert!(queue.notify_one().is_some()); // `second` gets it
    /// }
    /// assert!(queue.is_notified(&second));
    /// ```
    #[inline]
    pub fn remove(&mut self, slot: &mut WaiterSlot) -> bool {
        // The hot path of every completing poll: the future never waited.
        match slot.0.take() {
            None => false,
            Some(i) => self.remove_at(i),
        }
    }

    fn remove_at(&mut self, i: u32) -> bool {
        let was_notified = match self.slots[i as usize] {
            Slot::Waiting { .. } => {
                self.unlink(i);
                false
            }
            Slot::Notified { .. } => true,
            Slot::Free { .. } => {
                debug_assert!(false, "WaiterSlot used with a foreign WaitQueue");
                return false;
            }
        };
        self.release(i);
        was_notified
    }

    /// Notifies the oldest waiter and returns its waker: call `wake()` *after* releasing the lock,
    /// so the woken task does not immediately contend for it.
    ///
    /// ```
    /// use lindy::sync::{WaitQueue, WaiterSlot};
    /// use std::task::Waker;
    ///
    /// let mut queue = WaitQueue::new();
    /// assert!(queue.notify_one().is_none()); // nobody waiting: nothing to wake
    /// let mut slot = WaiterSlot::new();
    /// queue.register(&mut slot, Waker::noop());
    /// let waker = queue.notify_one().expect("the oldest waiter");
    /// waker.wake(); // in real code: after the lock is released
    /// ```
    #[must_use = "wake the returned waker (after unlocking)"]
    #[inline]
    pub fn notify_one(&mut self) -> Option<Waker> {
        // The hot path of every push and pop: nobody is waiting.
        if self.head == NIL {
            return None;
        }
        self.notify_head()
    }

    fn notify_head(&mut self) -> Option<Waker> {
        let i = self.head;
        let waker = self.unlink(i);
        Some(waker)
    }

    /// Notifies every waiter, waking them in FIFO order.
    ///
    /// ```
    /// use lindy::sync::{WaitQueue, WaiterSlot};
    /// use std::task::Waker;
    ///
    /// // On close: every waiter must wake and see the closed state.
    /// let mut queue = WaitQueue::new();
    /// let mut slots = [WaiterSlot::new(), WaiterSlot::new(), WaiterSlot::new()];
    /// for slot in &mut slots {
    ///     queue.register(slot, Waker::noop());
    /// }
    /// queue.notify_all();
    /// assert_eq!(queue.len(), 0);
    /// assert!(slots.iter().all(|s| queue.is_notified(s)));
    /// ```
    pub fn notify_all(&mut self) {
        while let Some(w) = self.notify_one() {
            w.wake();
        }
    }

    /// The arrival tickets of the waiting waiters, front to back (tests).
    #[cfg(test)]
    fn order(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut at = self.head;
        while let Some(Slot::Waiting { next, ticket, .. }) = self.slots.get(at as usize) {
            out.push(*ticket as usize);
            at = *next;
        }
        out
    }

    /// Releases spare capacity once the queue is empty.
    ///
    /// ```
    /// use lindy::sync::{WaitQueue, WaiterSlot};
    /// use std::task::Waker;
    ///
    /// let mut queue = WaitQueue::new();
    /// let mut slots: Vec<WaiterSlot> = (0..1000).map(|_| WaiterSlot::new()).collect();
    /// for slot in &mut slots {
    ///     queue.register(slot, Waker::noop());
    /// }
    /// for slot in &mut slots {
    ///     queue.remove(slot);
    /// }
    /// queue.shrink_to_fit(); // a burst of waiters is over: give the memory back
    /// assert!(queue.is_empty());
    /// ```
    pub fn shrink_to_fit(&mut self) {
        if self.in_use == 0 {
            self.slots = Vec::new();
            self.free = NIL;
        }
    }

    fn alloc(&mut self) -> u32 {
        self.in_use += 1;
        if self.free != NIL {
            let i = self.free;
            if let Slot::Free { next_free } = self.slots[i as usize] {
                self.free = next_free;
            }
            i
        } else {
            let i = u32::try_from(self.slots.len()).expect("more than 4 billion waiters");
            assert!(i != NIL, "more than 4 billion waiters");
            self.slots.push(Slot::Free { next_free: NIL });
            i
        }
    }

    fn release(&mut self, i: u32) {
        self.in_use -= 1;
        if self.in_use == 0 {
            // Everyone left: forget the free list instead of threading it (keeps capacity).
            self.slots.clear();
            self.free = NIL;
        } else {
            self.slots[i as usize] = Slot::Free {
                next_free: self.free,
            };
            self.free = i;
        }
    }

    fn link_back(&mut self, i: u32, waker: Waker, ticket: u64) {
        self.slots[i as usize] = Slot::Waiting {
            waker,
            prev: self.tail,
            next: NIL,
            ticket,
        };
        match self.tail {
            NIL => self.head = i,
            t => self.set_next(t, i),
        }
        self.tail = i;
        self.waiting += 1;
    }

    /// Links `i` before the first waiter that arrived after it (`ticket`). The walk passes only
    /// older waiters that re-registered too: usually none, so it is O(1).
    fn link_in_order(&mut self, i: u32, waker: Waker, ticket: u64) {
        let mut at = self.head;
        while at != NIL {
            match &self.slots[at as usize] {
                Slot::Waiting {
                    ticket: t, next, ..
                } => {
                    if *t > ticket {
                        break;
                    }
                    at = *next;
                }
                _ => unreachable!("the list links only waiting slots"),
            }
        }
        if at == NIL {
            return self.link_back(i, waker, ticket);
        }
        let prev = match &self.slots[at as usize] {
            Slot::Waiting { prev, .. } => *prev,
            _ => NIL,
        };
        self.slots[i as usize] = Slot::Waiting {
            waker,
            prev,
            next: at,
            ticket,
        };
        match prev {
            NIL => self.head = i,
            p => self.set_next(p, i),
        }
        self.set_prev(at, i);
        self.waiting += 1;
    }

    /// Unlinks a waiting slot, leaving it `Notified` (with its ticket) as a placeholder; returns
    /// its waker.
    fn unlink(&mut self, i: u32) -> Waker {
        let ticket = match &self.slots[i as usize] {
            Slot::Waiting { ticket, .. } => *ticket,
            _ => unreachable!("unlink of a slot that is not waiting"),
        };
        let Slot::Waiting {
            waker, prev, next, ..
        } = core::mem::replace(&mut self.slots[i as usize], Slot::Notified { ticket })
        else {
            unreachable!("unlink of a slot that is not waiting");
        };
        match prev {
            NIL => self.head = next,
            p => self.set_next(p, next),
        }
        match next {
            NIL => self.tail = prev,
            n => self.set_prev(n, prev),
        }
        self.waiting -= 1;
        waker
    }

    fn set_next(&mut self, i: u32, to: u32) {
        if let Slot::Waiting { next, .. } = &mut self.slots[i as usize] {
            *next = to;
        }
    }

    fn set_prev(&mut self, i: u32, to: u32) {
        if let Slot::Waiting { prev, .. } = &mut self.slots[i as usize] {
            *prev = to;
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::sync::Arc;
    use alloc::vec;
    use core::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn waker() -> (Arc<Counter>, Waker) {
        let c = Arc::new(Counter(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    #[test]
    fn notifies_in_fifo_order() {
        let mut q = WaitQueue::new();
        let (counters, wakers): (Vec<_>, Vec<_>) = (0..3).map(|_| waker()).unzip();
        let mut slots: Vec<WaiterSlot> = (0..3).map(|_| WaiterSlot::new()).collect();
        for (s, w) in slots.iter_mut().zip(&wakers) {
            q.register(s, w);
        }
        assert_eq!(q.len(), 3);
        for (k, c) in counters.iter().enumerate() {
            q.notify_one().unwrap().wake();
            assert_eq!(c.0.load(Ordering::SeqCst), 1, "waiter {k} woken in order");
            assert!(q.is_notified(&slots[k]));
        }
        assert!(q.notify_one().is_none());
        assert!(!q.is_empty(), "notified waiters still hold their slots");
        for s in &mut slots {
            assert!(q.remove(s));
        }
        assert!(q.is_empty());
    }

    #[test]
    fn cancelled_waiter_in_the_middle_is_skipped() {
        let mut q = WaitQueue::new();
        let (c0, w0) = waker();
        let (c1, w1) = waker();
        let (c2, w2) = waker();
        let (mut s0, mut s1, mut s2) = (WaiterSlot::new(), WaiterSlot::new(), WaiterSlot::new());
        q.register(&mut s0, &w0);
        q.register(&mut s1, &w1);
        q.register(&mut s2, &w2);
        assert!(
            !q.remove(&mut s1),
            "a waiting (not notified) waiter owes nothing"
        );
        q.notify_one().unwrap().wake();
        q.notify_one().unwrap().wake();
        assert_eq!(
            [&c0, &c1, &c2].map(|c| c.0.load(Ordering::SeqCst)),
            [1, 0, 1]
        );
    }

    #[test]
    fn notified_waiter_that_lost_the_race_keeps_its_place_at_the_front() {
        let mut q = WaitQueue::new();
        let (c0, w0) = waker();
        let (c1, w1) = waker();
        let (mut s0, mut s1) = (WaiterSlot::new(), WaiterSlot::new());
        q.register(&mut s0, &w0);
        q.register(&mut s1, &w1);
        q.notify_one().unwrap().wake(); // s0 woken, finds nothing, re-registers
        q.register(&mut s0, &w0);
        q.notify_one().unwrap().wake();
        assert_eq!(
            c0.0.load(Ordering::SeqCst),
            2,
            "s0 is served again before s1"
        );
        assert_eq!(c1.0.load(Ordering::SeqCst), 0);
    }

    /// Issue 12: two woken waiters that both lose their race and re-register in the "wrong"
    /// order used to swap places (each re-joined at the very front).
    #[test]
    fn two_woken_waiters_that_lose_their_race_never_swap() {
        let mut q = WaitQueue::new();
        let pairs: Vec<_> = (0..3).map(|_| waker()).collect();
        let mut s: Vec<WaiterSlot> = (0..3).map(|_| WaiterSlot::new()).collect();
        for (slot, (_, w)) in s.iter_mut().zip(&pairs) {
            q.register(slot, w);
        }
        let _ = q.notify_one(); // s0
        let _ = q.notify_one(); // s1
                                // Both lose; the younger re-registers first.
        q.register(&mut s[1], &pairs[1].1);
        q.register(&mut s[0], &pairs[0].1);
        for k in 0..3 {
            q.notify_one().unwrap().wake();
            assert_eq!(
                pairs
                    .iter()
                    .map(|(c, _)| c.0.load(Ordering::SeqCst))
                    .collect::<Vec<_>>(),
                (0..3).map(|j| usize::from(j <= k)).collect::<Vec<_>>(),
                "woken in arrival order"
            );
        }
    }

    #[test]
    fn dropped_notified_waiter_reports_the_wake_up_to_pass_on() {
        let mut q = WaitQueue::new();
        let (_c0, w0) = waker();
        let (c1, w1) = waker();
        let (mut s0, mut s1) = (WaiterSlot::new(), WaiterSlot::new());
        q.register(&mut s0, &w0);
        q.register(&mut s1, &w1);
        q.notify_one().unwrap().wake();
        // s0's future is dropped before it polls: the queue tells it to pass the wake-up on.
        if q.remove(&mut s0) {
            q.notify_one().unwrap().wake();
        }
        assert_eq!(c1.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn register_refreshes_the_waker_without_moving() {
        let mut q = WaitQueue::new();
        let (c_old, w_old) = waker();
        let (c_new, w_new) = waker();
        let (_c1, w1) = waker();
        let (mut s0, mut s1) = (WaiterSlot::new(), WaiterSlot::new());
        q.register(&mut s0, &w_old);
        q.register(&mut s1, &w1);
        q.register(&mut s0, &w_new);
        assert_eq!(q.len(), 2);
        q.notify_one().unwrap().wake();
        assert_eq!(c_old.0.load(Ordering::SeqCst), 0);
        assert_eq!(c_new.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn notify_all_wakes_everyone_and_slots_are_reused() {
        let mut q = WaitQueue::new();
        let pairs: Vec<_> = (0..5).map(|_| waker()).collect();
        let mut slots = vec![];
        for (_, w) in &pairs {
            let mut s = WaiterSlot::new();
            q.register(&mut s, w);
            slots.push(s);
        }
        q.notify_all();
        assert!(pairs.iter().all(|(c, _)| c.0.load(Ordering::SeqCst) == 1));
        assert_eq!(q.len(), 0);
        for s in &mut slots[..4] {
            q.remove(s);
        }
        let mut again = WaiterSlot::new();
        q.register(&mut again, &pairs[0].1); // reuses a freed slot
        assert_eq!(q.len(), 1);
        q.remove(&mut again);
        q.remove(&mut slots[4]);
        assert!(q.is_empty());
        q.shrink_to_fit();
    }

    proptest::proptest! {
        /// Random register / notify / remove sequences against a model `VecDeque`.
        #[test]
        fn behaves_like_a_fifo_model(ops in proptest::collection::vec(0u8..4, 0..200)) {
            use std::collections::VecDeque;
            let mut q = WaitQueue::new();
            let mut slots: Vec<WaiterSlot> = Vec::new();
            let mut model: VecDeque<usize> = VecDeque::new(); // waiting slot indices, FIFO
            let mut notified: Vec<bool> = Vec::new();
            let (_c, w) = waker();
            for (step, op) in ops.into_iter().enumerate() {
                match op {
                    0 => { // a new waiter
                        let mut s = WaiterSlot::new();
                        q.register(&mut s, &w);
                        slots.push(s);
                        notified.push(false);
                        model.push_back(slots.len() - 1);
                    }
                    1 => { // notify one
                        let got = q.notify_one().is_some();
                        let want = model.pop_front();
                        proptest::prop_assert_eq!(got, want.is_some());
                        if let Some(k) = want { notified[k] = true; }
                    }
                    2 if !slots.is_empty() => { // remove some slot
                        let k = step % slots.len();
                        let was = q.remove(&mut slots[k]);
                        proptest::prop_assert_eq!(was, notified[k]);
                        notified[k] = false;
                        model.retain(|&m| m != k);
                    }
                    _ => { // a notified waiter lost its race and re-registers at its arrival place
                        // (pick a different one each time, so re-registrations come in any order)
                        let lost: Vec<usize> = (0..slots.len()).filter(|&k| notified[k]).collect();
                        if !lost.is_empty() {
                            let k = lost[step % lost.len()];
                            q.register(&mut slots[k], &w);
                            notified[k] = false;
                            // Test indices are arrival tickets: each new waiter takes the next.
                            let at = model.iter().position(|&m| m > k).unwrap_or(model.len());
                            model.insert(at, k);
                        }
                    }
                }
                proptest::prop_assert_eq!(q.len(), model.len());
                proptest::prop_assert_eq!(q.order(), model.iter().copied().collect::<Vec<_>>(), "FIFO by arrival");
                for (k, s) in slots.iter().enumerate() {
                    proptest::prop_assert_eq!(q.is_notified(s), notified[k]);
                }
            }
        }
    }
}

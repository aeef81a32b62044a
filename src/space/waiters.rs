//! Waiting machinery private to the space: a [`WaitQueue`] that knows the age of its head, and a
//! small list of wakers to wake after the lock is released.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::task::Waker;

use crate::sync::{WaitQueue, WaiterSlot};

/// A [`WaitQueue`] of takers plus the *ticket* (a space-wide registration number, smaller is
/// older) of every waiter still linked, in queue order.
///
/// The tickets let an `out` compare the head of a key's takers with the pattern takers that also
/// match the key, so the one taker it wakes is the oldest of them all. The ticket list mirrors the
/// queue exactly because every queue operation goes through here and the queue's moves are
/// deterministic: a new waiter joins the back, a notified waiter that re-registers rejoins the
/// front, `notify_one` unlinks the front, and `remove` of a linked waiter unlinks it wherever it is.
#[derive(Debug, Default)]
pub(crate) struct TicketQueue {
    queue: WaitQueue,
    tickets: VecDeque<u64>,
}

impl TicketQueue {
    /// Parks `slot` (see [`WaitQueue::register`]) under `ticket`.
    pub(crate) fn register(&mut self, slot: &mut WaiterSlot, ticket: u64, waker: &Waker) {
        if !slot.is_registered() {
            self.tickets.push_back(ticket);
        } else if self.queue.is_notified(slot) {
            self.tickets.push_front(ticket);
        }
        self.queue.register(slot, waker);
    }

    /// Frees `slot`'s place; `true` if it had been notified and owes the wake-up (see
    /// [`WaitQueue::remove`]).
    pub(crate) fn remove(&mut self, slot: &mut WaiterSlot, ticket: u64) -> bool {
        if slot.is_registered() && !self.queue.is_notified(slot) {
            // Usually at the front (the oldest leave first); a cancelled waiter may be anywhere.
            if let Some(at) = self.tickets.iter().position(|&t| t == ticket) {
                self.tickets.remove(at);
            }
        }
        self.queue.remove(slot)
    }

    /// Notifies the oldest linked waiter; wake the waker after unlocking.
    #[must_use = "wake the returned waker (after unlocking)"]
    pub(crate) fn notify_one(&mut self) -> Option<Waker> {
        let waker = self.queue.notify_one();
        if waker.is_some() {
            self.tickets.pop_front();
        }
        waker
    }

    /// Notifies every linked waiter into `wakes`.
    pub(crate) fn notify_all(&mut self, wakes: &mut WakeList) {
        while let Some(w) = self.notify_one() {
            wakes.push(w);
        }
    }

    /// The ticket of the waiter `notify_one` would wake.
    pub(crate) fn front_ticket(&self) -> Option<u64> {
        self.tickets.front().copied()
    }

    /// No waiter linked and no notification outstanding.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Releases spare capacity when idle.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.queue.shrink_to_fit();
        if self.tickets.is_empty() {
            self.tickets = VecDeque::new();
        }
    }
}

/// Wakers collected under the lock and woken after it is released.
///
/// The common case (one taker, or nobody) costs no allocation and next to nothing to build and
/// drop; several wakers (readers, close) go to a `Vec`.
pub(crate) struct WakeList {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakeList {
    pub(crate) const fn new() -> Self {
        WakeList {
            first: None,
            rest: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, waker: Waker) {
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    #[inline]
    pub(crate) fn push_opt(&mut self, waker: Option<Waker>) {
        if let Some(w) = waker {
            self.push(w);
        }
    }

    /// Wakes everything collected. Call it with no lock held.
    #[inline]
    pub(crate) fn wake_all(self) {
        let WakeList { first, rest } = self;
        if let Some(w) = first {
            w.wake();
            if !rest.is_empty() {
                rest.into_iter().for_each(Waker::wake);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::sync::Arc;
    use core::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn tickets_mirror_the_queue_through_notify_reregister_and_cancel() {
        let c = Arc::new(Counter(AtomicUsize::new(0)));
        let w = Waker::from(c.clone());
        let mut q = TicketQueue::default();
        let mut s: Vec<WaiterSlot> = (0..4).map(|_| WaiterSlot::new()).collect();
        for (i, slot) in s.iter_mut().enumerate() {
            q.register(slot, 10 + i as u64, &w);
        }
        assert_eq!(q.front_ticket(), Some(10));
        assert!(!q.remove(&mut s[2], 12), "cancel in the middle");
        let _ = q.notify_one(); // 10 notified
        assert_eq!(q.front_ticket(), Some(11));
        q.register(&mut s[0], 10, &w); // lost its race: back at the front
        assert_eq!(q.front_ticket(), Some(10));
        let _ = q.notify_one();
        let _ = q.notify_one(); // 10 and 11 notified
        assert_eq!(q.front_ticket(), Some(13));
        assert!(q.remove(&mut s[1], 11), "notified waiter owes the wake-up");
        assert!(q.remove(&mut s[0], 10));
        let mut wakes = WakeList::new();
        q.notify_all(&mut wakes);
        assert_eq!(q.front_ticket(), None);
        wakes.wake_all();
        assert_eq!(c.0.load(Ordering::SeqCst), 1);
        assert!(q.remove(&mut s[3], 13));
        assert!(q.is_empty());
    }

    #[test]
    fn wake_list_wakes_everything_it_collected() {
        let c = Arc::new(Counter(AtomicUsize::new(0)));
        let mut list = WakeList::new();
        for _ in 0..12 {
            list.push(Waker::from(c.clone()));
        }
        list.push_opt(None);
        list.wake_all();
        assert_eq!(c.0.load(Ordering::SeqCst), 12);
    }
}

//! What the space's engine keeps for each waiter ([`Wake`]), and the wakers collected under the
//! space's lock and woken after it is released ([`WakeList`]).

use alloc::vec::Vec;
use core::task::{Context, Waker};

use super::hand_off::SlotRef;
use crate::queue::{Claim, Engine, WaiterId};

/// The engine payload of a space waiter: how to tell it that it is ready.
pub(crate) enum Wake<V> {
    /// A future: wake its task, which claims in its next poll.
    Task(Waker),
    /// A blocking take: the entry is moved into its slot under the lock (see
    /// [`hand_off`](super::hand_off)), then its thread is woken; it never locks again.
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // the blocking takes need `std`
    HandOff { slot: SlotRef<V>, waker: Waker },
}

impl<V> Wake<V> {
    /// A future's payload, cloning `cx`'s waker.
    #[inline]
    pub(crate) fn task(cx: &Context<'_>) -> Self {
        Wake::Task(cx.waker().clone())
    }

    /// Keeps the registered waker current for a re-polled future (no clone when it would wake
    /// the same task).
    #[inline]
    pub(crate) fn refresh(&mut self, cx: &Context<'_>) {
        if let Wake::Task(w) = self {
            if !w.will_wake(cx.waker()) {
                *w = cx.waker().clone();
            }
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

    /// Moves the wakers of every waiter the engine made ready into the list; a blocking take's
    /// entry goes into its hand-off slot here, under the lock. Call it under the space's lock,
    /// after every engine call that may make a waiter ready.
    #[inline]
    pub(crate) fn collect<V>(&mut self, engine: &mut Engine<V, Wake<V>>) {
        // Only the check is inlined into every space operation; the drain is out of line, so
        // the operations that make nobody ready (most of them) stay as small as before.
        if engine.has_ready() {
            self.drain(engine);
        }
    }

    #[inline(never)]
    fn drain<V>(&mut self, engine: &mut Engine<V, Wake<V>>) {
        while let Some((id, wake)) = engine.take_ready() {
            match wake {
                Wake::Task(waker) => self.push(waker),
                Wake::HandOff { slot, waker } => {
                    if hand_off(engine, id, slot) {
                        self.push(waker);
                    }
                }
            }
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

/// Claims hand-off waiter `id` for its taker and fills the taker's slot; `true` if the taker
/// sleeps and must be woken. `false` too (and the slot untouched) if the id is no longer live —
/// the taker gave up and cancelled first.
#[inline]
fn hand_off<V>(engine: &mut Engine<V, Wake<V>>, id: WaiterId, slot: SlotRef<V>) -> bool {
    let value = match engine.claim(id) {
        Claim::Taken(t) | Claim::Matched(_, t) => Some(t.value),
        Claim::Closed => None,
        // Only blocking takes register a hand-off, and a take is handed an entry or closed;
        // anything else means the id is gone (not reached: the taker cancels under the lock
        // this runs under, and `collect` drains the ready list before it is released).
        _ => return false,
    };
    // SAFETY: under the space's lock (`collect`'s contract), once (the claim freed the id), for a
    // waiter the claim just resolved: the slot's owner is still in its frame, spinning or asleep.
    unsafe { slot.fill(value) }
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
    fn wake_list_wakes_everything_it_collected() {
        let c = Arc::new(Counter(AtomicUsize::new(0)));
        let mut list = WakeList::new();
        for _ in 0..12 {
            list.push(Waker::from(c.clone()));
        }
        list.wake_all();
        assert_eq!(c.0.load(Ordering::SeqCst), 12);
    }
}

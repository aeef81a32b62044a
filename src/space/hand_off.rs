//! The hand-off slot of a waiting blocking take: an `out` that finds the take waiting moves the
//! entry into the taker's own slot, so the woken thread reads it without locking the space again.
//!
//! The shape of flume's `Hook` and of std's zero-capacity channel (`std::sync::mpmc::zero`, whose
//! `Packet` lives on the receiving thread's stack): the slot lives in the blocked thread's
//! [`take_blocking`](super::LocalSpace::take_blocking) frame; the engine's waiter record carries
//! a [`SlotRef`] to it.
//!
//! # The protocol (why the raw pointer is sound)
//! * **Filled only under the space's lock, at most once.** [`WakeList::collect`](super::waiters)
//!   claims a ready hand-off waiter from the engine and fills its slot in the same critical
//!   section. A claim succeeds once per waiter id, so one slot is filled at most once; a claim of
//!   an id the taker already cancelled answers `Unknown`, and then the slot is not touched.
//! * **The filler's last access is the `Release` swap of the state.** The value is written
//!   first; the swap publishes it and tells whether the owner went to sleep; the filler keeps no
//!   reference after it (it wakes a sleeping owner through its own clone of the waker).
//! * **No lost wake-up.** The owner spins on the slot first, then moves it from empty to
//!   *sleeping* with a compare-and-swap before it sleeps; the filler's swap to *filled* sees
//!   *sleeping* exactly when the owner's compare-and-swap came first, and wakes it then only.
//! * **The taker leaves its frame only when no filler can come**: after it saw the state filled
//!   (`Acquire`, pairing with the swap), or, giving up (a timeout, an unwind), after it took the
//!   space's lock and either found the slot filled or cancelled its waiter id — after which the
//!   engine holds no reference to the slot.
//!
//! Loom checks the protocol (`tests/loom/space.rs`, the `hand_off_*` models): reading the state
//! with `Relaxed`, giving up without the lock, or a filler that does not wake a sleeping owner
//! makes them fail (checked by making each change).

use core::ptr::NonNull;

/// The state needs compare-and-swap: on targets without it (Cortex-M0), portable-atomic's, as
/// the ring's positions (the blocking takes that use it are `std`-only, so the firmware links
/// none of it).
#[cfg(any(loom, target_has_atomic = "ptr"))]
use crate::sync::atomic::AtomicUsize;
use crate::sync::atomic::Ordering;
#[cfg(all(not(loom), not(target_has_atomic = "ptr")))]
use portable_atomic::AtomicUsize;

#[cfg(not(loom))]
struct Cell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> Cell<T> {
    const fn new(value: T) -> Self {
        Cell(core::cell::UnsafeCell::new(value))
    }
    fn with_mut<U>(&self, f: impl FnOnce(*mut T) -> U) -> U {
        f(self.0.get())
    }
}

#[cfg(loom)]
use loom::cell::UnsafeCell as Cell;

const EMPTY: usize = 0;
const FILLED: usize = 1;
/// The owner stopped spinning and sleeps: the filler must wake it.
const SLEEPING: usize = 2;

/// A waiting blocking take's slot: empty, then filled once with the entry (`Some`) or with the
/// news that the space closed (`None`).
pub(crate) struct HandOff<V> {
    state: AtomicUsize,
    value: Cell<Option<V>>,
}

// Used by the blocking takes (`std`); the waiter payload that names the slot exists everywhere.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
impl<V> HandOff<V> {
    pub(crate) fn new() -> Self {
        HandOff {
            state: AtomicUsize::new(EMPTY),
            value: Cell::new(None),
        }
    }

    /// Tells a filler that the owner is going to sleep (so it must be woken); `false` if the
    /// slot was filled meanwhile (no sleep: read it). Called by the slot's owner only.
    pub(crate) fn will_sleep(&self) -> bool {
        self.state
            .compare_exchange(EMPTY, SLEEPING, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }

    /// What the filler put in: `Some(Some(value))`, `Some(None)` for closed, `None` while empty.
    /// Takes no lock; called by the slot's owner only, which stops looking at the first `Some`
    /// (a second look at a filled slot would find it spent: `Some(None)`).
    pub(crate) fn try_take(&self) -> Option<Option<V>> {
        if self.state.load(Ordering::Acquire) == FILLED {
            // SAFETY: the filler's writes happened before its `Release` swap to FILLED, which
            // this `Acquire` load saw; it never touches the slot again, and only the owner reads.
            Some(self.value.with_mut(|v| unsafe { (*v).take() }))
        } else {
            None
        }
    }
}

/// A reference to a waiting take's [`HandOff`], held by the engine's waiter record.
pub(crate) struct SlotRef<V>(NonNull<HandOff<V>>);

// SAFETY: a `SlotRef` moves a `V` into the slot of another thread (the taker's): sending it is
// sending a `V`. It is dereferenced only under the space's lock (see the module docs).
unsafe impl<V: Send> Send for SlotRef<V> {}

#[cfg_attr(not(feature = "std"), allow(dead_code))]
impl<V> SlotRef<V> {
    /// A reference to `slot`, which must stay where it is until the protocol says it may go (the
    /// module docs): [`LocalSpace::take_blocking`](super::LocalSpace::take_blocking) keeps it in
    /// its frame and cancels before it leaves.
    pub(crate) fn new(slot: &HandOff<V>) -> Self {
        SlotRef(NonNull::from(slot))
    }

    /// Fills the slot with what the taker's claim gave: `Some(value)`, or `None` for closed.
    ///
    /// # Safety
    /// Call it under the space's lock, at most once per slot, and only for a waiter id the engine
    /// just resolved (a successful claim): the taker is then still in its frame, blocked or about
    /// to look, and cannot leave it before this store (it would need the lock).
    ///
    /// Returns whether the owner sleeps and must be woken: an owner still spinning on the slot
    /// sees it filled by itself, and the filler saves the wake-up (two cache lines of the
    /// owner's thread that would otherwise cross cores per hand-off).
    #[must_use = "a sleeping owner must be woken"]
    pub(crate) unsafe fn fill(self, value: Option<V>) -> bool {
        // SAFETY: the caller's contract: the slot is alive and nobody else writes or reads its
        // value until the `Release` swap below publishes it.
        let slot = unsafe { self.0.as_ref() };
        slot.value.with_mut(|v| unsafe { *v = value });
        // One atomic swap orders this against the owner's `will_sleep`: either the owner's
        // compare-and-swap came first (we see SLEEPING and wake it) or ours did (it sees FILLED
        // and does not sleep). Nothing touches the slot after it.
        slot.state.swap(FILLED, Ordering::Release) == SLEEPING
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    extern crate std;
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;
    use std::vec::Vec;

    use crate::space::{LocalSpace, WaitError};
    use crate::sync::StdRawMutex;

    type Space = LocalSpace<u64, StdRawMutex>;

    /// Spins until `n` takers wait on the space (the engine's count, read under the lock).
    fn await_waiters(space: &Space, n: usize) {
        while space.state.lock(|e| e.waiter_count()) < n {
            thread::yield_now();
        }
    }

    #[test]
    fn a_waiting_blocking_take_is_handed_its_entry_and_frees_its_waiter() {
        let space = Arc::new(Space::new());
        let taker = {
            let space = space.clone();
            thread::spawn(move || space.take_blocking("k"))
        };
        await_waiters(&space, 1);
        space.try_push("k", 7).unwrap();
        assert_eq!(taker.join().unwrap(), Ok(7));
        // Claimed by the hand-off under the lock: no waiter record, no entry left behind.
        assert_eq!(space.state.lock(|e| e.waiter_count()), 0);
        assert_eq!(space.total_len(), 0);
        assert!(space.keys().is_empty());
    }

    #[test]
    fn blocking_and_async_takers_are_served_in_arrival_order() {
        let space = Arc::new(Space::new());
        let mut takers = Vec::new();
        for i in 0..4 {
            let mine = space.clone();
            takers.push(thread::spawn(move || {
                if i % 2 == 0 {
                    mine.take_blocking("k")
                } else {
                    futures::executor::block_on(mine.take("k")).map_err(WaitError::from)
                }
            }));
            await_waiters(&space, i + 1); // arrival order = spawn order
        }
        for v in 0..4 {
            space.try_push("k", v).unwrap();
        }
        let got: Vec<_> = takers.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(got, [Ok(0), Ok(1), Ok(2), Ok(3)]);
    }

    #[test]
    fn close_ends_waiting_blocking_takes() {
        let space = Arc::new(Space::new());
        let takers: Vec<_> = (0..3)
            .map(|i| {
                let space = space.clone();
                thread::spawn(move || match i {
                    0 => space.take_blocking("a"),
                    1 => space.key("b").take_blocking(),
                    _ => space.take_timeout("c", Duration::from_secs(60)),
                })
            })
            .collect();
        await_waiters(&space, 3);
        space.close();
        for t in takers {
            assert_eq!(t.join().unwrap(), Err(WaitError::Closed));
        }
    }

    /// Timeouts racing hand-offs, many times over: every value pushed is taken exactly once or
    /// is still queued — a taker that gave up just as it was handed a value keeps it (it was
    /// taken) and a cancelled one leaves nothing behind.
    #[test]
    fn timeouts_racing_hand_offs_lose_and_duplicate_nothing() {
        const N: u64 = if cfg!(miri) { 40 } else { 4_000 };
        let space = Arc::new(Space::new());
        let taker = {
            let space = space.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                let mut timeouts = 0;
                while got.len() < N as usize {
                    match space.take_timeout("k", Duration::from_micros(timeouts % 3)) {
                        Ok(v) => got.push(v),
                        Err(WaitError::TimedOut) => timeouts += 1,
                        Err(WaitError::Closed) => break,
                    }
                }
                got
            })
        };
        for v in 0..N {
            space.try_push("k", v).unwrap();
            if v % 7 == 0 {
                thread::yield_now();
            }
        }
        let got = taker.join().unwrap();
        // One producer, one taker: arrival order holds, so the values come back in order.
        assert_eq!(got, (0..N).collect::<Vec<_>>());
        assert_eq!(space.total_len(), 0);
        assert_eq!(space.state.lock(|e| e.waiter_count()), 0);
    }

    #[test]
    fn a_handed_off_value_is_dropped_exactly_once() {
        struct Counted(#[allow(dead_code)] Arc<()>); // held for its drop
        let token = Arc::new(());
        let space = Arc::new(LocalSpace::<Counted, StdRawMutex>::new());
        let taker = {
            let space = space.clone();
            thread::spawn(move || space.take_blocking("k").map(drop))
        };
        while space.state.lock(|e| e.waiter_count()) < 1 {
            thread::yield_now();
        }
        space.try_push("k", Counted(token.clone())).unwrap();
        assert_eq!(taker.join().unwrap(), Ok(()));
        assert_eq!(Arc::strong_count(&token), 1); // dropped by the taker, not leaked
    }
}

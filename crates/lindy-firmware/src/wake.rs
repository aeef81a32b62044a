//! Wakers that count their wake-ups, and a poll helper, to drive futures by hand on the chip.
//!
//! `alloc::task::Wake` needs `Arc`, which a Cortex-M0 lacks, so the wakers point into a static
//! table of counters instead: [`counting_waker(i)`](counting_waker) bumps counter `i`.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicUsize, Ordering};
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// How many distinct counting wakers exist.
pub const SLOTS: usize = 8;

static COUNTS: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];

fn bump(slot: usize) {
    // No read-modify-write atomics on a Cortex-M0: a critical section makes load + store one step.
    critical_section::with(|_| {
        let c = &COUNTS[slot];
        c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    });
}

const VTABLE: RawWakerVTable = RawWakerVTable::new(
    |data| RawWaker::new(data, &VTABLE),
    |data| bump(data as usize),
    |data| bump(data as usize),
    |_| {},
);

/// A waker that counts its wake-ups in counter `slot` (`< SLOTS`).
pub fn counting_waker(slot: usize) -> Waker {
    assert!(slot < SLOTS, "counting_waker slot out of range");
    // Safety: the vtable functions only read `data` as a slot number; nothing is owned.
    unsafe { Waker::from_raw(RawWaker::new(slot as *const (), &VTABLE)) }
}

/// Wake-ups counted in `slot` so far.
pub fn wakes(slot: usize) -> usize {
    COUNTS[slot].load(Ordering::Relaxed)
}

/// Zeroes every counter (the harness does it before each case).
pub fn reset() {
    for c in &COUNTS {
        c.store(0, Ordering::Relaxed);
    }
}

/// Polls `fut` once with the counting waker of `slot`.
pub fn poll_with<F: Future + ?Sized>(fut: Pin<&mut F>, slot: usize) -> Poll<F::Output> {
    let waker = counting_waker(slot);
    fut.poll(&mut Context::from_waker(&waker))
}

/// Runs a future that must finish without waiting on anything outside itself (everything it
/// awaits is already available, or made available by itself); `None` if it is still pending after
/// `max_polls` polls.
pub fn run_ready<F: Future>(fut: F, max_polls: usize) -> Option<F::Output> {
    let mut fut = core::pin::pin!(fut);
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    for _ in 0..max_polls {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return Some(v);
        }
    }
    None
}

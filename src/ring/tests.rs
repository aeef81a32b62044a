//! Unit tests of the rings' `unsafe` paths; `make miri` runs them under Miri.

extern crate std;

use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::Cell;
use core::future::Future;
use core::pin::{pin, Pin};
use core::task::{Context, Poll, Waker};
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::*;
use crate::error::Full;
use crate::sync::NoopRawMutex;

/// Counts drops; panics in `drop` when `panics` is set (after counting).
struct Tracked<'a> {
    drops: &'a Cell<usize>,
    panics: bool,
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
        if self.panics {
            panic!("Tracked::drop panics on purpose");
        }
    }
}

fn tracked(drops: &Cell<usize>) -> Tracked<'_> {
    Tracked {
        drops,
        panics: false,
    }
}

#[test]
fn ring_capacity_one() {
    let mut r: Ring<u8, 1> = Ring::new();
    assert_eq!((r.capacity(), r.len()), (1, 0));
    assert!(r.is_empty() && !r.is_full());
    r.try_push(7).unwrap();
    assert!(r.is_full());
    assert_eq!(r.try_push(8), Err(Full(8)));
    assert_eq!(r.try_take(), Some(7));
    assert_eq!(r.try_take(), None);
    for v in 0..10 {
        r.try_push(v).unwrap();
        assert_eq!(r.front(), Some(&v));
        assert_eq!(r.try_take(), Some(v));
    }
}

#[test]
fn ring_exact_fill_then_full_hands_the_value_back_in_fifo_order() {
    let mut r: Ring<String, 4> = Ring::new();
    for v in ["a", "b", "c", "d"] {
        r.try_push(v.to_string()).unwrap();
    }
    assert!(r.is_full());
    let err = r.try_push("e".to_string()).unwrap_err();
    assert_eq!(err.code(), "BUFFER_FULL");
    assert_eq!(err.into_inner(), "e");
    assert_eq!(r.len(), 4);
    let out: Vec<String> = core::iter::from_fn(|| r.try_take()).collect();
    assert_eq!(out, ["a", "b", "c", "d"]);
}

#[test]
fn ring_wraps_around_over_many_partial_drain_cycles() {
    let mut r: Ring<u32, 5> = Ring::new();
    let (mut next_in, mut next_out) = (0u32, 0u32);
    for cycle in 0..200u32 {
        // Push 1..=5 values, pop 1..=len values: head and tail sweep every offset.
        for _ in 0..=(cycle % 5) {
            if r.try_push(next_in).is_ok() {
                next_in += 1;
            }
        }
        assert!(r.iter().copied().eq(next_out..next_in), "cycle {cycle}");
        let (a, b) = r.as_slices();
        assert_eq!(a.len() + b.len(), r.len());
        for _ in 0..=(cycle % 3).min(r.len() as u32) {
            if let Some(v) = r.try_take() {
                assert_eq!(v, next_out);
                next_out += 1;
            }
        }
    }
    assert!(next_out > 300, "the test really cycled ({next_out} values)");
}

#[test]
fn ring_accessors_follow_the_wrapped_order() {
    let mut r: Ring<u32, 4> = Ring::new();
    for v in 0..4 {
        r.try_push(v).unwrap();
    }
    r.try_take();
    r.try_take();
    r.try_push(4).unwrap();
    r.try_push(5).unwrap(); // occupied slots wrap: [4, 5, 2, 3]
    let (a, b) = r.as_slices();
    assert_eq!((a, b), (&[2, 3][..], &[4, 5][..]));
    assert_eq!((r.front(), r.back()), (Some(&2), Some(&5)));
    assert_eq!((r.get(2), r.get(4)), (Some(&4), None));
    assert!(r.iter().rev().copied().eq([5, 4, 3, 2]));
    assert_eq!(r.iter().len(), 4);
    let mut it = r.iter();
    assert_eq!((it.next(), it.next_back()), (Some(&2), Some(&5)));
    assert!(it.copied().eq([3, 4]));
    for v in &mut r {
        *v *= 10;
    }
    *r.get_mut(0).unwrap() += 1;
    assert!(r.iter().copied().eq([21, 30, 40, 50]));
    assert_eq!(alloc::format!("{r:?}"), "[21, 30, 40, 50]");
    let copy = r.clone();
    assert_eq!(copy, r);
    assert!(r.into_iter().eq([21, 30, 40, 50]));
}

#[test]
fn ring_clear_drops_everything_once_and_the_ring_is_reusable() {
    let drops = Cell::new(0);
    let mut r: Ring<Tracked<'_>, 3> = Ring::new();
    for _ in 0..3 {
        assert!(r.try_push(tracked(&drops)).is_ok());
    }
    drop(r.try_take());
    assert!(r.try_push(tracked(&drops)).is_ok()); // wrapped
    r.clear();
    assert_eq!(drops.get(), 4);
    assert!(r.is_empty());
    assert!(r.try_push(tracked(&drops)).is_ok());
    drop(r);
    assert_eq!(drops.get(), 5);
}

#[test]
fn ring_overwrite_evicts_oldest_first() {
    let mut r: Ring<u32, 3> = Ring::new();
    let evicted: Vec<u32> = (0..10).filter_map(|v| r.push_overwrite(v)).collect();
    assert_eq!(evicted, (0..7).collect::<Vec<_>>());
    assert!(r.iter().copied().eq([7, 8, 9]));
    assert_eq!(r.try_take(), Some(7));
    assert_eq!(r.push_overwrite(10), None);
    assert!(r.iter().copied().eq([8, 9, 10]));
}

#[test]
fn ring_overwrite_drop_counts() {
    let drops = Cell::new(0);
    let mut r: Ring<Tracked<'_>, 2> = Ring::new();
    for _ in 0..5 {
        drop(r.push_overwrite(tracked(&drops)));
    }
    assert_eq!(drops.get(), 3, "three evicted values dropped by the caller");
    drop(r);
    assert_eq!(drops.get(), 5);
}

/// A panicking `Drop` in either run of a wrapped ring: every value is still dropped once.
#[test]
fn ring_drop_continues_after_a_panicking_drop() {
    for panicking in 0..4 {
        let drops = Cell::new(0);
        let mut r: Ring<Tracked<'_>, 4> = Ring::new();
        for _ in 0..4 {
            assert!(r.try_push(tracked(&drops)).is_ok());
        }
        drop(r.try_take());
        drop(r.try_take());
        for _ in 0..2 {
            assert!(r.try_push(tracked(&drops)).is_ok());
        }
        // Occupied: slots 2, 3 (front run) then 0, 1 (wrapped run).
        r.get_mut(panicking).unwrap().panics = true;
        let result = catch_unwind(AssertUnwindSafe(|| drop(r)));
        assert!(result.is_err(), "the panic propagates");
        assert_eq!(
            drops.get(),
            6,
            "panicking value #{panicking}: all dropped once"
        );
    }
}

#[test]
fn ring_clear_after_a_panicking_drop_leaves_it_empty_and_usable() {
    let drops = Cell::new(0);
    let mut r: HeapRing<Tracked<'_>> = HeapRing::with_capacity(3).unwrap();
    for _ in 0..3 {
        assert!(r.try_push(tracked(&drops)).is_ok());
    }
    r.get_mut(0).unwrap().panics = true;
    assert!(catch_unwind(AssertUnwindSafe(|| r.clear())).is_err());
    assert_eq!(drops.get(), 3);
    assert!(r.is_empty());
    assert!(r.try_push(tracked(&drops)).is_ok());
    drop(r);
    assert_eq!(drops.get(), 4);
}

#[test]
fn ring_into_iter_drops_what_was_not_taken() {
    let drops = Cell::new(0);
    let mut r: Ring<Tracked<'_>, 4> = Ring::new();
    for _ in 0..4 {
        assert!(r.try_push(tracked(&drops)).is_ok());
    }
    let mut it = r.into_iter();
    assert_eq!(it.len(), 4);
    drop(it.next());
    drop(it);
    assert_eq!(drops.get(), 4);
}

#[test]
fn heap_ring_capacity_errors_and_behaviour() {
    let zero = HeapRing::<u8>::with_capacity(0).unwrap_err();
    assert_eq!(zero, CapacityError::Zero);
    assert_eq!(zero.code(), "INVALID_CONFIG");
    assert!(zero.to_string().contains("at least 1"));
    let huge = HeapRing::<u64>::with_capacity(usize::MAX / 2).unwrap_err();
    assert!(matches!(huge, CapacityError::TooLarge { .. }));
    assert!(huge.to_string().contains("too large"));

    let mut r = HeapRing::with_capacity(3).unwrap();
    assert_eq!(r.capacity(), 3);
    for v in 0..3 {
        r.try_push(Rc::new(v)).unwrap();
    }
    assert_eq!(*r.try_push(Rc::new(9)).unwrap_err().into_inner(), 9);
    assert_eq!(r.push_overwrite(Rc::new(3)).as_deref(), Some(&0));
    assert!(r.clone().iter().map(|v| **v).eq([1, 2, 3]));
}

#[test]
fn zero_sized_values_with_the_largest_capacity() {
    // The largest capacity: position arithmetic must not overflow.
    assert!(HeapRing::<()>::with_capacity(usize::MAX).is_err());
    let mut r: HeapRing<()> = HeapRing::with_capacity(isize::MAX as usize).unwrap();
    for _ in 0..10 {
        r.try_push(()).unwrap();
    }
    for _ in 0..7 {
        r.try_take().unwrap();
    }
    for _ in 0..10 {
        r.try_push(()).unwrap();
    }
    assert_eq!(r.len(), 13);
    assert_eq!(r.iter().count(), 13);
    assert_eq!(r.get(12), Some(&()));
    let mut pow2: HeapRing<()> = HeapRing::with_capacity(1 << (usize::BITS - 2)).unwrap();
    for _ in 0..5 {
        pow2.try_push(()).unwrap();
        pow2.try_take().unwrap();
    }
    pow2.try_push(()).unwrap();
    assert_eq!(pow2.len(), 1);
}

#[test]
fn a_view_is_the_same_ring() {
    let mut r: Ring<u8, 3> = Ring::new();
    {
        let view: &mut RingView<u8> = &mut r;
        view.try_push(1).unwrap();
        assert_eq!(view.capacity(), 3);
    }
    r.as_mut_view().try_push(2).unwrap();
    assert!(r.as_view().iter().copied().eq([1, 2]));
}

#[test]
fn a_static_ring_is_const_constructed() {
    static RING: LockingRing<u32, 2, crate::sync::CriticalSectionRawMutex> = LockingRing::new();
    RING.try_push(1).unwrap();
    assert_eq!(RING.try_take(), Ok(1));
}

// ---- LockingRing with hand-driven futures (no executor, so Miri runs them) ----

fn noop_cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

#[test]
fn locking_ring_try_api_and_errors() {
    let ring: LockingRing<String, 1, NoopRawMutex> = LockingRing::new();
    assert_eq!(ring.try_take(), Err(TryTakeError::Empty));
    assert_eq!(TryTakeError::Empty.code(), "BUFFER_EMPTY");
    ring.try_push("a".into()).unwrap();
    let full = ring.try_push("b".into()).unwrap_err();
    assert_eq!((full.code(), full.is_closed()), ("BUFFER_FULL", false));
    assert_eq!(full.into_inner(), "b");
    assert!(ring.close());
    assert!(!ring.close(), "close is idempotent");
    let closed = ring.try_push("c".into()).unwrap_err();
    assert_eq!((closed.code(), closed.into_inner()), ("CLOSED", "c".into()));
    assert_eq!(ring.try_take().as_deref(), Ok("a"), "drains after close");
    assert_eq!(ring.try_take(), Err(TryTakeError::Closed));
    assert_eq!(TryTakeError::Closed.code(), "CLOSED");
    assert!(ring.is_closed() && ring.is_empty());
    assert_eq!(ring.capacity(), 1);
}

/// A waker that counts its wake-ups.
struct CountingWaker(std::sync::atomic::AtomicUsize);

impl std::task::Wake for CountingWaker {
    fn wake(self: alloc::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn counting_waker() -> (alloc::sync::Arc<CountingWaker>, Waker) {
    let count = alloc::sync::Arc::new(CountingWaker(Default::default()));
    (count.clone(), Waker::from(count))
}

fn wakes(count: &CountingWaker) -> usize {
    count.0.load(std::sync::atomic::Ordering::SeqCst)
}

#[test]
fn locking_ring_woken_then_dropped_pop_hands_the_value_on() {
    let ring: LockingRing<String, 2, NoopRawMutex> = LockingRing::new();
    let (first_wakes, first_waker) = counting_waker();
    let (second_wakes, second_waker) = counting_waker();
    let mut first = alloc::boxed::Box::pin(ring.take());
    let mut second = pin!(ring.take());
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&first_waker))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&second_waker))
        .is_pending());
    ring.try_push("x".into()).unwrap();
    assert_eq!(
        (wakes(&first_wakes), wakes(&second_wakes)),
        (1, 0),
        "oldest first"
    );
    drop(first); // cancelled before taking it: passes the wake-up on
    assert_eq!(wakes(&second_wakes), 1, "the next waiter was woken");
    assert_eq!(
        second.as_mut().poll(&mut noop_cx()),
        Poll::Ready(Some("x".into()))
    );
}

#[test]
fn locking_ring_dropped_pop_that_was_not_woken_wakes_nobody() {
    let ring: LockingRing<u8, 2, NoopRawMutex> = LockingRing::new();
    let (wakes_a, waker_a) = counting_waker();
    let (wakes_b, waker_b) = counting_waker();
    let mut a = alloc::boxed::Box::pin(ring.take());
    let mut b = alloc::boxed::Box::pin(ring.take());
    assert!(a
        .as_mut()
        .poll(&mut Context::from_waker(&waker_a))
        .is_pending());
    assert!(b
        .as_mut()
        .poll(&mut Context::from_waker(&waker_b))
        .is_pending());
    drop(a);
    ring.try_push(1).unwrap();
    assert_eq!(
        (wakes(&wakes_a), wakes(&wakes_b)),
        (0, 1),
        "a left the queue"
    );
    assert_eq!(b.as_mut().poll(&mut noop_cx()), Poll::Ready(Some(1)));
}

#[test]
fn locking_ring_push_waits_for_room_and_cancel_returns_the_value() {
    let ring: LockingRing<String, 1, NoopRawMutex> = LockingRing::new();
    let mut cx = noop_cx();
    ring.try_push("a".into()).unwrap();
    let mut waiting = ring.push("b".into());
    assert!(Pin::new(&mut waiting).poll(&mut cx).is_pending());
    assert_eq!(waiting.cancel().as_deref(), Some("b"));
    let mut waiting = ring.push("c".into());
    assert!(Pin::new(&mut waiting).poll(&mut cx).is_pending());
    assert_eq!(ring.try_take().as_deref(), Ok("a"));
    assert_eq!(Pin::new(&mut waiting).poll(&mut cx), Poll::Ready(Ok(())));
    assert_eq!(waiting.cancel(), None, "already pushed");
    assert_eq!(ring.len(), 1);
    // A push parked when the ring closes gets its value back.
    let mut parked = ring.push("d".into());
    assert!(Pin::new(&mut parked).poll(&mut cx).is_pending());
    ring.close();
    let Poll::Ready(Err(closed)) = Pin::new(&mut parked).poll(&mut cx) else {
        panic!("a closed ring must hand the value back")
    };
    assert_eq!(closed.into_inner(), "d");
}

#[test]
fn locking_heap_ring_shares_an_existing_ring() {
    let mut ring: HeapRing<u8> = HeapRing::with_capacity(2).unwrap();
    ring.try_push(1).unwrap();
    let shared: LockingHeapRing<u8, NoopRawMutex> = ring.into();
    assert_eq!(shared.len(), 1);
    shared.try_push(2).unwrap();
    let back = shared.into_inner();
    assert!(back.iter().copied().eq([1, 2]));
    assert_eq!(
        LockingHeapRing::<u8>::with_capacity(0).unwrap_err(),
        CapacityError::Zero
    );
}

// ---- LockingRing's lock-free core: slots written and read by different threads ----

/// Producers and consumers on real threads (Miri checks the slot accesses for data races):
/// owned values cross once each, in per-producer order, over a non-power-of-two capacity. Run
/// once per publication: claim-ordered (std's lock, release stamps) and stamp-ordered (the
/// critical-section lock, through `critical-section`'s std implementation).
#[cfg(all(feature = "std", not(loom)))]
#[test]
fn locking_ring_threads_hand_off_owned_values_once() {
    threads_hand_off_owned_values_once::<crate::sync::StdRawMutex>();
    threads_hand_off_owned_values_once::<crate::sync::CriticalSectionRawMutex>();
}

#[cfg(all(feature = "std", not(loom)))]
fn threads_hand_off_owned_values_once<R: crate::sync::RawMutex + Sync>() {
    const PER_PRODUCER: usize = if cfg!(miri) { 30 } else { 5_000 };
    let ring: LockingRing<String, 3, R> = LockingRing::new();
    let ring = &ring;
    let per_consumer: Vec<Vec<String>> = std::thread::scope(|s| {
        let consumers: Vec<_> = (0..2)
            .map(|_| s.spawn(|| std::iter::from_fn(|| ring.take_blocking()).collect::<Vec<_>>()))
            .collect();
        let producers: Vec<_> = (0..2)
            .map(|p| {
                s.spawn(move || {
                    for i in 0..PER_PRODUCER {
                        ring.push_blocking(std::format!("{p}-{i:05}")).unwrap();
                    }
                })
            })
            .collect();
        producers.into_iter().for_each(|h| h.join().unwrap());
        assert!(ring.close());
        consumers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for got in &per_consumer {
        for p in 0..2 {
            let prefix = std::format!("{p}-");
            let mine: Vec<&String> = got.iter().filter(|v| v.starts_with(&prefix)).collect();
            assert!(
                mine.windows(2).all(|w| w[0] < w[1]),
                "producer {p}'s order kept"
            );
        }
    }
    let mut all: Vec<String> = per_consumer.into_iter().flatten().collect();
    all.sort();
    let mut want: Vec<String> = (0..2)
        .flat_map(|p| (0..PER_PRODUCER).map(move |i| std::format!("{p}-{i:05}")))
        .collect();
    want.sort();
    assert_eq!(all, want, "every value exactly once");
    assert_eq!(ring.try_take(), Err(TryTakeError::Closed));
}

/// A waiting take that meets a push claimed but not published (its producer preempted
/// mid-push): with std's lock (release stamps) the producer may have missed the take's flag, so
/// the take must not park — it wakes itself and returns `Pending`, and takes the value once it
/// is published; with the critical-section lock (`SeqCst` stamps) it parks, and the producer
/// wakes it when it publishes.
#[cfg(all(feature = "std", not(loom)))]
#[test]
fn a_take_meeting_a_push_in_flight_waits_or_parks_by_publication() {
    fn run<R: crate::sync::RawMutex>() -> (usize, usize) {
        let ring: LockingRing<u32, 2, R> = LockingRing::new();
        ring.claim_without_publishing();
        let (count, waker) = counting_waker();
        let mut cx = Context::from_waker(&waker);
        let mut take = pin!(ring.take());
        assert!(take.as_mut().poll(&mut cx).is_pending());
        let woken_before_publication = wakes(&count);
        ring.publish_claimed(7);
        let woken_after_publication = wakes(&count);
        assert_eq!(take.as_mut().poll(&mut cx), Poll::Ready(Some(7)));
        (woken_before_publication, woken_after_publication)
    }
    // Claim-ordered: woken by itself before the value exists (it must look again); this
    // producer read the flag after the take raised it, so it wakes the take too.
    assert_eq!(run::<crate::sync::StdRawMutex>(), (1, 2));
    // Stamp-ordered: parked, woken by the publication.
    assert_eq!(run::<crate::sync::CriticalSectionRawMutex>(), (0, 1));
}

/// Values left in a locking ring are dropped exactly once, by `Drop` (even when one panics) or
/// by the ring `into_inner` hands back; `From<Ring>` keeps a wrapped ring's order.
#[test]
fn locking_ring_leftovers_drop_once_and_into_inner_keeps_order() {
    let drops = Cell::new(0);
    let ring: LockingRing<Tracked<'_>, 3, NoopRawMutex> = LockingRing::new();
    for panics in [false, true, false] {
        ring.try_push(Tracked {
            drops: &drops,
            panics,
        })
        .ok()
        .unwrap();
    }
    let r = catch_unwind(AssertUnwindSafe(|| drop(ring)));
    assert!(r.is_err(), "the panicking drop surfaces");
    assert_eq!(
        drops.get(),
        3,
        "the values after the panicking one are dropped too"
    );

    // A ring whose positions wrapped, shared, used, and taken back.
    let mut plain: Ring<String, 3> = Ring::new();
    for v in ["a", "b", "c", "d"] {
        plain.push_overwrite(v.to_string());
    }
    let shared: LockingRing<String, 3, NoopRawMutex> = LockingRing::from(plain);
    assert_eq!(shared.len(), 3);
    assert_eq!(shared.try_take(), Ok("b".to_string()));
    shared.try_push("e".to_string()).unwrap();
    let back = shared.into_inner();
    assert!(back.iter().map(String::as_str).eq(["c", "d", "e"]));

    let heap: LockingHeapRing<String, NoopRawMutex> =
        LockingHeapRing::from(HeapRing::with_capacity(2).unwrap());
    heap.try_push("x".to_string()).unwrap();
    heap.try_push("y".to_string()).unwrap();
    assert!(heap.try_push("z".to_string()).is_err());
    assert_eq!(heap.try_take(), Ok("x".to_string()));
    drop(heap); // "y" is dropped with it (Miri reports a leak otherwise)
}

/// Positions run over many laps (a non-power-of-two and a power-of-two capacity); a full ring
/// that is then closed reports its length, refuses pushes, drains in order, and `into_inner`
/// of a closed ring keeps what is left.
#[test]
fn locking_ring_positions_wrap_over_many_laps_and_close_keeps_the_values() {
    fn run<const N: usize>() {
        let ring: LockingRing<u32, N, NoopRawMutex> = LockingRing::new();
        let laps = if cfg!(miri) { 5 } else { 1_000 };
        let mut next_in = 0;
        let mut next_out = 0;
        for _ in 0..laps {
            // Fill, half drain: the positions move by `N / 2 + 1` slots a round.
            while ring.try_push(next_in).is_ok() {
                next_in += 1;
            }
            assert_eq!(ring.len(), N);
            for _ in 0..=N / 2 {
                assert_eq!(ring.try_take(), Ok(next_out));
                next_out += 1;
            }
            assert_eq!(ring.len(), N - (N / 2 + 1));
        }
        while ring.try_push(next_in).is_ok() {
            next_in += 1;
        }
        assert!(ring.close());
        assert!(ring.is_closed() && !ring.close());
        assert_eq!(ring.len(), N);
        assert!(matches!(ring.try_push(7), Err(TryPushError::Closed(7))));
        assert_eq!(ring.try_take(), Ok(next_out));
        next_out += 1;
        let back = ring.into_inner();
        assert!(back.iter().copied().eq(next_out..next_in));
    }
    run::<1>();
    run::<3>();
    run::<4>();
    run::<5>();
}

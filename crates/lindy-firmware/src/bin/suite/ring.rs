//! Rings: the fixed ring, the heap ring, and the locking ring's futures.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::Cell;
use core::pin::pin;
use core::task::Poll;

use lindy::ring::{CapacityError, HeapRing, LockingRing, Ring, TryPushError, TryTakeError};
use lindy_firmware::harness::{Case, Outcome};
use lindy_firmware::wake::{poll_with, wakes};
use lindy_firmware::{cases, ensure, ensure_eq};

pub const CASES: [Case; 7] = cases![
    a_full_ring_hands_the_value_back,
    the_ring_wraps_and_overwrites_the_oldest,
    every_value_is_dropped_exactly_once,
    a_heap_ring_too_large_for_the_chip_is_an_error_not_an_abort,
    a_waiting_pop_is_woken_by_a_push,
    a_waiting_push_is_woken_by_a_pop,
    a_static_locking_ring_closes_and_drains,
];

fn a_full_ring_hands_the_value_back() -> Outcome {
    let mut ring: Ring<u32, 3> = Ring::new();
    for v in 0..3 {
        ring.try_push(v).unwrap();
    }
    ensure!(ring.is_full());
    let err = ring.try_push(3).unwrap_err();
    ensure_eq!(err.code(), "BUFFER_FULL");
    ensure_eq!(err.into_inner(), 3);
    ensure_eq!(ring.try_take(), Some(0));
    ensure!(ring.try_push(3).is_ok());
    ensure!(ring.iter().eq(&[1, 2, 3]));
    Ok(())
}

fn the_ring_wraps_and_overwrites_the_oldest() -> Outcome {
    let mut ring: Ring<u32, 4> = Ring::new();
    for v in 0..10 {
        ring.push_overwrite(v);
    }
    ensure!(ring.iter().eq(&[6, 7, 8, 9]));
    ensure_eq!(ring.front(), Some(&6));
    ensure_eq!(ring.back(), Some(&9));
    ensure_eq!(ring.get(2), Some(&8));
    let (a, b) = ring.as_slices();
    ensure_eq!(a.len() + b.len(), 4);
    ensure_eq!(ring.push_overwrite(10), Some(6));
    let drained: Vec<u32> = core::iter::from_fn(|| ring.try_take()).collect();
    ensure_eq!(drained, [7, 8, 9, 10]);
    ensure!(ring.is_empty());
    // Erased capacity: code written over `&mut RingView<T>` takes a ring of any N.
    let view = ring.as_mut_view();
    view.try_push(1).unwrap();
    ensure_eq!(view.capacity(), 4);
    Ok(())
}

fn every_value_is_dropped_exactly_once() -> Outcome {
    struct Counted(Rc<Cell<u32>>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let drops = Rc::new(Cell::new(0));
    {
        let mut ring: Ring<Counted, 4> = Ring::new();
        for _ in 0..6 {
            drop(ring.push_overwrite(Counted(drops.clone()))); // two evicted
        }
        ensure_eq!(drops.get(), 2);
        drop(ring.try_take()); // one popped
        ensure_eq!(drops.get(), 3);
    } // three still inside, dropped with the ring
    ensure_eq!(drops.get(), 6);
    Ok(())
}

fn a_heap_ring_too_large_for_the_chip_is_an_error_not_an_abort() -> Outcome {
    let err = HeapRing::<u64>::with_capacity(1 << 20).unwrap_err(); // 8 MiB: more than the RAM
    ensure_eq!(err, CapacityError::TooLarge { requested: 1 << 20 });
    ensure_eq!(err.code(), "INVALID_CONFIG");
    ensure_eq!(
        HeapRing::<u8>::with_capacity(0).unwrap_err(),
        CapacityError::Zero
    );
    let mut ring = HeapRing::<u8>::with_capacity(5).unwrap();
    ensure!(ring.try_push(1).is_ok());
    ensure_eq!(ring.capacity(), 5);
    Ok(())
}

fn a_waiting_pop_is_woken_by_a_push() -> Outcome {
    let ring: LockingRing<u32, 2> = LockingRing::new();
    let mut pop = pin!(ring.take());
    ensure!(poll_with(pop.as_mut(), 0).is_pending());
    ensure_eq!(ring.try_take(), Err(TryTakeError::Empty));
    ring.try_push(7).unwrap();
    ensure_eq!(wakes(0), 1);
    ensure_eq!(poll_with(pop.as_mut(), 0), Poll::Ready(Some(7)));
    Ok(())
}

fn a_waiting_push_is_woken_by_a_pop() -> Outcome {
    let ring: LockingRing<u32, 1> = LockingRing::new();
    ring.try_push(1).unwrap();
    let mut push = pin!(ring.push(2));
    ensure!(poll_with(push.as_mut(), 0).is_pending());
    ensure_eq!(ring.try_take(), Ok(1));
    ensure_eq!(wakes(0), 1);
    ensure_eq!(poll_with(push.as_mut(), 0), Poll::Ready(Ok(())));
    ensure_eq!(ring.try_take(), Ok(2));
    // A cancelled push gives its value back.
    ring.try_push(3).unwrap();
    let mut blocked = ring.push(4);
    ensure!(poll_with(core::pin::Pin::new(&mut blocked), 1).is_pending());
    ensure_eq!(blocked.cancel(), Some(4));
    Ok(())
}

static EVENTS: LockingRing<u16, 4> = LockingRing::new();

fn a_static_locking_ring_closes_and_drains() -> Outcome {
    EVENTS.try_push(1).unwrap();
    EVENTS.try_push(2).unwrap();
    ensure!(EVENTS.close());
    ensure!(!EVENTS.close());
    ensure!(matches!(EVENTS.try_push(3), Err(TryPushError::Closed(3))));
    ensure_eq!(EVENTS.try_take(), Ok(1));
    ensure_eq!(EVENTS.try_take(), Ok(2));
    ensure_eq!(EVENTS.try_take(), Err(TryTakeError::Closed));
    let mut pop = pin!(EVENTS.take());
    ensure_eq!(poll_with(pop.as_mut(), 0), Poll::Ready(None));
    Ok(())
}

//! A `Ring` allocates nothing, ever, and a `HeapRing` or `LockingRing` nothing after
//! construction (once their waiter lists have warmed up): counted with a per-thread counting
//! allocator, so other test threads cannot disturb the figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use lindy::ring::{HeapRing, LockingRing, Ring};

struct CountingAlloc;

std::thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the allocator also runs while thread locals are torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Allocations made on this thread while `f` runs.
fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

/// Pushes, pops, overwrites, iterates and clears: the whole single-owner API.
fn workout<S: lindy::ring::Storage<u64> + ?Sized>(ring: &mut lindy::ring::RingBase<u64, S>) {
    for i in 0..100_000u64 {
        match i % 5 {
            0 | 1 => drop(black_box(ring.try_push(i))),
            2 => drop(black_box(ring.try_take())),
            3 => drop(black_box(ring.push_overwrite(i))),
            _ => drop(black_box(ring.iter().rev().sum::<u64>())),
        }
    }
    ring.clear();
}

#[test]
fn ring_never_allocates() {
    let mut ring: Ring<u64, 64> = Ring::new();
    assert_eq!(allocations_in(|| workout(&mut ring)), 0);
    assert_eq!(allocations_in(|| workout(ring.as_mut_view())), 0);
    assert_eq!(allocations_in(|| drop(ring)), 0);
}

#[test]
fn heap_ring_allocates_once_at_construction() {
    let mut ring = None;
    assert_eq!(
        allocations_in(|| ring = Some(HeapRing::<u64>::with_capacity(64).unwrap())),
        1
    );
    let mut ring = ring.unwrap();
    assert_eq!(allocations_in(|| workout(&mut ring)), 0);
}

#[test]
fn locking_ring_allocates_nothing_once_its_waiter_lists_are_warm() {
    let ring: LockingRing<u64, 4> = LockingRing::new();
    let traffic = || {
        futures::executor::block_on(async {
            for round in 0..1_000u64 {
                for i in 0..4 {
                    ring.push(round + i).await.unwrap();
                }
                assert!(ring.try_push(0).is_err());
                for _ in 0..4 {
                    black_box(ring.take().await);
                }
            }
        });
        // A parked waiter: its slot is taken from the queue's storage, which is kept.
        let mut pop = std::pin::pin!(ring.take());
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(std::future::Future::poll(pop.as_mut(), &mut cx).is_pending());
        ring.try_push(1).unwrap();
        assert!(std::future::Future::poll(pop.as_mut(), &mut cx).is_ready());
    };
    traffic(); // warm-up: the first parked waiter allocates the queue's slot storage
    assert_eq!(allocations_in(traffic), 0);
}

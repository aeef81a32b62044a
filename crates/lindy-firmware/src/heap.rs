//! A global allocator over a static array that tracks bytes in use and the high-water mark.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::mem::MaybeUninit;

use critical_section::Mutex;
use embedded_alloc::LlffHeap;

/// Bytes in use now and at most, since start or the last [`TrackingHeap::reset_peak`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes handed out and not yet freed (as requested, without the allocator's overhead).
    pub used: usize,
    /// The most `used` has been.
    pub peak: usize,
    /// Allocations made (a measure of churn).
    pub allocations: usize,
}

/// `embedded-alloc`'s linked-list first-fit heap, counting what it hands out.
///
/// Declare it as the `#[global_allocator]` and call [`init`](TrackingHeap::init) once, first
/// thing in `main`, with a `static mut` array as the arena.
pub struct TrackingHeap {
    inner: LlffHeap,
    stats: Mutex<Cell<HeapStats>>,
}

impl TrackingHeap {
    /// An empty heap: every allocation fails until [`init`](Self::init).
    pub const fn new() -> Self {
        TrackingHeap {
            inner: LlffHeap::empty(),
            stats: Mutex::new(Cell::new(HeapStats {
                used: 0,
                peak: 0,
                allocations: 0,
            })),
        }
    }

    /// Gives the heap its arena.
    ///
    /// # Safety
    /// Call once, before the first allocation; `arena` is used by nothing else afterwards.
    pub unsafe fn init(&self, arena: &'static mut [MaybeUninit<u8>]) {
        // Safety: the caller hands the arena over for good, once.
        unsafe { self.inner.init(arena.as_mut_ptr() as usize, arena.len()) }
    }

    /// The counters now.
    pub fn stats(&self) -> HeapStats {
        critical_section::with(|cs| self.stats.borrow(cs).get())
    }

    /// Starts a new high-water measurement from what is in use now.
    pub fn reset_peak(&self) {
        critical_section::with(|cs| {
            let cell = self.stats.borrow(cs);
            let mut s = cell.get();
            s.peak = s.used;
            cell.set(s);
        });
    }

    fn record(&self, grow: usize, shrink: usize, new_allocation: bool) {
        critical_section::with(|cs| {
            let cell = self.stats.borrow(cs);
            let mut s = cell.get();
            s.used = s.used + grow - shrink;
            s.peak = s.peak.max(s.used);
            s.allocations += usize::from(new_allocation);
            cell.set(s);
        });
    }
}

impl Default for TrackingHeap {
    fn default() -> Self {
        Self::new()
    }
}

// Safety: every call is forwarded to `LlffHeap`, a correct allocator; the counters are bookkeeping.
unsafe impl GlobalAlloc for TrackingHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Safety: forwarded with the caller's guarantees.
        let p = unsafe { self.inner.alloc(layout) };
        if !p.is_null() {
            self.record(layout.size(), 0, true);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Safety: forwarded with the caller's guarantees.
        unsafe { self.inner.dealloc(ptr, layout) };
        self.record(0, layout.size(), false);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Safety: forwarded with the caller's guarantees (the default realloc: alloc, copy, free).
        let p = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            self.record(new_size, layout.size(), true);
        }
        p
    }
}

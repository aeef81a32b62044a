//! The core's test suite on the chip: every case runs on the emulated Cortex-M under QEMU, over
//! the firmware heap, with critical sections as the lock. Prints `N passed, M failed` and exits
//! non-zero on any failure (`cargo run --bin suite`).
#![no_std]
#![no_main]

extern crate alloc;

use core::mem::MaybeUninit;

use cortex_m as _; // the critical-section implementation (`critical-section-single-core`)
use cortex_m_rt::entry;
use lindy_firmware::exit;
use lindy_firmware::harness::{self, Case};
use lindy_firmware::heap::TrackingHeap;

// Without a `part-*` feature every group runs; see Cargo.toml.
#[cfg(not(feature = "part-core"))]
mod batch;
#[cfg(not(feature = "part-core"))]
mod channels;
#[cfg(not(feature = "part-services"))]
mod grammar;
#[cfg(not(feature = "part-services"))]
mod queue;
#[cfg(not(feature = "part-services"))]
mod ring;
#[cfg(not(feature = "part-services"))]
mod space;
#[cfg(not(feature = "part-core"))]
mod store;

#[global_allocator]
static HEAP: TrackingHeap = TrackingHeap::new();

/// The arena: small enough for the micro:bit's 16 KiB of RAM, which also holds the stack (at
/// 10 KiB the store's chunked replay overflowed the stack into the RAM boundary: a lockup).
#[cfg(not(board = "microbit"))]
const HEAP_BYTES: usize = 64 * 1024;
#[cfg(board = "microbit")]
const HEAP_BYTES: usize = 8 * 1024;

#[entry]
fn main() -> ! {
    {
        static mut ARENA: [MaybeUninit<u8>; HEAP_BYTES] = [MaybeUninit::uninit(); HEAP_BYTES];
        // Safety: runs once, before any allocation; `ARENA` is not touched anywhere else.
        unsafe { HEAP.init(&mut *core::ptr::addr_of_mut!(ARENA)) };
    }
    let groups: &[&[Case]] = &[
        #[cfg(not(feature = "part-services"))]
        &space::CASES,
        #[cfg(not(feature = "part-services"))]
        &queue::CASES,
        #[cfg(not(feature = "part-services"))]
        &ring::CASES,
        #[cfg(not(feature = "part-services"))]
        &grammar::CASES,
        #[cfg(not(feature = "part-core"))]
        &channels::CASES,
        #[cfg(not(feature = "part-core"))]
        &batch::CASES,
        #[cfg(not(feature = "part-core"))]
        &store::CASES,
    ];
    let mut all = alloc::vec::Vec::new();
    for g in groups {
        all.extend_from_slice(g);
    }
    let tally = harness::run(&all, &HEAP);
    let peak = HEAP.stats().peak;
    cortex_m_semihosting::hprintln!("heap high-water mark: {} bytes of {}", peak, HEAP_BYTES);
    exit(tally.failed == 0)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    lindy_firmware::report_panic(info)
}

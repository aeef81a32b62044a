//! Footprint: lindy's Space + Ring + Name in one small program (`make firmware-size`).
//!
//! Validates a channel name, streams 32 readings through a locking ring of 8 (draining it into
//! the tuple space under the name whenever it fills), then takes them all back from the space
//! with the waiting `take` future. `footprint-embassy-sync` is the same program on embassy-sync's
//! `Channel` and heapless collections.
#![no_std]
#![no_main]

#[path = "../footprint.rs"]
mod footprint;
#[allow(dead_code)]
#[path = "../wake.rs"]
mod wake;
use wake::run_ready;

extern crate alloc;

use core::hint::black_box;
use core::mem::MaybeUninit;

use cortex_m as _;
use cortex_m_rt::entry;
use footprint::exit;
use lindy::grammar::Name;
use lindy::ring::LockingRing;
use lindy::space::LocalSpace;
use lindy_firmware::heap::TrackingHeap;

#[global_allocator]
static HEAP: TrackingHeap = TrackingHeap::new();
const HEAP_BYTES: usize = 4096;

static SPACE: LocalSpace<u32> = LocalSpace::new();
static RING: LockingRing<u32, 8> = LockingRing::new();

#[entry]
fn main() -> ! {
    {
        static mut ARENA: [MaybeUninit<u8>; HEAP_BYTES] = [MaybeUninit::uninit(); HEAP_BYTES];
        // Safety: runs once, before any allocation; `ARENA` is not touched anywhere else.
        unsafe { HEAP.init(&mut *core::ptr::addr_of_mut!(ARENA)) };
    }
    let Ok(name) = Name::parse(black_box("public:demo.sensor.t1")) else {
        exit(false)
    };
    let key = name.as_str();
    for reading in 0..black_box(32u32) {
        if RING.len() == RING.capacity() {
            while let Ok(v) = RING.try_take() {
                if SPACE.try_push(key, v).is_err() {
                    exit(false);
                }
            }
        }
        if run_ready(RING.push(reading), 1) != Some(Ok(())) {
            exit(false);
        }
    }
    while let Some(v) = run_ready(RING.take(), 1).flatten() {
        if SPACE.try_push(key, v).is_err() {
            exit(false);
        }
        if RING.is_empty() {
            break;
        }
    }
    let mut sum = 0;
    while SPACE.len(key) > 0 {
        match run_ready(SPACE.take(key), 1) {
            Some(Ok(v)) => sum += v as usize,
            _ => exit(false),
        }
    }
    footprint::report("sum", sum);
    footprint::report("heap high-water bytes", HEAP.stats().peak);
    exit(sum == 496)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(false)
}

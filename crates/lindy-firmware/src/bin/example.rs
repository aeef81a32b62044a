//! The firmware example of `docs/firmware.md`: two embassy tasks meet through lindy's futures.
//! `cargo run --bin example` runs it on QEMU; on a board, swap the semihosting output for your
//! HAL's and keep the rest.
#![no_std]
#![no_main]

extern crate alloc;

use core::mem::MaybeUninit;

use cortex_m as _; // links the critical-section implementation (feature `critical-section-single-core`)
use cortex_m_semihosting::{debug, hprintln};
use embassy_executor::Spawner;
use embedded_alloc::LlffHeap as Heap;
use lindy::grammar::Pattern;
use lindy::ring::LockingRing;
use lindy::space::LocalSpace;

#[global_allocator]
static HEAP: Heap = Heap::empty();

// `const fn new()`: both live in statics, shared by tasks (and interrupt handlers) through the
// default lock on a microcontroller, a critical section.
static READINGS: LockingRing<u16, 8> = LockingRing::new();
static JOBS: LocalSpace<u16> = LocalSpace::new();

#[embassy_executor::task]
async fn sensor() {
    for reading in 0..100 {
        READINGS.push(reading).await.ok(); // waits while the ring is full
        if reading % 10 == 0 {
            let _ = JOBS.try_push("public:app.jobs.calibrate", reading);
        }
    }
    READINGS.close(); // the consumer drains what is left, then `take` gives `None`
    JOBS.close();
}

#[embassy_executor::task]
async fn worker() {
    let jobs = Pattern::parse("public:app.jobs.*").unwrap();
    while let Ok((name, at)) = JOBS.take_matching(&jobs).await {
        hprintln!("{} at reading {}", name, at);
    }
    // Closed: what is still queued can be drained without waiting.
    while let Some((name, at)) = JOBS.try_take_matching(&jobs) {
        hprintln!("{} at reading {} (after close)", name, at);
    }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    {
        const HEAP_SIZE: usize = 8 * 1024;
        static mut HEAP_MEM: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
        // Safety: called once, before anything allocates.
        unsafe { HEAP.init(core::ptr::addr_of_mut!(HEAP_MEM) as usize, HEAP_SIZE) }
    }
    spawner.spawn(sensor().unwrap());
    spawner.spawn(worker().unwrap());

    let mut sum = 0u32;
    while let Some(reading) = READINGS.take().await {
        sum += u32::from(reading);
    }
    hprintln!("sum of readings: {}", sum);
    debug::exit(if sum == 4950 {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    hprintln!("{}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}

//! lindy's futures on a real embedded executor: embassy-executor on an emulated Cortex-M4.
//!
//! * a **producer** task pushes 64 sensor readings into a `LockingRing` of 4 slots (so it waits
//!   for room: back-pressure) and `out`s a job into a `LocalSpace` for every 8th reading;
//! * a **consumer** task pops the readings (`pop().await`) until the ring is closed and drained;
//! * a **worker** task takes jobs with a pattern (`take_matching("public:demo.jobs.*").await`)
//!   until the space is closed;
//! * a **sweeper** task drives the channel manager from `embassy-time`: it sleeps until
//!   `poll_timeout()` and calls `handle_timeout(now)` — the sans-IO core's clock comes from the executor's timer;
//! * `main` subscribes to the manager's events and waits (`recv().await`) for the sweep to close
//!   the idle `public:demo.sensor` channel;
//! * then a job is taken under a lease and never acknowledged (a worker that died): a **lease
//!   timer** task sleeps until the space's `poll_timeout()` and calls `handle_timeout(now)`, which
//!   hands the job back to `main`'s waiting `take` — lease expiry driven by embassy-time;
//! * `main` checks every count and exits.
//!
//! The ring and the space use embassy-sync's `CriticalSectionRawMutex` through lindy's lock seam
//! ([`EmbassyRawMutex`]). Exit status 0 means every check passed (`cargo run --bin embassy`).
#![no_std]
#![no_main]

extern crate alloc;

mod systick_driver;

use alloc::boxed::Box;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU32, Ordering};
use core::time::Duration;

use cortex_m as _; // the critical-section implementation
use cortex_m_semihosting::hprintln;
use embassy_executor::Spawner;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_time::{Instant, Timer};
use lindy::channels::{EventKind, Manager};
use lindy::grammar::{Name, Pattern};
use lindy::ring::LockingRing;
use lindy::space::LocalSpace;
use lindy_firmware::embassy_lock::EmbassyRawMutex;
use lindy_firmware::exit;
use lindy_firmware::heap::TrackingHeap;

#[global_allocator]
static HEAP: TrackingHeap = TrackingHeap::new();

/// embassy-sync's critical-section mutex, as lindy's lock.
type Lock = EmbassyRawMutex<CriticalSectionRawMutex>;

const READINGS: u32 = 64;
const JOB_EVERY: u32 = 8;
/// The sensor channel's TTL: it closes once idle this long.
const SENSOR_TTL_MS: u64 = 20;

/// Readings from the producer to the consumer; 4 slots, so the producer waits for room.
static RING: LockingRing<u32, 4, Lock> = LockingRing::new();
/// Jobs under channel names; the worker takes any `public:demo.jobs.*`.
static JOBS: LocalSpace<u32, Lock> = LocalSpace::new();
/// Jobs handed out under leases; `lease_timer` returns the expired ones.
static LEASED: LocalSpace<u32, Lock> = LocalSpace::new();
const LEASE_MS: u64 = 15;

static CONSUMED: AtomicU32 = AtomicU32::new(0);
static SUM: AtomicU32 = AtomicU32::new(0);
static IN_ORDER: AtomicU32 = AtomicU32::new(1);
static JOBS_DONE: AtomicU32 = AtomicU32::new(0);
static SWEEPS: AtomicU32 = AtomicU32::new(0);
/// Pushes that found the ring full and had to wait for the consumer.
static PRODUCER_WAITS: AtomicU32 = AtomicU32::new(0);
/// The last time (ms) the sensor channel was touched.
static LAST_TOUCH: AtomicU32 = AtomicU32::new(0);

/// Bumps a counter. Only tasks of the one thread-mode executor touch the counters, never an
/// interrupt, so a load and a store suffice: a Cortex-M0 has no read-modify-write atomics.
fn add(counter: &AtomicU32, n: u32) {
    counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
}

fn now_ms() -> u64 {
    Instant::now().as_millis()
}

fn sensor() -> Name {
    Name::parse("public:demo.sensor").expect("a valid name")
}

#[embassy_executor::task]
async fn producer(manager: &'static Manager) {
    let sensor = sensor();
    for i in 0..READINGS {
        // Waits while the ring is full; the consumer's pop wakes it.
        if RING.len() == RING.capacity() {
            add(&PRODUCER_WAITS, 1);
        }
        if RING.push(i).await.is_err() {
            fail("ring closed under the producer");
        }
        if i % JOB_EVERY == 0 {
            let key = alloc::format!("public:demo.jobs.{}", i / JOB_EVERY % 3);
            if JOBS.try_push(&key, i).is_err() {
                fail("space closed under the producer");
            }
        }
        if i % 16 == 15 {
            Timer::after_millis(1).await; // let the clock move while work flows
        }
        let _ = manager.touch(&sensor);
        LAST_TOUCH.store(now_ms() as u32, Ordering::Relaxed);
    }
    RING.close(); // the consumer drains what is left, then sees `None`
    JOBS.close(); // the worker drains with `try_take_matching`, then stops
}

#[embassy_executor::task]
async fn consumer() {
    let mut expected = 0;
    while let Some(v) = RING.take().await {
        if v != expected {
            IN_ORDER.store(0, Ordering::Relaxed);
        }
        expected = v + 1;
        add(&SUM, v);
        add(&CONSUMED, 1);
    }
}

#[embassy_executor::task]
async fn worker() {
    let jobs = Pattern::parse("public:demo.jobs.*").expect("a valid pattern");
    // Waits for any matching key; `Err(Closed)` once the producer closes the space.
    while let Ok((_name, _job)) = JOBS.take_matching(&jobs).await {
        add(&JOBS_DONE, 1);
    }
    while JOBS.try_take_matching(&jobs).is_some() {
        add(&JOBS_DONE, 1); // a closed space still drains
    }
}

/// The sans-IO manager, driven by embassy-time: sleep until the next deadline, sweep.
#[embassy_executor::task]
async fn sweeper(manager: &'static Manager) {
    loop {
        // Re-check at least every 10 ms, so a channel opened meanwhile with a shorter TTL is
        // swept at most that late (touches only move deadlines later).
        let recheck = now_ms() + 10;
        let at = manager.poll_timeout().map_or(recheck, |d| d.min(recheck));
        Timer::at(Instant::from_millis(at)).await;
        manager.handle_timeout(now_ms());
        add(&SWEEPS, 1);
    }
}

/// The space's leases, driven by embassy-time: sleep until the next lease deadline, expire.
#[embassy_executor::task]
async fn lease_timer() {
    loop {
        // As the sweeper: re-check every 10 ms for leases issued meanwhile.
        let recheck = now_ms() + 10;
        let at = LEASED.poll_timeout().map_or(recheck, |d| d.min(recheck));
        Timer::at(Instant::from_millis(at)).await;
        LEASED.handle_timeout(now_ms());
    }
}

#[embassy_executor::task]
async fn watchdog() {
    Timer::after_secs(10).await;
    fail("timed out after 10 s");
}

fn fail(why: &str) -> ! {
    hprintln!("embassy: FAILED: {}", why);
    exit(false)
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    {
        // The micro:bit has 16 KiB of RAM in all; the high-water mark here is under 4 KiB.
        const HEAP_BYTES: usize = if cfg!(board = "microbit") { 8 } else { 32 } * 1024;
        static mut ARENA: [MaybeUninit<u8>; HEAP_BYTES] = [MaybeUninit::uninit(); HEAP_BYTES];
        // Safety: runs once, before any allocation; `ARENA` is not touched anywhere else.
        unsafe { HEAP.init(&mut *core::ptr::addr_of_mut!(ARENA)) };
    }
    let core = cortex_m::Peripherals::take().expect("taken once");
    systick_driver::start(core.SYST, systick_driver::CORE_HZ);

    // The manager's clock is embassy-time's; it lives for the whole program.
    let manager: &'static Manager = Box::leak(Box::new(Manager::with_clock(now_ms)));
    let mut events = manager.subscribe(8);
    let sensor = sensor();
    manager
        .open_public(&sensor, Some(Duration::from_millis(SENSOR_TTL_MS)))
        .expect("open the sensor channel");

    spawner.spawn(watchdog().expect("spawn watchdog"));
    spawner.spawn(lease_timer().expect("spawn lease timer"));
    spawner.spawn(sweeper(manager).expect("spawn sweeper"));
    spawner.spawn(consumer().expect("spawn consumer"));
    spawner.spawn(worker().expect("spawn worker"));
    spawner.spawn(producer(manager).expect("spawn producer"));

    // Waits for the sweep that closes the idle sensor channel.
    let closed = loop {
        match events.recv().await {
            Ok(e) if e.kind == EventKind::Closed && e.name == sensor => break e,
            Ok(_) => continue,
            Err(_) => fail("the manager went away"),
        }
    };

    // A worker takes a job under a lease and dies without acknowledging it: the lease timer
    // expires the lease and the job is handed to the next taker, here `main`.
    LEASED.try_push("public:demo.retry", 7).expect("space open");
    let lease = LEASED
        .try_take_leased("public:demo.retry", Some(LEASE_MS), now_ms())
        .expect("a job to lease");
    let redelivered = LEASED.take("public:demo.retry").await;
    let back_at = now_ms();
    hprintln!(
        "embassy: lease expired at {} ms (deadline {} ms), job redelivered: {:?}",
        back_at,
        lease.deadline,
        redelivered
    );

    let last_touch = u64::from(LAST_TOUCH.load(Ordering::Relaxed));
    let consumed = CONSUMED.load(Ordering::Relaxed);
    let sum = SUM.load(Ordering::Relaxed);
    let jobs = JOBS_DONE.load(Ordering::Relaxed);
    hprintln!(
        "embassy: consumed {} readings (sum {}; the producer waited for room {} times), {} jobs; \
         sensor closed at {} ms by sweep #{}, last touched at {} ms",
        consumed,
        sum,
        PRODUCER_WAITS.load(Ordering::Relaxed),
        jobs,
        closed.at,
        SWEEPS.load(Ordering::Relaxed),
        last_touch
    );
    let checks = [
        (consumed == READINGS, "every reading consumed"),
        (sum == READINGS * (READINGS - 1) / 2, "the readings' sum"),
        (
            IN_ORDER.load(Ordering::Relaxed) == 1,
            "readings in FIFO order",
        ),
        (
            PRODUCER_WAITS.load(Ordering::Relaxed) > 0,
            "a full ring made the producer wait",
        ),
        (jobs == READINGS / JOB_EVERY, "every job taken"),
        (
            closed.at >= last_touch + SENSOR_TTL_MS,
            "closed no earlier than its TTL",
        ),
        (
            JOBS.total_len() == 0 && RING.is_empty(),
            "nothing left behind",
        ),
        (redelivered == Ok(7), "an unacknowledged lease comes back"),
        (back_at >= lease.deadline, "...no earlier than its deadline"),
        (
            LEASED.ack(lease.id).is_err(),
            "...and the dead worker's ack is refused",
        ),
    ];
    let mut failed = 0;
    for (passed, what) in checks {
        hprintln!("{} {}", if passed { "ok    " } else { "FAILED" }, what);
        failed += usize::from(!passed);
    }
    hprintln!("heap high-water mark: {} bytes", HEAP.stats().peak);
    hprintln!(
        "embassy: {} passed, {} failed",
        checks.len() - failed,
        failed
    );
    exit(failed == 0)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    lindy_firmware::report_panic(info)
}

//! Footprint peer: `footprint-lindy`'s program on embassy-sync's `Channel` and heapless
//! collections — no heap at all, every capacity fixed (`make firmware-size`).
//!
//! The channel-name check is a hand-written subset of lindy's grammar (prefix, 2–4 segments of
//! `a-z 0-9 - _`); the keyed space is a heapless map from name to a fixed deque.
#![no_std]
#![no_main]

#[path = "../footprint.rs"]
mod footprint;
#[allow(dead_code)]
#[path = "../wake.rs"]
mod wake;
use wake::run_ready;

use core::cell::RefCell;
use core::hint::black_box;

use cortex_m as _;
use cortex_m_rt::entry;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::channel::Channel;
use footprint::exit;
use heapless::index_map::FnvIndexMap;
use heapless::{Deque, String};

type Key = String<64>;
type Space = FnvIndexMap<Key, Deque<u32, 32>, 4>;

static SPACE: Mutex<CriticalSectionRawMutex, RefCell<Space>> =
    Mutex::new(RefCell::new(Space::new()));
static RING: Channel<CriticalSectionRawMutex, u32, 8> = Channel::new();

fn valid_name(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("public:")
        .or_else(|| s.strip_prefix("private:"))
    else {
        return false;
    };
    let mut segments = 0;
    for seg in rest.split('.') {
        let ok = !seg.is_empty()
            && seg.len() <= 64
            && seg
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            return false;
        }
        segments += 1;
    }
    (2..=4).contains(&segments) && s.len() <= 255
}

fn out(key: &str, v: u32) -> bool {
    SPACE.lock(|s| {
        let mut s = s.borrow_mut();
        let Ok(k) = Key::try_from(key) else {
            return false;
        };
        if !s.contains_key(&k) && s.insert(k.clone(), Deque::new()).is_err() {
            return false;
        }
        s.get_mut(&k).is_some_and(|q| q.push_back(v).is_ok())
    })
}

fn take(key: &str) -> Option<u32> {
    SPACE.lock(|s| {
        let k = Key::try_from(key).ok()?;
        s.borrow_mut().get_mut(&k)?.pop_front()
    })
}

#[entry]
fn main() -> ! {
    let key = black_box("public:demo.sensor.t1");
    if !valid_name(key) {
        exit(false);
    }
    for reading in 0..black_box(32u32) {
        if RING.is_full() {
            while let Ok(v) = RING.try_receive() {
                if !out(key, v) {
                    exit(false);
                }
            }
        }
        if run_ready(RING.send(reading), 1).is_none() {
            exit(false);
        }
    }
    while !RING.is_empty() {
        let Some(v) = run_ready(RING.receive(), 1) else {
            exit(false)
        };
        if !out(key, v) {
            exit(false);
        }
    }
    let mut sum = 0;
    while let Some(v) = take(key) {
        sum += v as usize;
    }
    footprint::report("sum", sum);
    footprint::report("heap high-water bytes", 0);
    exit(sum == 496)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(false)
}

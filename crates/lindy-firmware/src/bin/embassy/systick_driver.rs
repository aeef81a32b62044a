//! An `embassy-time` driver on the Cortex-M SysTick timer: a 1 kHz tick, so `embassy_time`
//! counts milliseconds (feature `tick-hz-1_000`).
//!
//! SysTick is in every Cortex-M core, so this runs unchanged on QEMU's MPS2 boards and on real
//! chips; a HAL's RTC-based driver is better on real hardware (SysTick stops in deep sleep, and
//! ticking every millisecond costs power).

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use critical_section::Mutex;
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// The core clock: 25 MHz on QEMU's MPS2 boards (AN385/AN386), 16 MHz on the micro:bit (nRF51).
#[cfg(not(board = "microbit"))]
pub const CORE_HZ: u32 = 25_000_000;
/// The core clock: 25 MHz on QEMU's MPS2 boards (AN385/AN386), 16 MHz on the micro:bit (nRF51).
#[cfg(board = "microbit")]
pub const CORE_HZ: u32 = 16_000_000;

struct SysTickDriver {
    ticks: Mutex<Cell<u64>>,
    /// The next tick at which a timer expires (`u64::MAX`: none).
    alarm: Mutex<Cell<u64>>,
    queue: Mutex<RefCell<Queue>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    ticks: Mutex::new(Cell::new(0)),
    alarm: Mutex::new(Cell::new(u64::MAX)),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.ticks.borrow(cs).get())
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut queue = self.queue.borrow(cs).borrow_mut();
            if queue.schedule_wake(at, waker) {
                // Wakes whatever is already due and answers the next expiry.
                let next = queue.next_expiration(self.ticks.borrow(cs).get());
                self.alarm.borrow(cs).set(next);
            }
        });
    }
}

/// Starts the 1 kHz tick on a core clocked at `core_hz`.
pub fn start(mut syst: SYST, core_hz: u32) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(core_hz / 1_000 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let ticks = DRIVER.ticks.borrow(cs);
        let now = ticks.get() + 1;
        ticks.set(now);
        let alarm = DRIVER.alarm.borrow(cs);
        if now >= alarm.get() {
            let next = DRIVER.queue.borrow(cs).borrow_mut().next_expiration(now);
            alarm.set(next);
        }
    });
}

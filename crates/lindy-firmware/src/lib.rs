//! lindy on a microcontroller: what the firmware binaries share.
//!
//! * [`heap`] — a global allocator over a static array that records its high-water mark, so the
//!   firmware can report (and the suite can check) what lindy really allocates on the chip;
//! * [`harness`] — a test runner for a target without unwinding: a case returns
//!   [`Outcome`](harness::Outcome) instead of panicking, the run prints `N passed, M failed` over
//!   semihosting and exits non-zero on any failure;
//! * [`wake`] — wakers that count their wake-ups, to drive lindy's futures by hand;
//! * [`embassy_lock`] — embassy-sync's raw mutexes as lindy's lock;
//! * [`exit`] — ends the QEMU run with a status the runner turns into the process exit code.
//!
//! The binaries are in `src/bin/`: `suite` (the core's tests on the chip), `embassy` (producer,
//! consumer and worker tasks on embassy-executor, timer-driven sweep and lease expiry), `example`
//! (the one in `docs/firmware.md`), and the `footprint-*` programs measured in
//! `docs/benchmarks/firmware.md` (which share `src/footprint.rs`, included by path).
#![no_std]
#![warn(missing_docs, rust_2018_idioms)]

extern crate alloc;

pub mod embassy_lock;
pub mod harness;
pub mod heap;
pub mod wake;

use cortex_m_semihosting::debug;

/// Ends the emulator run: exit status 0 if `success`, 1 otherwise (QEMU's semihosting `SYS_EXIT`).
/// On real hardware without a debugger attached, it parks the core instead.
pub fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}

/// A panic handler body for the test firmwares: prints the panic and fails the run. (The
/// footprint firmwares use one that prints nothing, so formatting does not count against lindy.)
pub fn report_panic(info: &core::panic::PanicInfo<'_>) -> ! {
    cortex_m_semihosting::hprintln!("panicked: {}", info);
    exit(false)
}

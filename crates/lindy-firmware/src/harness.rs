//! A test runner for a target without unwinding.
//!
//! A panic cannot be caught on the chip, so a case reports failure as a value: it returns
//! [`Outcome`], and the [`ensure!`](crate::ensure) / [`ensure_eq!`](crate::ensure_eq) macros return
//! early with a [`Failure`] naming the file and line. (A panic inside lindy still fails the run: the
//! panic handler prints it and exits non-zero.)
//!
//! Each case also must give back every byte it allocated: the runner compares the heap before and
//! after, so a leak on the chip is a failure too.

use alloc::string::String;

use cortex_m_semihosting::hprintln;

use crate::heap::TrackingHeap;

/// Why a case failed.
#[derive(Debug)]
pub struct Failure {
    /// Source file of the failed check.
    pub file: &'static str,
    /// Line of the failed check.
    pub line: u32,
    /// What was expected and what was found.
    pub message: String,
}

/// The result of one case.
pub type Outcome = Result<(), Failure>;

/// One test case.
#[derive(Clone, Copy)]
pub struct Case {
    /// `module::function`.
    pub name: &'static str,
    /// The test.
    pub run: fn() -> Outcome,
}

/// `[Case]` from a list of paths to `fn() -> Outcome`: `cases![space::fifo, ring::wraps]`.
#[macro_export]
macro_rules! cases {
    ($($path:path),* $(,)?) => {
        [$($crate::harness::Case { name: stringify!($path), run: $path }),*]
    };
}

/// Fails the case unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr $(,)?) => {
        if !$cond {
            return Err($crate::harness::Failure::new(
                file!(),
                line!(),
                concat!("not true: ", stringify!($cond)),
            ));
        }
    };
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::harness::Failure {
                file: file!(),
                line: line!(),
                message: alloc::format!($($fmt)+),
            });
        }
    };
}

/// Fails the case unless `left == right`, printing both with `Debug`.
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (left, right) => {
                if !(*left == *right) {
                    return Err($crate::harness::Failure::not_equal(
                        file!(),
                        line!(),
                        concat!(stringify!($left), " == ", stringify!($right)),
                        left,
                        right,
                    ));
                }
            }
        }
    };
}

impl Failure {
    /// A failure with a fixed message.
    pub fn new(file: &'static str, line: u32, message: &str) -> Self {
        Failure {
            file,
            line,
            message: String::from(message),
        }
    }

    /// An `ensure_eq!` failure. Not generic and never inlined: the formatting code exists once,
    /// not at every check (the Cortex-M0 suite must fit in 256 KiB of flash).
    #[inline(never)]
    pub fn not_equal(
        file: &'static str,
        line: u32,
        check: &str,
        left: &dyn core::fmt::Debug,
        right: &dyn core::fmt::Debug,
    ) -> Self {
        Failure {
            file,
            line,
            message: alloc::format!("{check}\n      left: {left:?}\n     right: {right:?}"),
        }
    }
}

/// Passed and failed counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed (a check, or a leak).
    pub failed: usize,
}

/// Runs every case, printing one line per case and the closing `N passed, M failed` line.
pub fn run(cases: &[Case], heap: &TrackingHeap) -> Tally {
    let mut tally = Tally::default();
    for case in cases {
        crate::wake::reset();
        let before = heap.stats().used;
        let outcome = (case.run)();
        let leaked = heap.stats().used.saturating_sub(before);
        match outcome {
            Ok(()) if leaked == 0 => {
                tally.passed += 1;
                hprintln!("ok     {}", case.name);
            }
            Ok(()) => {
                tally.failed += 1;
                hprintln!("FAILED {}: leaked {} heap bytes", case.name, leaked);
            }
            Err(f) => {
                tally.failed += 1;
                hprintln!(
                    "FAILED {} at {}:{}\n    {}",
                    case.name,
                    f.file,
                    f.line,
                    f.message
                );
            }
        }
    }
    hprintln!("{} passed, {} failed", tally.passed, tally.failed);
    tally
}

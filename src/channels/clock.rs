//! The clock seam: where a [`Manager`](super::Manager) gets `now` from.

/// A source of the current time in milliseconds.
///
/// The core has no clock: a manager is given one. Any `Fn() -> u64` is a clock (a test's
/// counter, `Date.now` in a browser, a tick counter on a microcontroller); on `std`,
/// [`SystemClock`] is the default. The epoch is the clock's business: timestamps from one clock
/// are only compared with each other, and across nodes only if they share an epoch.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use std::sync::Arc;
/// use lindy::channels::Clock;
///
/// let t = Arc::new(AtomicU64::new(10));
/// let clock = { let t = t.clone(); move || t.load(Ordering::Relaxed) };
/// assert_eq!(clock.now_ms(), 10);
/// t.store(25, Ordering::Relaxed);
/// assert_eq!(clock.now_ms(), 25);
/// ```
pub trait Clock {
    /// Now, in milliseconds.
    ///
    /// ```
    /// use lindy::channels::Clock;
    /// let fixed = || 1_234u64; // any `Fn() -> u64` is a clock
    /// assert_eq!(fixed.now_ms(), 1_234);
    /// ```
    fn now_ms(&self) -> u64;
}

impl<F: Fn() -> u64> Clock for F {
    #[inline]
    fn now_ms(&self) -> u64 {
        self()
    }
}

/// Wall-clock time: milliseconds since the Unix epoch (`std::time::SystemTime`).
///
/// Wall-clock rather than monotonic so that event timestamps mean the same thing on every node
/// (and in JavaScript, where `Date.now()` has the same epoch). If the system clock steps back,
/// the registry never makes a channel older than it was (last-active only moves forward) and a
/// sweep simply expires nothing until time catches up.
///
/// ```
/// use lindy::channels::{Clock, SystemClock};
/// assert!(SystemClock.now_ms() > 1_600_000_000_000); // after 2020
/// ```
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

//! The lock seam: a raw mutex chosen by type.

use core::marker::PhantomData;

/// A raw mutual-exclusion primitive: runs a closure with the lock held.
///
/// # Safety
/// While `f` runs inside [`lock`](RawMutex::lock), no other call to `lock` on the same instance may
/// be running `f` on another thread. (Re-entrant calls on the *same* thread are caught one level up,
/// by [`Mutex`](super::Mutex).) An implementation that is `Sync` must therefore really exclude.
///
/// # Examples
///
/// ```
/// // A spin lock as the seam (say, for a multi-core target without an OS).
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use lindy::sync::{Mutex, RawMutex};
///
/// struct SpinRawMutex(AtomicBool);
///
/// // Safety: `lock` runs `f` only while holding the flag, which one caller at a time can set.
/// unsafe impl RawMutex for SpinRawMutex {
///     const INIT: Self = SpinRawMutex(AtomicBool::new(false));
///     const REENTRANT: bool = false; // a nested `lock` spins forever: it never runs its closure
///     fn lock<R>(&self, f: impl FnOnce() -> R) -> R {
///         while self.0.swap(true, Ordering::Acquire) {
///             core::hint::spin_loop();
///         }
///         let result = f();
///         self.0.store(false, Ordering::Release);
///         result
///     }
/// }
///
/// static HITS: Mutex<SpinRawMutex, u32> = Mutex::new(0);
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| (0..100).for_each(|_| HITS.lock(|n| *n += 1)));
///     }
/// });
/// assert_eq!(HITS.lock(|n| *n), 400);
/// ```
pub unsafe trait RawMutex {
    /// An unlocked instance, usable in `const` context (so lindy's types can be `static`).
    ///
    /// ```
    /// use lindy::sync::{CriticalSectionRawMutex, RawMutex};
    ///
    /// // `INIT` is what lets `Mutex::new` (and so every lindy type) be a `const fn`.
    /// const LOCK: CriticalSectionRawMutex = CriticalSectionRawMutex::INIT;
    /// assert_eq!(LOCK.lock(|| 1 + 1), 2);
    /// ```
    const INIT: Self;

    /// Runs `f` with the lock held.
    ///
    /// ```
    /// use lindy::sync::{NoopRawMutex, RawMutex};
    ///
    /// let raw = NoopRawMutex::INIT;
    /// let answer = raw.lock(|| 6 * 7); // the closure's result comes out
    /// assert_eq!(answer, 42);
    /// ```
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R;

    /// Whether a `lock` nested inside `f` on the same instance can run its closure (no lock, a
    /// critical section). [`Mutex`](super::Mutex) checks for re-entry (which would alias its
    /// `&mut T`) only when this is `true`, or in debug builds. Set it to `false` only if a nested
    /// `lock` never runs its closure (it deadlocks or panics, as an OS mutex does): the check
    /// writes to the lock's cache line, and costs ~20% of a contended ring operation.
    ///
    /// ```
    /// use lindy::sync::{CriticalSectionRawMutex, NoopRawMutex, RawMutex, StdRawMutex};
    ///
    /// assert!(NoopRawMutex::REENTRANT); // no lock at all: a nested call just runs
    /// assert!(CriticalSectionRawMutex::REENTRANT); // critical sections nest
    /// assert!(!StdRawMutex::REENTRANT); // an OS mutex never runs a nested closure
    /// ```
    const REENTRANT: bool = true;

    /// Whether every context that shares a lock of this type is a thread of a preemptive
    /// scheduler, never an interrupt handler: then a context stopped between two steps of an
    /// operation runs again while another one waits for it (spinning, then
    /// [`yield_now`](RawMutex::yield_now)), and a lock-free type may let a waiter wait for a step
    /// in flight on another thread instead of paying for a stronger fence on every operation.
    /// [`LockingRing`](crate::ring::LockingRing) publishes each value with a plain release store
    /// when it is `true`, and with a sequentially consistent one (a locked instruction on x86)
    /// when it is `false`.
    ///
    /// `false` (the default) wherever an interrupt handler may share the lock, or nobody knows:
    /// a handler that waits for the code it interrupted waits forever.
    ///
    /// ```
    /// use lindy::sync::{CriticalSectionRawMutex, NoopRawMutex, RawMutex, StdRawMutex};
    ///
    /// assert!(StdRawMutex::THREADS_ONLY); // OS threads: a stopped thread is scheduled again
    /// assert!(!CriticalSectionRawMutex::THREADS_ONLY); // shared with interrupt handlers
    /// assert!(!NoopRawMutex::THREADS_ONLY); // one context: nobody to wait for
    /// ```
    const THREADS_ONLY: bool = false;

    /// Gives the processor to another thread for a moment: what a waiter does, once a short spin
    /// is over, while it waits for a step in flight on another thread (only when
    /// [`THREADS_ONLY`](RawMutex::THREADS_ONLY) is `true`). The default is one spin-loop hint;
    /// [`StdRawMutex`] calls `std::thread::yield_now`. Implement it for a multi-core RTOS, so that
    /// a waiter never starves a lower-priority thread it waits for on its own core.
    ///
    /// ```
    /// use lindy::sync::{RawMutex, StdRawMutex};
    ///
    /// StdRawMutex::yield_now(); // returns once the scheduler has given the thread the CPU again
    /// ```
    #[inline]
    fn yield_now() {
        core::hint::spin_loop();
    }
}

/// No locking at all, for single-threaded targets (wasm without threads). Not `Sync`, so the
/// compiler rejects any attempt to share it between threads.
///
/// ```
/// use lindy::sync::{Mutex, NoopRawMutex};
///
/// // One thread (wasm without threads, a single-threaded executor): locking costs nothing.
/// let log: Mutex<NoopRawMutex, Vec<u8>> = Mutex::new(Vec::new());
/// log.lock(|l| l.push(1));
/// assert_eq!(log.lock(|l| l.len()), 1);
/// ```
///
/// It is not `Sync`, so sharing it with another thread does not compile:
///
/// ```compile_fail
/// use lindy::sync::{Mutex, NoopRawMutex};
///
/// static SHARED: Mutex<NoopRawMutex, u32> = Mutex::new(0); // error: `NoopRawMutex` is not `Sync`
/// ```
pub struct NoopRawMutex {
    _not_sync: PhantomData<*mut ()>,
}

// Safety: `NoopRawMutex` is `!Sync`, so the instance can only ever be used from one thread.
unsafe impl Send for NoopRawMutex {}

unsafe impl RawMutex for NoopRawMutex {
    const INIT: Self = NoopRawMutex {
        _not_sync: PhantomData,
    };
    #[inline]
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R {
        f()
    }
}

/// A critical section (the `critical-section` crate): the right lock on a microcontroller, where
/// an interrupt handler may share state with the main loop. The firmware picks the implementation
/// (e.g. `cortex-m`'s `critical-section-single-core` feature).
///
/// ```
/// use lindy::sync::{CriticalSectionRawMutex, Mutex};
///
/// // On a Cortex-M the firmware links an implementation (cortex-m's
/// // `critical-section-single-core`); on a host, `critical-section`'s `std` feature does.
/// static EVENTS: Mutex<CriticalSectionRawMutex, u32> = Mutex::new(0);
/// fn on_interrupt() {
///     EVENTS.lock(|n| *n += 1);
/// }
/// on_interrupt();
/// assert_eq!(EVENTS.lock(|n| *n), 1);
/// ```
pub struct CriticalSectionRawMutex {
    _private: (),
}

// Safety: a critical section excludes every other context (threads, interrupts) while it runs.
unsafe impl RawMutex for CriticalSectionRawMutex {
    const INIT: Self = CriticalSectionRawMutex { _private: () };
    #[inline]
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R {
        critical_section::with(|_| f())
    }
}

/// An operating-system mutex (`std::sync::Mutex`, a futex on Linux). Poisoning is ignored:
/// lindy's own critical sections restore their invariants before anything that can panic (user
/// `Drop`s and wakers run outside the lock).
///
/// Issue 18 measured two alternatives beside it in the same runs (`docs/benchmarks/threads.md`):
/// plain `parking_lot::RawMutex`, and parking_lot behind a std-like spin. Both save instructions
/// uncontended (~19 and ~12 per lock round trip: no poison check), but under contention — the
/// thread hand-offs this lock exists for — std's mutex was as fast or faster in most runs, and
/// up to 2× faster on the space's one-producer/one-consumer hand-off (parking_lot's slow path
/// yields, then parks through a global table; std's spins on the lock word, then sleeps on a
/// futex).
///
/// ```
/// use lindy::sync::{Mutex, StdRawMutex};
///
/// static QUEUE: Mutex<StdRawMutex, Vec<u32>> = Mutex::new(Vec::new());
/// std::thread::spawn(|| QUEUE.lock(|q| q.push(7))).join().unwrap();
/// assert_eq!(QUEUE.lock(|q| q.pop()), Some(7));
/// ```
#[cfg(all(feature = "std", not(loom)))]
pub struct StdRawMutex {
    inner: std::sync::Mutex<()>,
}

#[cfg(all(feature = "std", not(loom)))]
unsafe impl RawMutex for StdRawMutex {
    const INIT: Self = StdRawMutex {
        inner: std::sync::Mutex::new(()),
    };
    // `std::sync::Mutex::lock` "will not return" when the holder calls it again.
    const REENTRANT: bool = false;
    // Shared by OS threads only (a signal handler cannot take a std mutex either).
    const THREADS_ONLY: bool = true;
    #[inline]
    fn yield_now() {
        std::thread::yield_now();
    }
    #[inline]
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f()
    }
}

/// Under loom the "std" mutex is a loom mutex, so every interleaving of lindy's critical sections
/// is explored. Loom objects cannot be built in `const`, so it is created on first use (loom runs
/// its threads as coroutines: the `OnceLock` itself is never contended).
///
/// ```
/// use lindy::sync::{Mutex, StdRawMutex};
///
/// // Under loom this is a loom mutex; the code using it does not change.
/// let m: Mutex<StdRawMutex, u32> = Mutex::new(0);
/// m.lock(|n| *n += 1);
/// assert_eq!(m.into_inner(), 1);
/// ```
#[cfg(all(feature = "std", loom))]
pub struct StdRawMutex {
    inner: std::sync::OnceLock<loom::sync::Mutex<()>>,
}

#[cfg(all(feature = "std", loom))]
unsafe impl RawMutex for StdRawMutex {
    const INIT: Self = StdRawMutex {
        inner: std::sync::OnceLock::new(),
    };
    const THREADS_ONLY: bool = true;
    // A spin loop must yield to loom's scheduler, or the model never ends.
    fn yield_now() {
        loom::thread::yield_now();
    }
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self
            .inner
            .get_or_init(|| loom::sync::Mutex::new(()))
            .lock()
            .unwrap();
        f()
    }
}

/// The lock lindy uses when you do not name one:
/// * wasm32 without the `atomics` target feature → [`NoopRawMutex`] (one thread: no lock, no atomics);
/// * `std` → [`StdRawMutex`];
/// * otherwise (microcontrollers) → [`CriticalSectionRawMutex`].
///
/// ```
/// use lindy::sync::{DefaultRawMutex, Mutex};
///
/// // Code that names no lock builds on every target (a `static` needs a `Sync` lock, which
/// // single-threaded wasm does not have: keep such state in a local or a `thread_local!`).
/// let count: Mutex<DefaultRawMutex, u32> = Mutex::new(0);
/// count.lock(|n| *n += 1);
/// assert_eq!(count.lock(|n| *n), 1);
/// ```
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub type DefaultRawMutex = NoopRawMutex;
/// The lock lindy uses when you do not name one: [`NoopRawMutex`] on wasm32 without the
/// `atomics` target feature, [`StdRawMutex`] with `std`, [`CriticalSectionRawMutex`] otherwise.
///
/// ```
/// use lindy::sync::{DefaultRawMutex, Mutex};
///
/// // Code that names no lock builds on every target; on `std` it is a real mutex.
/// static COUNT: Mutex<DefaultRawMutex, u32> = Mutex::new(0);
/// std::thread::spawn(|| COUNT.lock(|n| *n += 1)).join().unwrap();
/// assert_eq!(COUNT.lock(|n| *n), 1);
/// ```
#[cfg(all(
    not(all(target_arch = "wasm32", not(target_feature = "atomics"))),
    feature = "std"
))]
pub type DefaultRawMutex = StdRawMutex;
/// The lock lindy uses when you do not name one: [`NoopRawMutex`] on wasm32 without the
/// `atomics` target feature, `StdRawMutex` with `std`, [`CriticalSectionRawMutex`] otherwise.
///
/// ```
/// use lindy::sync::{DefaultRawMutex, Mutex};
///
/// // Code that names no lock builds on every target.
/// static COUNT: Mutex<DefaultRawMutex, u32> = Mutex::new(0);
/// COUNT.lock(|n| *n += 1);
/// assert_eq!(COUNT.lock(|n| *n), 1);
/// ```
#[cfg(all(
    not(all(target_arch = "wasm32", not(target_feature = "atomics"))),
    not(feature = "std")
))]
pub type DefaultRawMutex = CriticalSectionRawMutex;

//! The lock seam: a raw mutex chosen by type.

use core::marker::PhantomData;

/// A raw mutual-exclusion primitive: runs a closure with the lock held.
///
/// # Safety
/// While `f` runs inside [`lock`](RawMutex::lock), no other call to `lock` on the same instance may
/// be running `f` on another thread. (Re-entrant calls on the *same* thread are caught one level up,
/// by [`Mutex`](super::Mutex).) An implementation that is `Sync` must therefore really exclude.
pub unsafe trait RawMutex {
    /// An unlocked instance, usable in `const` context (so lindy's types can be `static`).
    const INIT: Self;

    /// Runs `f` with the lock held.
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R;

    /// Whether a `lock` nested inside `f` on the same instance can run its closure (no lock, a
    /// critical section). [`Mutex`](super::Mutex) checks for re-entry (which would alias its
    /// `&mut T`) only when this is `true`, or in debug builds. Set it to `false` only if a nested
    /// `lock` never runs its closure (it deadlocks or panics, as an OS mutex does): the check
    /// writes to the lock's cache line, and costs ~20% of a contended ring operation.
    const REENTRANT: bool = true;
}

/// No locking at all, for single-threaded targets (wasm without threads). Not `Sync`, so the
/// compiler rejects any attempt to share it between threads.
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

/// The thread mutex on `std`: [`parking_lot::RawMutex`] (one byte, a compare-and-swap to lock and
/// to unlock, no poison bookkeeping) with std's contention policy in front of it.
///
/// Measured in the same runs (`docs/benchmarks/threads.md`):
/// * uncontended, parking_lot's fast path costs ~19 instructions less per lock round trip than
///   `std::sync::Mutex` (whose poison check runs on every lock and unlock);
/// * contended, parking_lot's own slow path yields the thread (`sched_yield`) a few times before
///   it parks, and on a loaded machine a yield waits behind other processes' time slices: the
///   space's one-producer/one-consumer hand-off ran 2× slower with it than with std's mutex,
///   which spins on the lock word and then sleeps.
///
/// So a contended `lock` first spins like std's mutex (re-reading the lock byte, never
/// yielding); only a holder that stays away longer than that (it was preempted) sends the
/// waiter into parking_lot's parking path.
#[cfg(all(feature = "std", not(loom)))]
pub struct StdRawMutex {
    inner: parking_lot::RawMutex,
}

/// Spins on a held lock before parking (std's futex mutex spins 100 times too).
#[cfg(all(feature = "std", not(loom)))]
const LOCK_SPINS: u32 = 100;

#[cfg(all(feature = "std", not(loom)))]
impl StdRawMutex {
    #[cold]
    fn lock_contended(&self) {
        use lock_api::RawMutex as _;
        for _ in 0..LOCK_SPINS {
            core::hint::spin_loop();
            // Read before the compare-and-swap: spinning on a load keeps the line shared
            // instead of stealing it from the holder.
            if !self.inner.is_locked() && self.inner.try_lock() {
                return;
            }
        }
        self.inner.lock();
    }
}

#[cfg(all(feature = "std", not(loom)))]
unsafe impl RawMutex for StdRawMutex {
    const INIT: Self = StdRawMutex {
        inner: <parking_lot::RawMutex as lock_api::RawMutex>::INIT,
    };
    // A nested `lock` of parking_lot's mutex deadlocks: it never runs its closure, so `Mutex`
    // can skip its re-entry flag.
    const REENTRANT: bool = false;
    #[inline]
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R {
        use lock_api::RawMutex as _;
        /// Unlocks on scope exit, also when `f` unwinds.
        struct Unlock<'a>(&'a parking_lot::RawMutex);
        impl Drop for Unlock<'_> {
            #[inline]
            fn drop(&mut self) {
                // Safety: the lock was taken just before this guard was made, on this thread.
                unsafe { self.0.unlock() }
            }
        }
        if !self.inner.try_lock() {
            self.lock_contended();
        }
        let _unlock = Unlock(&self.inner);
        f()
    }
}

/// Under loom the "std" mutex is a loom mutex, so every interleaving of lindy's critical sections
/// is explored. Loom objects cannot be built in `const`, so it is created on first use (loom runs
/// its threads as coroutines: the `OnceLock` itself is never contended).
#[cfg(all(feature = "std", loom))]
pub struct StdRawMutex {
    inner: std::sync::OnceLock<loom::sync::Mutex<()>>,
}

#[cfg(all(feature = "std", loom))]
unsafe impl RawMutex for StdRawMutex {
    const INIT: Self = StdRawMutex {
        inner: std::sync::OnceLock::new(),
    };
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
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub type DefaultRawMutex = NoopRawMutex;
/// The lock lindy uses when you do not name one (see the wasm32 variant's docs).
#[cfg(all(
    not(all(target_arch = "wasm32", not(target_feature = "atomics"))),
    feature = "std"
))]
pub type DefaultRawMutex = StdRawMutex;
/// The lock lindy uses when you do not name one (see the wasm32 variant's docs).
#[cfg(all(
    not(all(target_arch = "wasm32", not(target_feature = "atomics"))),
    not(feature = "std")
))]
pub type DefaultRawMutex = CriticalSectionRawMutex;

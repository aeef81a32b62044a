//! Data behind a [`RawMutex`], accessed through a closure.

use core::cell::{Cell, UnsafeCell};

use super::RawMutex;

/// A mutex over `T`, with the lock chosen by `R`.
///
/// [`lock`](Mutex::lock) runs a closure with `&mut T`; there is no guard, so a lock can never be
/// held across an `.await`. A re-entrant `lock` from inside the closure panics instead of aliasing
/// (`NoopRawMutex` and critical sections are re-entrant by nature; this check keeps `&mut T` unique).
///
/// ```
/// use lindy::sync::{DefaultRawMutex, Mutex};
///
/// // A `static` needs no lazy initialisation: `new` is `const`.
/// static SEEN: Mutex<DefaultRawMutex, Vec<&str>> = Mutex::new(Vec::new());
///
/// SEEN.lock(|seen| seen.push("public:chat.rooms"));
/// let count = SEEN.lock(|seen| seen.len()); // the closure's result comes out
/// assert_eq!(count, 1);
/// ```
pub struct Mutex<R, T: ?Sized> {
    raw: R,
    locked: Cell<bool>,
    data: UnsafeCell<T>,
}

// Safety: `locked` and `data` are only touched inside `raw.lock`, which excludes other threads
// whenever `R: Sync`; `T: Send` because another thread may get `&mut T` (and so move out of it).
unsafe impl<R: RawMutex + Sync, T: ?Sized + Send> Sync for Mutex<R, T> {}
unsafe impl<R: RawMutex + Send, T: ?Sized + Send> Send for Mutex<R, T> {}

impl<R: RawMutex, T> Mutex<R, T> {
    /// A new unlocked mutex (usable in `static`s).
    ///
    /// ```
    /// use lindy::sync::{CriticalSectionRawMutex, Mutex};
    ///
    /// // State an interrupt handler and the main loop share on a microcontroller.
    /// static TICKS: Mutex<CriticalSectionRawMutex, u64> = Mutex::new(0);
    /// TICKS.lock(|t| *t += 1);
    /// assert_eq!(TICKS.lock(|t| *t), 1);
    /// ```
    pub const fn new(value: T) -> Self {
        Mutex {
            raw: R::INIT,
            locked: Cell::new(false),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex, returning the data.
    ///
    /// ```
    /// use lindy::sync::{DefaultRawMutex, Mutex};
    ///
    /// let m: Mutex<DefaultRawMutex, _> = Mutex::new(vec![1, 2]);
    /// m.lock(|v| v.push(3));
    /// assert_eq!(m.into_inner(), [1, 2, 3]);
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<R: RawMutex, T: ?Sized> Mutex<R, T> {
    /// Runs `f` with exclusive access to the data.
    ///
    /// # Panics
    /// If called re-entrantly on the same mutex from inside `f` (with a non-re-entrant raw lock
    /// in a release build, the raw lock's own behaviour applies instead: `std` deadlocks or panics).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use lindy::sync::{DefaultRawMutex, Mutex};
    ///
    /// let total = Arc::new(Mutex::<DefaultRawMutex, u64>::new(0));
    /// let threads: Vec<_> = (0..4)
    ///     .map(|_| {
    ///         let total = Arc::clone(&total);
    ///         std::thread::spawn(move || (0..1000).for_each(|_| total.lock(|t| *t += 1)))
    ///     })
    ///     .collect();
    /// threads.into_iter().for_each(|t| t.join().unwrap());
    /// assert_eq!(total.lock(|t| *t), 4000);
    /// ```
    #[inline]
    pub fn lock<U>(&self, f: impl FnOnce(&mut T) -> U) -> U {
        self.raw.lock(|| {
            // Reset the flag even if `f` panics, so the mutex stays usable.
            struct Unlock<'a>(&'a Cell<bool>);
            impl Drop for Unlock<'_> {
                fn drop(&mut self) {
                    self.0.set(false);
                }
            }
            // A lock that cannot be re-entered (see `RawMutex::REENTRANT`) needs no check.
            let _unlock = (R::REENTRANT || cfg!(debug_assertions)).then(|| {
                assert!(!self.locked.replace(true), "lindy: re-entrant Mutex::lock");
                Unlock(&self.locked)
            });
            // Safety: the raw lock excludes other threads, and re-entry is excluded by `locked`
            // or, for a non-re-entrant raw lock, by the raw lock itself: this is the only live
            // reference to the data.
            f(unsafe { &mut *self.data.get() })
        })
    }

    /// Exclusive access without locking (the borrow checker proves exclusivity).
    ///
    /// ```
    /// use lindy::sync::{DefaultRawMutex, Mutex};
    ///
    /// let mut m: Mutex<DefaultRawMutex, u32> = Mutex::new(1);
    /// *m.get_mut() += 1; // `&mut self`: nobody else can hold it, so no lock is taken
    /// assert_eq!(m.lock(|n| *n), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<R: RawMutex, T: Default> Default for Mutex<R, T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<R, T: ?Sized> core::fmt::Debug for Mutex<R, T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Mutex { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::NoopRawMutex;

    #[test]
    fn lock_gives_exclusive_access() {
        let m: Mutex<NoopRawMutex, u32> = Mutex::new(1);
        m.lock(|v| *v += 1);
        assert_eq!(m.lock(|v| *v), 2);
        assert_eq!(m.into_inner(), 2);
    }

    #[test]
    #[should_panic(expected = "re-entrant")]
    fn reentrant_lock_panics_instead_of_aliasing() {
        let m: Mutex<NoopRawMutex, u32> = Mutex::new(1);
        m.lock(|_| m.lock(|_| ()));
    }

    #[test]
    fn mutex_survives_a_panic_inside_the_closure() {
        extern crate std;
        let m: Mutex<NoopRawMutex, u32> = Mutex::new(1);
        let r = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
            m.lock(|_| panic!("boom"));
        }));
        assert!(r.is_err());
        assert_eq!(m.lock(|v| *v), 1);
    }

    #[cfg(all(feature = "std", not(loom)))]
    #[test]
    fn std_mutex_is_sync() {
        fn assert_sync<T: Sync + Send>() {}
        assert_sync::<Mutex<crate::sync::StdRawMutex, u32>>();
        static COUNTER: Mutex<crate::sync::StdRawMutex, u64> = Mutex::new(0);
        extern crate std;
        let handles: std::vec::Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..1000).for_each(|_| COUNTER.lock(|c| *c += 1))))
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(COUNTER.lock(|c| *c), 4000);
    }
}

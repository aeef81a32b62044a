//! embassy-sync's raw mutexes behind lindy's lock seam.
//!
//! embassy-sync's `RawMutex` and lindy's [`RawMutex`](lindy::sync::RawMutex) have the same shape
//! (`const INIT`, `lock(f)`), so a newtype is the whole adapter: a firmware already built on
//! embassy-sync can give lindy's types the very lock its channels use:
//!
//! ```ignore
//! use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
//! use lindy::space::LocalSpace;
//! use lindy_firmware::embassy_lock::EmbassyRawMutex;
//!
//! static JOBS: LocalSpace<u32, EmbassyRawMutex<CriticalSectionRawMutex>> = LocalSpace::new();
//! ```
//!
//! (The orphan rule is why it is a newtype: neither trait nor type is this crate's.)

use embassy_sync::blocking_mutex::raw::RawMutex as EmbassyMutex;

/// Any embassy-sync raw mutex (`CriticalSectionRawMutex`, `ThreadModeRawMutex`,
/// `NoopRawMutex`) as a lindy lock.
pub struct EmbassyRawMutex<M>(M);

// Safety: embassy-sync's `RawMutex` has the same contract ("while locked, no other thread can
// lock the RawMutex concurrently"), and both allow re-entry from the same thread, which lindy's
// `Mutex` checks (`REENTRANT` keeps its default, `true`).
unsafe impl<M: EmbassyMutex> lindy::sync::RawMutex for EmbassyRawMutex<M> {
    const INIT: Self = EmbassyRawMutex(M::INIT);

    #[inline]
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R {
        self.0.lock(f)
    }
}

// `Sync` exactly when the embassy mutex is: `NoopRawMutex` stays single-context.
// (Auto traits follow the field, so nothing to write.)

//! The lock seam and the waiting machinery every lindy primitive is built on.
//!
//! * [`RawMutex`] is the seam (embassy-sync's shape): a type parameter picks the lock. The
//!   [`DefaultRawMutex`] is chosen per target — a real mutex on `std`, nothing at all on
//!   single-threaded wasm, a critical section on a microcontroller.
//! * [`Mutex`] puts data behind a `RawMutex` and hands out `&mut T` inside a closure, so no guard
//!   can be held across an `.await`.
//! * [`WaitQueue`] is a FIFO list of parked futures with *hand-on* semantics: a future that was
//!   woken and is then dropped passes its wake-up on (see [`WaitQueue::remove`]), so a cancelled
//!   waiter never strands an item (the bug class of tokio#4618).
//!
//! Waiting is always expressed as a plain [`Future`](core::future::Future) woken through
//! [`Waker`](core::task::Waker): no executor, timer or thread is assumed.

mod mutex;
mod raw_mutex;
mod wait_queue;

pub use mutex::Mutex;
#[cfg(feature = "std")]
pub use raw_mutex::StdRawMutex;
pub use raw_mutex::{CriticalSectionRawMutex, DefaultRawMutex, NoopRawMutex, RawMutex};
pub use wait_queue::{WaitQueue, WaiterSlot};

/// Atomics through a facade, so loom can model them (tokio's pattern). Use these, never
/// `core::sync::atomic` directly, in any code a loom test reaches.
#[allow(unused_imports)]
pub(crate) mod atomic {
    #[cfg(not(loom))]
    pub(crate) use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    #[cfg(loom)]
    pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
}

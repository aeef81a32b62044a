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
//! * [`Arc`] / [`Weak`] are the reference counts lindy shares state with, on every target.
//!
//! Waiting is always expressed as a plain [`Future`](core::future::Future) woken through
//! [`Waker`](core::task::Waker): no executor, timer or thread is assumed.
//!
//! # Targets without compare-and-swap
//! Where the target has pointer-sized compare-and-swap, [`Arc`] and [`Weak`] are
//! `alloc::sync::{Arc, Weak}` themselves (re-exports: the same types, no cost). A Cortex-M0
//! (`thumbv6m-none-eabi`) has atomic loads and stores but no read-modify-write, so `alloc::sync`
//! does not exist there; lindy then uses [portable-atomic-util]'s `Arc`, whose counts change inside
//! a critical section (lindy turns on portable-atomic's `critical-section` feature; the firmware
//! links an implementation, e.g. `cortex-m`'s `critical-section-single-core`, as it does for
//! [`CriticalSectionRawMutex`]). Two differences there:
//! * portable-atomic-util's `Arc<T>` does not coerce to `Arc<dyn Trait>` on stable Rust. Build a
//!   trait object from a box, which works on every target:
//!   ```
//!   use lindy::sync::Arc;
//!   type Hook = Arc<dyn Fn() -> u32 + Send + Sync>;
//!   let hook: Hook = Arc::from(Box::new(|| 7_u32) as Box<dyn Fn() -> u32 + Send + Sync>);
//!   assert_eq!(hook(), 7);
//!   ```
//! * [`LocalBus`](crate::channels::LocalBus) (several managers in one process) is left out: it holds its
//!   members as `Weak<dyn _>`. [`EventBus`](crate::channels::EventBus) and
//!   [`Manager::set_bus`](crate::channels::Manager::set_bus) remain.
//!
//! [portable-atomic-util]: https://docs.rs/portable-atomic-util

mod arc;
#[cfg(feature = "std")]
pub(crate) mod blocking;
mod mutex;
mod raw_mutex;
mod wait_queue;

pub use arc::{Arc, Weak};
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

//! Fixed-capacity rings, and a locking ring that producers and consumers can wait on.
//!
//! | type | owner | capacity | waits |
//! |---|---|---|---|
//! | [`Ring<T, N>`](Ring) | one (`&mut self`) | `N`, in the type; no allocation, `const fn new()` | no |
//! | [`HeapRing<T>`](HeapRing) | one | chosen at run time, allocated once | no |
//! | [`RingView<T>`](RingView) | one | erased: `&mut Ring<T, N>` coerces to it | no |
//! | [`LockingRing<T, N, R>`](LockingRing) | shared (`&self`) | `N`, `const fn new()` (a `static`) | `push` / `take` futures, `Stream`, `Sink` |
//! | [`LockingHeapRing<T, R>`](LockingHeapRing) | shared | chosen at run time | same |
//!
//! All of them are one implementation, [`RingBase`], over three kinds of [`Storage`]; write code
//! over every ring with `S: Storage<T> + ?Sized`, or over fixed rings with `&mut RingView<T>`.
//!
//! Rings are FIFO and use all their slots (capacity `N` holds `N` values). A full ring hands the
//! value back ([`Full`](crate::Full), `BUFFER_FULL`) or, in overwrite mode
//! ([`push_overwrite`](RingBase::push_overwrite)), evicts and returns the oldest. A closed
//! [`LockingRing`] hands pushed values back ([`Closed`](crate::Closed), `CLOSED`) and lets
//! consumers drain what is left. Dropping a ring drops what it holds exactly once.
//!
//! ```
//! use lindy::ring::{LockingRing, Ring};
//!
//! // One owner: a plain ring.
//! let mut history: Ring<u32, 3> = Ring::new();
//! for v in 0..5 {
//!     history.push_overwrite(v);
//! }
//! assert!(history.iter().eq(&[2, 3, 4]));
//!
//! // Shared between tasks: a locking ring, awaited from any executor.
//! static JOBS: LockingRing<&str, 16> = LockingRing::new();
//! futures::executor::block_on(async {
//!     JOBS.push("resize").await.unwrap();
//!     assert_eq!(JOBS.take().await, Some("resize"));
//! });
//! ```
//!
//! Ported from Ensign's `buffer` package (Go): its `Ring` and `LockingRing` return
//! `ErrBufferFull` / `ErrBufferEmpty` and cannot wait; here the locking ring can, without a
//! runtime, and gives every rejected value back.

mod base;
#[cfg(feature = "std")]
mod blocking;
mod error;
mod heap;
mod iter;
mod locking;
mod slot;
mod storage;
mod stream;

pub use base::{Ring, RingBase, RingView};
#[allow(deprecated)]
pub use error::TryPopError;
pub use error::{CapacityError, TryPushError, TryTakeError};
pub use heap::HeapRing;
pub use iter::{IntoIter, Iter, IterMut};
#[allow(deprecated)]
pub use locking::Pop;
pub use locking::{LockingHeapRing, LockingRing, LockingRingBase, Push, Take};
pub use storage::Storage;
pub use stream::{RingSink, RingStream};

#[cfg(test)]
mod tests;

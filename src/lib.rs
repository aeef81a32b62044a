//! # lindy — an embedded coordination kernel
//!
//! The pieces that let producers and consumers meet, in one `no_std` + `alloc` crate that runs on
//! a microcontroller, on a server and in a browser:
//!
//! | module | what it holds |
//! |---|---|
//! | [`error`], [`config`], [`prelude`] | stable error codes; string-map options shared by `batch` and `stream`; the traits in one import |
//! | [`grammar`] | channel names `<visibility>:<app>.<domain>[.<id>][.<topic>]`, patterns, a pattern index |
//! | [`ring`] | fixed-capacity rings (`Ring<T, N>`), a runtime-capacity twin, a locking ring that can wait |
//! | [`sync`] | the lock seam (`RawMutex`), FIFO waiter lists: the waiting machinery everything else uses |
//! | [`queue`] | the sans-IO keyed-queue engine every backend drives: FIFO per key, leases, bounds, waiters, the close rule |
//! | [`space`] | the keyed tuple space: `push` / `take` / `peek` and their `try_*` forms, pattern take, leases |
//! | [`channels`] | channel lifecycle: public/private channels, TTLs, sweeps, events |
//! | [`stream`] | named message streams: writers, readers, broadcast, replay for late readers |
//! | [`batch`] | a sans-IO batcher and an async batch writer |
//! | `testkit` | the conformance kit every queue backend runs (feature `testkit`, on by default) |
//! | [`store`] | the durable store-and-forward queue: log codec, storage trait, file store |
//!
//! ## Principles
//! * **Sans-IO core.** Nothing in the core reads a clock, sleeps, spawns or touches a file: what
//!   needs time takes `now` (milliseconds) and reports its next deadline; what waits returns a
//!   [`core::future::Future`] that runs on any executor.
//! * **Nothing lost silently.** A full ring, a closed space or a closed stream hands the value back.
//! * **Stable error codes.** Every error has a `code()` (an inherent method: no import needed),
//!   listed in [`error`]; [`prelude`] brings the traits.
//! * **One vocabulary.** One verb per act across modules and JS (`push` / `take` / `peek`,
//!   `try_*` returning enums that name their cases, `poll_timeout()` / `handle_timeout(now)`):
//!   see `docs/vocabulary.md`.
//!
//! ## A first taste
//!
//! ```
//! use lindy::grammar::Pattern;
//! use lindy::space::LocalSpace;
//!
//! # futures::executor::block_on(async {
//! // A key is a FIFO queue; a waiting `take` is a future that runs on any executor.
//! let jobs: LocalSpace<&str> = LocalSpace::new();
//! jobs.try_push("public:images.resize.q1", "a.png").unwrap();
//! jobs.try_push("public:images.resize.q0", "b.png").unwrap();
//! assert_eq!(jobs.take("public:images.resize.q1").await, Ok("a.png"));
//!
//! // Channel patterns route across keys: the oldest entry among the matching keys.
//! let any_queue = Pattern::parse("public:images.resize.*").unwrap();
//! let (key, job) = jobs.try_take_matching(&any_queue).unwrap();
//! assert_eq!((key.as_str(), job), ("public:images.resize.q0", "b.png"));
//!
//! // Close: a push is refused and the value comes back, with a stable code.
//! jobs.close();
//! let refused = jobs.try_push("public:images.resize.q0", "late.png").unwrap_err();
//! assert_eq!(refused.code(), "CLOSED");
//! assert_eq!(refused.into_inner(), "late.png");
//! # });
//! ```
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `std` | yes | file storage, timer and sweeper threads, blocking helpers, a real mutex as the default lock |
//! | `testkit` | yes | `lindy::testkit`, the conformance kit (no dependencies) |
//! | `serde` | no | `Serialize` / `Deserialize` for names, patterns and events |
//! | `tokio` | no | `batch::TokioTimer`: batch timeouts on tokio's clock |
//!
//! Without default features the crate is `no_std` + `alloc` (microcontrollers, wasm). Beside it:
//! `lindy-redis` (the registry, bus, space and queue on Redis), `lindy-log` (the store log's
//! operator CLI) and the npm package `lindy` (wasm, for browsers, workers and Node).
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs, rust_2018_idioms, unreachable_pub)]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod error;

pub mod batch;
pub mod channels;
pub mod config;
pub mod grammar;
mod id_map;
pub mod queue;
pub mod ring;
pub mod space;
pub mod store;
pub mod stream;
pub mod sync;
#[cfg(feature = "testkit")]
pub mod testkit;

pub use error::{Closed, ErrorCode, Full, TryRecvError};

/// The README's Rust snippets, compiled and run as doctests (`cargo test --doc`), so the
/// front page never shows code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct Readme;

/// The traits you implement or call through, in one import: `use lindy::prelude::*;`.
///
/// Error codes need no import (every error type has an inherent `code()`); the prelude brings
/// [`ErrorCode`] for code generic over errors, and the traits a backend or an adapter
/// implements.
///
/// ```
/// use lindy::prelude::*;
///
/// fn codes(errs: &[&dyn ErrorCode]) -> Vec<&'static str> {
///     errs.iter().map(|e| e.code()).collect()
/// }
/// assert_eq!(codes(&[&Full(1), &Closed(())]), ["BUFFER_FULL", "CLOSED"]);
///
/// // A batch timer, implemented through the prelude's `Timer`.
/// struct Frozen;
/// impl Timer for Frozen {
///     fn now(&self) -> u64 { 0 }
///     async fn sleep_until(&self, _deadline_ms: u64) {}
/// }
/// assert_eq!(Frozen.now(), 0);
/// ```
pub mod prelude {
    pub use crate::batch::{Client as BatchClient, Timer};
    pub use crate::channels::{Clock, EventBus, Registry};
    pub use crate::error::{Closed, ErrorCode, Full, TryRecvError};
    pub use crate::sync::RawMutex;
}

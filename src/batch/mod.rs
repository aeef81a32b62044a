//! Batching writes: a sans-IO [`Batcher`] and an async [`BatchWriter`] over a [`Client`].
//!
//! A port of CloudQuery's `streamingbatchwriter`: a stream of write [`Message`]s (migrate a table,
//! insert rows, delete stale rows, delete records) is grouped into [`Batch`]es, and each batch
//! is handed to one call of a [`Client`]. A batch completes when it reaches a row or byte limit,
//! when its timeout passes, when a message of another kind arrives, on flush, and at close.
//! Inserts are batched per table; an insert too large for what is left of a batch is split.
//!
//! Layers:
//! * [`Batcher`] — the rules, and nothing else: messages and `now` (ms) in, completed batches
//!   and the next deadline out. No clock, no allocation beyond the batches, no executor.
//! * [`BatchWriter`] — drives a `Batcher` and awaits a [`Client`] call per completed batch,
//!   sleeping on a caller-supplied [`Timer`] when idle; a failed call is reported with its
//!   table while other tables carry on.
//! * Timers: [`ManualTimer`] (everywhere; the clock moves when told — tests, simulations),
//!   `StdTimer` (feature `std`: one background thread, any executor) and `TokioTimer`
//!   (feature `tokio`: tokio's clock, so paused-time tests work). Bring your own by
//!   implementing [`Timer`].
//!
//! # When a batch completes
//!
//! | trigger | [`Reason`] |
//! |---|---|
//! | it holds `max_rows` rows ([`BatchOptions::DEFAULT_MAX_ROWS`]; 0 = unlimited) | `Rows` |
//! | it holds `max_bytes` bytes ([`BatchOptions::DEFAULT_MAX_BYTES`]; 0 = unlimited), or the next row would not fit | `Bytes` |
//! | `timeout_ms` passed since its first row ([`BatchOptions::DEFAULT_TIMEOUT_MS`]; 0 = no timer) | `Timeout` |
//! | a message of another kind arrives: every pending batch completes first, oldest first | `KindChange` |
//! | [`Batcher::flush`] / [`Batcher::close`] | `Flush` / `Close` |
//!
//! An insert larger than what is left of its table's batch is split: the parts carry bytes in
//! proportion to their rows (`share(i) = bytes·i/rows`, so they add up exactly and never exceed
//! the limit). A single row above `max_bytes` travels alone. The other kinds gather their table
//! names into one batch, limited by `max_rows`. Rows are never de-duplicated.
//!
//! Differences from the seed, on purpose:
//! * Batches are values handed to one call, not channels the handler drains; calls are made
//!   one at a time in batch order (the seed ran one goroutine per table). Ordering between
//!   message kinds is the same: a kind change completes and sends every pending batch first.
//! * Timeouts are measured from a batch's first row, so a batch waits at most the timeout. The
//!   seed's worker re-arms `time.After(timeout)` on every pass of its loop: an *inactivity*
//!   timer, which fires only after a whole timeout with no message for that worker, so a
//!   steady trickle of rows (one per less than the timeout) never completes a batch on time.
//! * A handler error does not stop the writer: the failed table's later batches are dropped and
//!   counted, other tables go on, and every error is returned with its table names.
//!
//! ```
//! use lindy::batch::{Batch, BatchOptions, Batcher, Message};
//!
//! let mut batcher = Batcher::new(BatchOptions::new().max_bytes(100).timeout_ms(0));
//! // 10 rows weighing 250 bytes: split into batches of at most 100 bytes (4 rows each).
//! batcher.push(Message::insert("t", (0..10).collect(), 250), 0).unwrap();
//! batcher.close();
//! let sizes: Vec<(usize, u64)> = batcher.drain().map(|b| (b.len(), b.bytes())).collect();
//! assert_eq!(sizes, [(4, 100), (4, 100), (2, 50)]);
//! ```

mod batcher;
mod manual_timer;
mod message;
mod options;
#[cfg(feature = "std")]
mod std_timer;
#[cfg(feature = "tokio")]
mod tokio_timer;
mod writer;

pub use crate::config::{ConfigEntry, ConfigError};
pub use batcher::Batcher;
pub use manual_timer::ManualTimer;
pub use message::{Batch, Insert, Kind, Message, Reason};
pub use options::BatchOptions;
#[cfg(feature = "std")]
pub use std_timer::StdTimer;
#[cfg(feature = "tokio")]
pub use tokio_timer::TokioTimer;
pub use writer::{BatchError, BatchWriter, Client, Report, Timer};

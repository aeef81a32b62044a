//! The one sans-IO keyed-queue engine every lindy backend drives.
//!
//! [`Engine`] holds keyed FIFO queues with age stamps, leases with acknowledgement and
//! redelivery, memory bounds, waiters identified by [`WaiterId`] and served strictly in arrival
//! order, and the one close rule. It has no clock (time comes in as `now`, in milliseconds;
//! [`Engine::poll_timeout`] answers the next deadline and [`Engine::handle_timeout`] acts on it),
//! no I/O and no wakers: a driver ([`LocalSpace`](crate::space::LocalSpace), the file store,
//! IndexedDB, the JS hub, Redis) keeps whatever reaches a waiter as the payload `W` and wakes it
//! when [`Engine::pop_ready`] reports it.
//!
//! # The rules (every backend)
//!
//! | operation | open | after [`close`](Engine::close) |
//! |---|---|---|
//! | `out`, `out_front`, `put_back` | handed to the oldest waiting taker, else queued; full → `BUFFER_FULL`, value handed back | refused: `CLOSED`, value handed back |
//! | waiting `out` | waits for room, producers first come first served | ends: `CLOSED`, value handed back |
//! | `try_take`, `try_read`, pattern take | head / oldest matching head; `BUFFER_EMPTY` | drains what is queued, then `CLOSED` |
//! | waiting take / read | handed the next entry in arrival order | ends at once with `CLOSED` (nothing was queued for it) |
//! | leased take | as take; the entry stays until `ack` | drains, like take |
//! | `ack`, `nack`, `extend`, expiry | settle / return to the head (age kept) / dead-letter | unchanged: a returned entry is queued for draining |
//!
//! See `docs/queue-model.md` for the full model and the backend differences.

mod config;
mod engine;
mod error;
mod keys;
mod lease;
mod pattern_takers;
mod waiters;

pub use config::{check_lease_ms, lease_ms_from_f64, Config, DEFAULT_LEASE_MS, MAX_LEASE_MS};
pub use engine::{
    Claim, Engine, MatchOrWait, Outcome, PeekOrWait, PushOrWait, Stamp, TakeOrWait, Taken,
};
#[allow(deprecated)]
pub use engine::{OutOrWait, ReadOrWait};
#[allow(deprecated)]
pub use error::OutError;
pub use error::{ConfigError, LeaseError, PushError, TakeLeasedError, TryTakeError};
pub use lease::{LeaseId, Leased, Returned};
pub use waiters::WaiterId;

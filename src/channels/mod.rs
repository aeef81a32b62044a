//! Channel lifecycle: public and private channels, TTLs, sweeps, events, and a cross-node seam.
//!
//! A port of the Parsec `channels` manager to a `no_std` core, so the same manager runs in a
//! browser tab, a worker or a server with the clock supplied from outside.
//!
//! | item | what it is |
//! |---|---|
//! | [`Manager`] | owns lifecycle: `open_public`, `create_private`, `touch`, `delete`, `sweep`, … (`&self`, thread-safe) |
//! | [`Registry`], [`MemoryRegistry`] | where records live (the seed's `Store`); the in-memory one has an expiry index |
//! | [`Channel`], [`State`] | a record's snapshot: open, closed or deleted |
//! | [`Event`], [`EventKind`] | one transition: opened, closed or deleted |
//! | [`Subscription`] | a bounded queue of events: a future, a `Stream`, and a count of what it missed |
//! | [`EventBus`], [`RemoteEvent`], [`LocalBus`] | the cross-node seam, and an in-process bus |
//! | [`Clock`], `SystemClock` (std) | where `now` comes from |
//! | `SweeperHandle` (std) | a timer thread running [`Manager::handle_timeout_now`] ([`Manager::run_sweeper`]) |
//! | [`ChannelError`] | what was refused, for which channel, with a stable code |
//! | [`AsyncRegistry`], [`AsyncManager`] | the async twin, for a registry behind a network (`lindy-redis`) |
//! | [`BlockingRegistry`] | an [`AsyncRegistry`] over a [`Registry`] and a [`Clock`]: for tests, one process, the examples |
//!
//! # Rules
//!
//! * **TTLs.** A public channel's TTL defaults to [`DEFAULT_PUBLIC_TTL`] (30 min); a private
//!   one's to [`DEFAULT_PRIVATE_TTL`] (15 min) and may not exceed [`MAX_PRIVATE_TTL`] (1 h,
//!   inclusive) — more is `CHANNEL_TTL_EXCEEDS_MAX`. TTLs are kept in whole milliseconds, rounded
//!   up. A zero TTL is allowed: the channel expires at the next sweep.
//! * **Visibility.** `open_public` takes only `public:` names and `create_private` only
//!   `private:` ones; the other is `CHANNEL_INVALID`.
//! * **Transitions** (the table on [`Registry`] has every case):
//!   `open_public` creates (event `Opened`), refreshes an open channel (no event) or re-opens a
//!   closed one (`Opened`); `create_private` on any existing record is `CHANNEL_EXISTS`; `touch`
//!   refreshes an open channel (`CHANNEL_CLOSED` if closed); `delete` emits `Deleted`, and is
//!   `Ok` with no event on an already-deleted channel.
//! * **Expiry.** [`Manager::handle_timeout(now)`](Manager::handle_timeout) (a *sweep*) expires every open channel with `now - last_active >= ttl`: public →
//!   `Closed` (existing subscribers are not kicked), private → `Deleted` and removed. Nothing
//!   expires between sweeps; [`Manager::poll_timeout`] says when the next one is due.
//! * **Deleted records.** `get` reports them as `CHANNEL_NOT_FOUND` and `list` omits them (as in
//!   the seed). An explicitly deleted record stays as a tombstone for one TTL, so the name cannot
//!   be re-opened or re-created meanwhile (`CHANNEL_NOT_FOUND` / `CHANNEL_EXISTS`) and a second
//!   delete is a quiet `Ok`; then a sweep drops it silently and the name is free again.
//! * **Delta flag.** Off by default, kept per channel across close and re-open; `set_delta` on
//!   an unknown or deleted channel is `CHANNEL_NOT_FOUND`.
//!
//! # Events
//!
//! Every transition is an [`Event`] `{ kind, name, at }`, delivered to each [`Subscription`]
//! (optionally filtered by a [`Pattern`](crate::grammar::Pattern)) and published on the
//! [`EventBus`], in the order the transitions happened. A subscriber that falls behind never
//! slows the manager: what does not fit in its queue is dropped *and counted*
//! ([`Subscription::missed`]) — the seed dropped silently.
//!
//! # The life of a channel
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::Arc;
//! use std::time::Duration;
//! use lindy::channels::{EventKind, Manager, State};
//! use lindy::grammar::Name;
//!
//! let clock = Arc::new(AtomicU64::new(0));
//! let manager = Manager::with_clock({
//!     let clock = clock.clone();
//!     move || clock.load(Ordering::Relaxed)
//! });
//! let mut events = manager.subscribe(16);
//! let room = Name::parse("public:chat.rooms.lobby")?;
//!
//! manager.open_public(&room, Some(Duration::from_secs(10)))?; // Opened
//! clock.store(8_000, Ordering::Relaxed);
//! manager.touch(&room)?; // active again: expires at 18 s now
//! assert_eq!(manager.poll_timeout(), Some(18_000)); // when a driver should act
//! assert_eq!(manager.handle_timeout(10_000), 0);
//! assert_eq!(manager.handle_timeout(18_000), 1); // Closed
//! assert_eq!(manager.get(&room)?.state, State::Closed);
//! assert!(manager.touch(&room).is_err()); // CHANNEL_CLOSED
//!
//! clock.store(20_000, Ordering::Relaxed);
//! manager.open_public(&room, None)?; // re-opened: Opened
//! manager.delete(&room)?; // Deleted
//!
//! let seen: Vec<_> = std::iter::from_fn(|| events.try_recv().ok()).map(|e| (e.kind, e.at)).collect();
//! assert_eq!(seen, [
//!     (EventKind::Opened, 0),
//!     (EventKind::Closed, 18_000),
//!     (EventKind::Opened, 20_000),
//!     (EventKind::Deleted, 20_000),
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `cargo run --example channels` (part of `make demo`) tells the same story across two
//! managers sharing a [`LocalBus`], with a pattern-filtered subscriber and one too slow to keep
//! up, whose missed events are counted.

use core::time::Duration;

mod async_registry;
mod bus;
mod channel;
mod clock;
mod error;
mod manager;
mod registry;
mod subscribe;
#[cfg(feature = "std")]
mod sweeper;

pub use async_registry::{AsyncManager, AsyncRegistry, BlockingRegistry};
pub use bus::{EventBus, NodeId, RemoteEvent};
// Not on targets without compare-and-swap (Cortex-M0): see `crate::sync::Arc`.
#[cfg(target_has_atomic = "ptr")]
pub use bus::{LocalBus, LocalBusPort};
pub use channel::{Channel, Event, EventKind, State};
pub use clock::Clock;
#[cfg(feature = "std")]
pub use clock::SystemClock;
pub use error::ChannelError;
pub use manager::Manager;
pub use registry::{MemoryRegistry, Registry};
pub use subscribe::{Recv, Subscription};
#[cfg(feature = "std")]
pub use sweeper::{SweeperHandle, MIN_SWEEP_INTERVAL};

// The non-waiting receive's result, shared with `stream` (it lives in `crate::error`).
pub use crate::error::TryRecvError;

/// The TTL of a public channel opened without one: 30 minutes.
///
/// ```
/// let manager = lindy::channels::Manager::with_clock(|| 0);
/// let channel = manager.open_public(&lindy::grammar::Name::parse("public:a.b")?, None)?;
/// assert_eq!(channel.ttl, lindy::channels::DEFAULT_PUBLIC_TTL);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const DEFAULT_PUBLIC_TTL: Duration = Duration::from_secs(30 * 60);

/// The TTL of a private channel created without one: 15 minutes.
///
/// ```
/// let manager = lindy::channels::Manager::with_clock(|| 0);
/// let channel = manager.create_private(&lindy::grammar::Name::parse("private:a.b.c")?, None)?;
/// assert_eq!(channel.ttl, lindy::channels::DEFAULT_PRIVATE_TTL);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const DEFAULT_PRIVATE_TTL: Duration = Duration::from_secs(15 * 60);

/// The longest TTL a private channel may have: 1 hour, inclusive.
///
/// ```
/// use lindy::channels::{Manager, MAX_PRIVATE_TTL};
/// let manager = Manager::with_clock(|| 0);
/// let name = lindy::grammar::Name::parse("private:a.b.c")?;
/// assert!(manager.create_private(&name, Some(MAX_PRIVATE_TTL)).is_ok()); // inclusive
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAX_PRIVATE_TTL: Duration = Duration::from_secs(60 * 60);

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn shared_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Manager>();
        assert_send_sync::<Subscription>();
        assert_send_sync::<LocalBus>();
        assert_send_sync::<LocalBusPort>();
        assert_send_sync::<SweeperHandle>();
        assert_send_sync::<BlockingRegistry<MemoryRegistry, fn() -> u64>>();
        fn assert_send<T: Send>() {}
        assert_send::<Recv<'static>>();
    }
}

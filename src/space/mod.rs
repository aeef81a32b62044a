//! The keyed tuple space: producers `push` entries under keys, consumers `take` or `peek` them.
//!
//! A key holds a FIFO queue, so a key *is* a queue and `push`/`take` is a producer/consumer
//! hand-off; `peek` reads without removing. This is the Linda model (`out`, `in`, `rd`, `inp`,
//! `rdp`) with Rust futures for the waiting forms:
//!
//! | Linda | [`LocalSpace`] | waits? |
//! |---|---|---|
//! | `out` | [`try_push`](LocalSpace::try_push) / [`push`](LocalSpace::push) | `try_push` never (hands the value back when closed or full); `push` waits for room |
//! | `in` | [`take`](LocalSpace::take) | yes: a cancel-safe future |
//! | `rd` | [`peek`](LocalSpace::peek) | yes: a cancel-safe future |
//! | `inp` / `rdp` | [`try_take`](LocalSpace::try_take) / [`try_peek`](LocalSpace::try_peek) | never |
//!
//! ```
//! use lindy::space::LocalSpace;
//! # futures::executor::block_on(async {
//! let space: LocalSpace<&str> = LocalSpace::new();
//! space.try_push("jobs", "resize a.png").unwrap();
//! space.try_push("jobs", "resize b.png").unwrap();
//! assert_eq!(space.peek("jobs").await, Ok("resize a.png")); // still there
//! assert_eq!(space.take("jobs").await, Ok("resize a.png")); // FIFO
//! assert_eq!(space.try_take("jobs"), Some("resize b.png"));
//! assert_eq!(space.try_take("jobs"), None);
//! space.try_push("jobs", "last").unwrap();
//! space.close();
//! assert_eq!(space.try_push("jobs", "late").unwrap_err().into_inner(), "late"); // handed back
//! assert_eq!(space.take("jobs").await, Ok("last")); // a closed space drains…
//! assert!(space.take("jobs").await.is_err()); // …then reports closed
//! # });
//! ```
//!
//! # What lindy fixes from the Go original
//! * A push wakes the waiters of its own key only — every reader and exactly one taker, the
//!   oldest — instead of broadcasting to every waiter of every key; the entry is handed straight
//!   to that taker, so takers are served strictly in arrival order.
//! * A push after close hands the value back ([`PushError::Closed`](crate::queue::PushError))
//!   instead of dropping it; takes drain what is queued, then report closed (the one close rule
//!   of [`crate::queue`]).
//! * Waiting is cancel-safe: dropping a `take` never loses an entry, and an entry handed to a
//!   `take` that is then dropped goes back to the head of its key and on to the next taker.
//! * Leases ([`try_take_leased`](LocalSpace::try_take_leased), `ack`, `nack`) and bounds
//!   ([`with_config`](LocalSpace::with_config)) come from the [queue engine](crate::queue).
//! * A key leaves the map when it is empty and unwatched, so memory follows the live keys.
//!
//! # Many threads, many keys
//! [`LocalSpace`] is one engine behind one lock. [`ShardedSpace`] spreads the keys over
//! independently locked `LocalSpace`s, so threads working different keys rarely share a lock;
//! it keeps every per-key rule and makes `close` atomic across keys, but has no pattern takes,
//! space-wide bounds or dead-letter key.
//!
//! # Timeouts
//! The core has no clock. Any executor's timer composes with the futures, because they are
//! cancel-safe: `tokio::time::timeout(d, space.take("k"))` either takes an entry or takes
//! nothing. On `std`, [`LocalSpace::take_timeout`] and [`LocalSpace::take_blocking`] block the
//! calling thread without any runtime.

mod hand_off;
mod key;
mod local;
mod out_wait;
mod pattern;
mod read;
mod sharded;
mod take;
mod take_leased;
mod waiters;

// Under loom too: the blocking takes' hand-off waits on loom threads there
// (`sync::blocking::with_thread_wait`), so the models reach it.
#[cfg(feature = "std")]
mod blocking;

#[cfg(feature = "std")]
pub use blocking::WaitError;
pub use key::Key;
pub use local::{Lease, LocalSpace};
#[allow(deprecated)]
pub use out_wait::OutWait;
pub use out_wait::Push;
pub use pattern::TakeMatching;
pub use read::Peek;
#[allow(deprecated)]
pub use read::Read;
pub use sharded::ShardedSpace;
pub use take::Take;
pub use take_leased::TakeLeased;

use core::future::{ready, Future, Ready};

use crate::error::{Closed, ErrorCode};
use crate::queue::PushError;
use crate::sync::RawMutex;

/// A keyed tuple space, whatever its backend: in-process ([`LocalSpace`]), or remote.
///
/// Every operation is a future so that a backend behind a network can implement it; the local
/// backend's non-waiting operations return [`Ready`] futures (no cost), and it also offers them as
/// plain methods. Write code against this trait to run it on any backend:
///
/// ```
/// use lindy::space::{LocalSpace, Space};
///
/// async fn hand_off<S: Space<u32>>(space: &S) -> Result<u32, S::Error> {
///     // `push` errors hand the value back; here we only care that it went in.
///     let _ = space.push("jobs", 41).await;
///     space.take("jobs").await.map(|v| v + 1)
/// }
/// let space = LocalSpace::<u32>::new();
/// assert_eq!(futures::executor::block_on(hand_off(&space)), Ok(42));
/// ```
///
/// `push` waits for room in a bounded space; `try_push` answers at once:
///
/// ```
/// use lindy::queue::Config;
/// use lindy::space::{LocalSpace, Space};
/// use futures::FutureExt;
/// # futures::executor::block_on(async {
/// let space = LocalSpace::<u32>::with_config(Config::new().key_max_entries(1)).unwrap();
/// Space::try_push(&space, "jobs", 1).await.unwrap();
/// assert_eq!(Space::try_push(&space, "jobs", 2).await.unwrap_err().into_inner(), 2); // full
/// let mut waiting = Space::push(&space, "jobs", 2);
/// assert!((&mut waiting).now_or_never().is_none()); // waits for room…
/// assert_eq!(space.try_take("jobs"), Some(1));
/// waiting.await.unwrap(); // …and goes in once a take made some
/// assert_eq!(space.try_take("jobs"), Some(2));
/// # });
/// ```
///
/// The futures are associated types, so generic code can require them to be `Send`
/// (`where for<'a> S::Take<'a>: Send`) when it spawns them on a multi-threaded runtime.
pub trait Space<V> {
    /// Why a waiting or probing operation failed ([`Closed`] for [`LocalSpace`]).
    type Error: ErrorCode + core::error::Error;
    /// Why a `push` failed; carries the value back ([`PushError<V>`] for [`LocalSpace`]).
    type PushError: ErrorCode + core::error::Error;

    /// The future of [`push`](Space::push).
    type Push<'a>: Future<Output = Result<(), Self::PushError>>
    where
        Self: 'a;
    /// The future of [`try_push`](Space::try_push).
    type TryPush<'a>: Future<Output = Result<(), Self::PushError>>
    where
        Self: 'a;
    /// The future of [`take`](Space::take).
    type Take<'a>: Future<Output = Result<V, Self::Error>>
    where
        Self: 'a;
    /// The future of [`try_take`](Space::try_take).
    type TryTake<'a>: Future<Output = Result<Option<V>, Self::Error>>
    where
        Self: 'a;
    /// The future of [`len`](Space::len).
    type Len<'a>: Future<Output = Result<usize, Self::Error>>
    where
        Self: 'a;
    /// The future of [`close`](Space::close).
    type Close<'a>: Future<Output = Result<(), Self::Error>>
    where
        Self: 'a;

    /// Appends `value` under `key`, waiting for room in a bounded space (back-pressure).
    ///
    /// ```
    /// use lindy::space::{LocalSpace, Space};
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// Space::push(&space, "jobs", 1).await.unwrap();
    /// assert_eq!(space.try_take("jobs"), Some(1));
    /// # });
    /// ```
    ///
    /// # Errors
    /// Resolves to the backend's [`PushError`](Space::PushError), the value handed back, when
    /// waiting cannot help: the space is closed (before or while it waits), or the value can
    /// never fit.
    ///
    /// # Cancel safety
    /// Backends must be cancel-safe: the value is in the space exactly when the future resolved
    /// `Ok` (tokio's `send` contract); dropped earlier, it puts nothing in. So a timeout around
    /// it (`tokio::time::timeout(d, space.push(k, v))`) either stored the value or did not.
    /// [`LocalSpace`]: see [`Push`].
    fn push<'a>(&'a self, key: &'a str, value: V) -> Self::Push<'a>;
    /// Appends `value` under `key` if there is room now, without waiting for room.
    ///
    /// ```
    /// use lindy::space::{LocalSpace, Space};
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// Space::close(&space).await.unwrap();
    /// let refused = Space::try_push(&space, "jobs", 1).await.unwrap_err();
    /// assert_eq!(refused.into_inner(), 1);
    /// # });
    /// ```
    ///
    /// # Errors
    /// Resolves to the backend's [`PushError`](Space::PushError), the value handed back: closed,
    /// full (a bounded space), too large.
    ///
    /// # Cancel safety
    /// The backend's to state ([`LocalSpace`]: the future is ready at once, the value is in
    /// when it is created, whether or not it is polled).
    fn try_push<'a>(&'a self, key: &'a str, value: V) -> Self::TryPush<'a>;
    /// Removes and returns the head entry of `key`, waiting until there is one; after `close`,
    /// drains what is queued, then fails.
    ///
    /// ```
    /// use lindy::space::{LocalSpace, Space};
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!(Space::take(&space, "jobs").await, Ok(1));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    /// Backends must be cancel-safe: an entry leaves the space only when the future resolves
    /// with it.
    fn take<'a>(&'a self, key: &'a str) -> Self::Take<'a>;
    /// Removes and returns the head entry of `key` if there is one, without waiting for one.
    ///
    /// ```
    /// use lindy::space::{LocalSpace, Space};
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(Space::try_take(&space, "jobs").await, Ok(None));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    /// Backends must be cancel-safe: dropping the future before it resolves takes nothing.
    fn try_take<'a>(&'a self, key: &'a str) -> Self::TryTake<'a>;
    /// Entries queued under `key`.
    ///
    /// ```
    /// use lindy::space::{LocalSpace, Space};
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!(Space::len(&space, "jobs").await, Ok(1));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    /// Cancel-safe: changes nothing.
    fn len<'a>(&'a self, key: &'a str) -> Self::Len<'a>;
    /// Closes the space (the close rule of [`crate::queue`]): `push` is refused with the value
    /// handed back, takes drain then fail, waiters are woken.
    ///
    /// ```
    /// use lindy::space::{LocalSpace, Space};
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// Space::close(&space).await.unwrap();
    /// Space::close(&space).await.unwrap(); // idempotent
    /// assert!(Space::is_closed(&space));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    /// Idempotent, so dropping the future and calling it again is always safe.
    fn close(&self) -> Self::Close<'_>;
    /// Whether the space is closed (as far as this handle knows).
    ///
    /// ```
    /// use lindy::space::{LocalSpace, Space};
    /// let space = LocalSpace::<u32>::new();
    /// assert!(!Space::is_closed(&space));
    /// ```
    fn is_closed(&self) -> bool;
}

/// The reading half of a tuple space, for values that can be cloned.
///
/// ```
/// use lindy::space::{LocalSpace, PeekSpace};
/// async fn current<S: PeekSpace<u32>>(space: &S) -> Option<u32> {
///     space.try_peek("config").await.ok().flatten()
/// }
/// let space = LocalSpace::<u32>::new();
/// space.try_push("config", 7).unwrap();
/// assert_eq!(futures::executor::block_on(current(&space)), Some(7));
/// ```
pub trait PeekSpace<V: Clone>: Space<V> {
    /// The future of [`peek`](PeekSpace::peek).
    type Peek<'a>: Future<Output = Result<V, Self::Error>>
    where
        Self: 'a;
    /// The future of [`try_peek`](PeekSpace::try_peek).
    type TryPeek<'a>: Future<Output = Result<Option<V>, Self::Error>>
    where
        Self: 'a;

    /// A copy of the head entry of `key`, waiting until there is one.
    ///
    /// ```
    /// use lindy::space::{LocalSpace, PeekSpace};
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("config", 7).unwrap();
    /// assert_eq!(PeekSpace::peek(&space, "config").await, Ok(7));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is removed.
    fn peek<'a>(&'a self, key: &'a str) -> Self::Peek<'a>;
    /// A copy of the head entry of `key` if there is one, without waiting.
    ///
    /// ```
    /// use lindy::space::{LocalSpace, PeekSpace};
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(PeekSpace::try_peek(&space, "config").await, Ok(None));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is removed.
    fn try_peek<'a>(&'a self, key: &'a str) -> Self::TryPeek<'a>;
}

impl<V, R: RawMutex> Space<V> for LocalSpace<V, R> {
    type Error = Closed;
    type PushError = PushError<V>;
    type Push<'a>
        = Push<'a, V, R>
    where
        Self: 'a;
    type TryPush<'a>
        = Ready<Result<(), PushError<V>>>
    where
        Self: 'a;
    type Take<'a>
        = Take<'a, V, R>
    where
        Self: 'a;
    type TryTake<'a>
        = Ready<Result<Option<V>, Closed>>
    where
        Self: 'a;
    type Len<'a>
        = Ready<Result<usize, Closed>>
    where
        Self: 'a;
    type Close<'a>
        = Ready<Result<(), Closed>>
    where
        Self: 'a;

    fn push<'a>(&'a self, key: &'a str, value: V) -> Self::Push<'a> {
        LocalSpace::push(self, key, value)
    }
    fn try_push<'a>(&'a self, key: &'a str, value: V) -> Self::TryPush<'a> {
        ready(LocalSpace::try_push(self, key, value))
    }
    fn take<'a>(&'a self, key: &'a str) -> Self::Take<'a> {
        LocalSpace::take(self, key)
    }
    fn try_take<'a>(&'a self, key: &'a str) -> Self::TryTake<'a> {
        ready(Ok(LocalSpace::try_take(self, key)))
    }
    fn len<'a>(&'a self, key: &'a str) -> Self::Len<'a> {
        ready(Ok(LocalSpace::len(self, key)))
    }
    fn close(&self) -> Self::Close<'_> {
        LocalSpace::close(self);
        ready(Ok(()))
    }
    fn is_closed(&self) -> bool {
        LocalSpace::is_closed(self)
    }
}

impl<V: Clone, R: RawMutex> PeekSpace<V> for LocalSpace<V, R> {
    type Peek<'a>
        = Peek<'a, V, R>
    where
        Self: 'a;
    type TryPeek<'a>
        = Ready<Result<Option<V>, Closed>>
    where
        Self: 'a;

    fn peek<'a>(&'a self, key: &'a str) -> Self::Peek<'a> {
        LocalSpace::peek(self, key)
    }
    fn try_peek<'a>(&'a self, key: &'a str) -> Self::TryPeek<'a> {
        ready(Ok(LocalSpace::try_peek(self, key)))
    }
}

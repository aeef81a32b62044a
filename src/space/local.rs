//! [`LocalSpace`]: the in-process tuple space, a driver of the [`queue::Engine`](crate::queue::Engine).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::waiters::{Wake, WakeList};
use super::{Key, Peek, Push, Take, TakeLeased, TakeMatching};
use crate::channels::Clock;
use crate::grammar::{Name, Pattern};
use crate::queue::{
    Config, ConfigError, Engine, LeaseError, LeaseId, PushError, Returned, TakeLeasedError,
};
use crate::sync::{DefaultRawMutex, Mutex, RawMutex};

/// A leased entry handed out by [`LocalSpace::try_take_leased`]: a clone of the value (the space
/// keeps the entry until [`ack`](LocalSpace::ack)), the lease id to settle it with, and its
/// delivery count.
///
/// ```
/// use lindy::space::LocalSpace;
/// let space = LocalSpace::<&str>::new();
/// space.try_push("jobs", "resize").unwrap();
/// let lease = space.try_take_leased("jobs", Some(1_000), 0).unwrap();
/// assert_eq!((lease.value, lease.deliveries, lease.deadline), ("resize", 1, 1_000));
/// space.ack(lease.id).unwrap();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease<V> {
    /// Settle the lease with this id ([`ack`](LocalSpace::ack), [`nack`](LocalSpace::nack),
    /// [`extend`](LocalSpace::extend)).
    pub id: LeaseId,
    /// A clone of the entry's value.
    pub value: V,
    /// Leased deliveries of this entry, this one included (1 on the first).
    pub deliveries: u32,
    /// When the lease expires (ms, the clock of the `now` arguments).
    pub deadline: u64,
}

// Aligned to a cache line on 64-bit targets: the lock word and the state written on every
// operation then share one line (see `Engine`), instead of landing wherever the allocator puts them.
/// The in-process tuple space: a map from keys to FIFO queues of `V`, behind one lock. It drives
/// the crate's one queue engine ([`crate::queue`]), so it has the same rules as every other
/// backend.
///
/// * [`out`](Self::out) appends an entry under a key (Linda `out`); [`out_front`](Self::out_front)
///   puts one at the head; [`out_wait`](Self::out_wait) waits for room in a bounded space;
/// * [`take`](Self::take) removes and returns the head entry, waiting for one (Linda `in`);
/// * [`read`](Self::read) returns a clone of the head entry without removing it (Linda `rd`);
/// * [`try_take`](Self::try_take) / [`try_read`](Self::try_read) are their non-blocking probes;
/// * [`try_take_leased`](Self::try_take_leased) hands an entry out under a lease: it comes back
///   to the head of its key unless [`ack`](Self::ack)ed in time (time is given, never read:
///   drive [`poll_timeout`](Self::poll_timeout) / [`handle_timeout`](Self::handle_timeout));
/// * [`close`](Self::close): `out` hands values back, takes drain what is queued then fail.
///
/// Any string is a key (the empty string too). Pattern operations
/// ([`take_matching`](Self::take_matching)) see only keys that are channel names
/// (see [`crate::grammar`]).
///
/// # Memory
/// A key exists while it holds entries or waiters. When it holds neither it leaves the table (one
/// idle key lingers until the next key goes idle, and one emptied queue is kept for reuse, so a
/// key emptied and refilled in a loop costs no allocation), and the table shrinks as keys leave:
/// a drained space holds a couple of KiB whatever it held before, and
/// [`shrink_to_fit`](Self::shrink_to_fit) frees even that. Keys up to 24 bytes are stored inline.
/// [`with_config`](Self::with_config) bounds the entries and bytes, per space and per key.
///
/// # Wake-ups and order
/// An `out` on key `K` hands its entry straight to the taker that has waited longest among `K`'s
/// takers and the pattern takers matching `K` (one wake-up), and wakes every reader of `K` with a
/// clone. Waiters on other keys are never touched. Because the entry is handed over, a woken
/// taker can never lose it to a barging [`try_take`](Self::try_take): takers are served strictly
/// in arrival order.
///
/// # Locks
/// `R` picks the lock (see [`crate::sync`]): the default is a real mutex with `std`, nothing at all
/// on single-threaded wasm, a critical section on a microcontroller. With a `Sync` lock and
/// `V: Send` the space is `Send + Sync`. Wakers are woken and values dropped after the lock is
/// released. `new` is `const`, so a space can be a `static`:
///
/// ```
/// use lindy::space::LocalSpace;
/// static JOBS: LocalSpace<u32> = LocalSpace::new();
/// JOBS.try_push("jobs", 7).unwrap();
/// assert_eq!(JOBS.try_take("jobs"), Some(7));
/// ```
#[cfg_attr(target_pointer_width = "64", repr(align(64)))]
pub struct LocalSpace<V, R: RawMutex = DefaultRawMutex> {
    pub(crate) state: Mutex<R, Engine<V, Wake<V>>>,
}

impl<V, R: RawMutex> LocalSpace<V, R> {
    /// An empty, open, unbounded space. Allocates nothing until the first key arrives.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.total_len(), 0);
    /// ```
    pub const fn new() -> Self {
        LocalSpace {
            state: Mutex::new(Engine::new()),
        }
    }

    /// An empty space with bounds, a default lease length and a dead-letter rule (see
    /// [`Config`]).
    ///
    /// ```
    /// use lindy::queue::Config;
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::with_config(Config::new().key_max_entries(1)).unwrap();
    /// space.try_push("k", 1).unwrap();
    /// let full = space.try_push("k", 2).unwrap_err();
    /// assert_eq!((lindy::ErrorCode::code(&full), full.into_inner()), ("BUFFER_FULL", 2));
    /// assert!(LocalSpace::<u32>::with_config(Config::new().max_entries(0)).is_err());
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] (code `INVALID_CONFIG`) for a setting out of range.
    pub fn with_config(config: Config<V>) -> Result<Self, ConfigError> {
        Ok(LocalSpace {
            state: Mutex::new(Engine::with_config(config)?),
        })
    }

    /// Runs `f` on the engine under the lock, then wakes every waiter it made ready, unlocked.
    #[inline]
    pub(crate) fn with<U>(&self, f: impl FnOnce(&mut Engine<V, Wake<V>>) -> U) -> U {
        let mut wakes = WakeList::new();
        let out = self.state.lock(|e| {
            let out = f(e);
            wakes.collect(e);
            out
        });
        wakes.wake_all();
        out
    }

    /// Appends `value` to the queue of `key`: handed straight to the key's oldest waiting taker if
    /// there is one, and cloned to its waiting readers. Never waits.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.close();
    /// assert_eq!(space.try_push("jobs", 2).unwrap_err().into_inner(), 2); // handed back
    /// ```
    ///
    /// # Errors
    /// The value is handed back, nothing is lost silently: [`PushError::Closed`] once the space is
    /// closed, [`PushError::Full`] / [`PushError::TooLarge`] under a bound (see
    /// [`with_config`](Self::with_config); [`push`](Self::push) waits for room instead).
    #[inline]
    pub fn try_push(&self, key: &str, value: V) -> Result<(), PushError<V>> {
        self.with(|e| e.try_push(key, value)).map(|_| ())
    }

    /// Renamed [`try_push`](Self::try_push).
    #[deprecated(since = "0.2.0", note = "renamed to `try_push`")]
    pub fn out(&self, key: &str, value: V) -> Result<(), PushError<V>> {
        self.try_push(key, value)
    }

    /// Puts `value` at the head of `key`: the next take gets it (a put-back). O(1).
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.push_front("jobs", 0).unwrap();
    /// assert_eq!(space.try_take("jobs"), Some(0));
    /// ```
    ///
    /// # Errors
    /// As [`try_push`](Self::try_push).
    pub fn push_front(&self, key: &str, value: V) -> Result<(), PushError<V>> {
        self.with(|e| e.push_front(key, value)).map(|_| ())
    }

    /// Renamed [`push_front`](Self::push_front).
    #[deprecated(since = "0.2.0", note = "renamed to `push_front`")]
    pub fn out_front(&self, key: &str, value: V) -> Result<(), PushError<V>> {
        self.push_front(key, value)
    }

    /// Appends `value` under `key`, waiting for room in a bounded space (back-pressure). Producers
    /// of a key go in first come, first served.
    ///
    /// ```
    /// use lindy::queue::Config;
    /// use lindy::space::LocalSpace;
    /// use futures::FutureExt;
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::with_config(Config::new().key_max_entries(1)).unwrap();
    /// space.push("jobs", 1).await.unwrap(); // room: in at once
    /// let mut second = space.push("jobs", 2);
    /// assert!((&mut second).now_or_never().is_none()); // full: it waits
    /// assert_eq!(space.try_take("jobs"), Some(1)); // room frees…
    /// second.await.unwrap(); // …and the waiting push goes in
    /// # });
    /// ```
    ///
    /// # Errors
    /// Resolves to [`PushError::Closed`] (the space closed while it waited) or
    /// [`PushError::TooLarge`], the value handed back.
    ///
    /// # Cancel safety
    /// Cancel-safe: the value is in the space only if the future resolved `Ok`; dropping it
    /// earlier takes the value back out of the space's waiting room and drops it.
    pub fn push<'a>(&'a self, key: &'a str, value: V) -> Push<'a, V, R> {
        Push::new(self, key, value)
    }

    /// Renamed [`push`](Self::push).
    #[deprecated(since = "0.2.0", note = "renamed to `push`")]
    pub fn out_wait<'a>(&'a self, key: &'a str, value: V) -> Push<'a, V, R> {
        self.push(key, value)
    }

    /// Takes the head entry of `key`, waiting until there is one (Linda `in`).
    ///
    /// An entry already present is returned on the first poll. The future borrows the space and
    /// the key.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!(space.take("jobs").await, Ok(1));
    /// space.close();
    /// assert!(space.take("jobs").await.is_err()); // closed and drained
    /// # });
    /// ```
    ///
    /// # Errors
    /// Resolves to [`Closed`](crate::Closed) once the space is closed *and* `key` is empty: a
    /// closed space is drained first.
    ///
    /// # Cancel safety
    /// Cancel-safe: an entry handed to a dropped future goes back to the head of its key, with
    /// its age, and on to the next taker (see [`Take`]).
    pub fn take<'a>(&'a self, key: &'a str) -> Take<'a, V, R> {
        Take::new(self, key)
    }

    /// Takes the head entry of `key` if there is one; never waits. Serves after close too, so a
    /// closed space can be drained.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.try_take("jobs"), None);
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!(space.try_take("jobs"), Some(1));
    /// ```
    #[inline]
    pub fn try_take(&self, key: &str) -> Option<V> {
        self.with(|e| e.try_take(key).ok().map(|t| t.value))
    }

    /// Takes the oldest entry from any key that is a channel name matching `pattern`
    /// (`public:app.jobs.*`), waiting until there is one; resolves to the key (as a [`Name`]) and
    /// the value. Keys that are not valid channel names never match.
    ///
    /// "Oldest" is by `out` order across the space (see [`TakeMatching`]). While it waits, the
    /// future is one of the takers an `out` on a matching key may be handed to: each `out` goes to
    /// the taker that has waited longest among the key's takers and the matching pattern takers.
    ///
    /// Polling scans the keys that hold entries: O(keys). Waiting costs nothing per key.
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    /// use lindy::space::LocalSpace;
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("public:app.jobs.b", 1).unwrap();
    /// space.try_push("public:app.jobs.a", 2).unwrap();
    /// let jobs = Pattern::parse("public:app.jobs.*").unwrap();
    /// let (key, value) = space.take_matching(&jobs).await.unwrap();
    /// assert_eq!((key.as_str(), value), ("public:app.jobs.b", 1)); // the oldest first
    /// # });
    /// ```
    ///
    /// # Errors
    /// Resolves to [`Closed`](crate::Closed) once the space is closed and no matching entry is
    /// left.
    ///
    /// # Cancel safety
    /// Cancel-safe: as [`take`](Self::take).
    pub fn take_matching<'a>(&'a self, pattern: &'a Pattern) -> TakeMatching<'a, V, R> {
        TakeMatching::new(self, pattern)
    }

    /// Takes the oldest entry from any key matching `pattern`, if there is one; never waits.
    /// Serves after close too. O(keys).
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("not a channel name", 0).unwrap();
    /// space.try_push("public:app.jobs.a", 1).unwrap();
    /// let jobs = Pattern::parse("public:app.jobs.*").unwrap();
    /// assert_eq!(space.try_take_matching(&jobs).map(|(k, v)| (k.to_string(), v)), Some(("public:app.jobs.a".into(), 1)));
    /// assert_eq!(space.try_take_matching(&jobs), None);
    /// ```
    pub fn try_take_matching(&self, pattern: &Pattern) -> Option<(Name, V)> {
        self.with(|e| e.try_take_matching(pattern).ok().map(|(n, t)| (n, t.value)))
    }

    /// Entries queued under `key` (leased ones not counted).
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!((space.len("jobs"), space.len("other")), (1, 0));
    /// ```
    pub fn len(&self, key: &str) -> usize {
        self.state.lock(|s| s.len(key))
    }

    /// Entries queued across all keys. O(1).
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("a", 1).unwrap();
    /// space.try_push("b", 2).unwrap();
    /// assert_eq!(space.total_len(), 2);
    /// ```
    pub fn total_len(&self) -> usize {
        self.state.lock(|s| s.total_len())
    }

    /// A snapshot of the keys holding at least one entry, in no particular order.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!(space.keys(), ["jobs"]);
    /// ```
    pub fn keys(&self) -> Vec<String> {
        self.state.lock(|s| s.keys().map(String::from).collect())
    }

    /// A handle on one key, to work it without naming it each time.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// let jobs = space.key("jobs");
    /// jobs.try_push(1).unwrap();
    /// assert_eq!((jobs.len(), jobs.try_take()), (1, Some(1)));
    /// ```
    pub fn key<'a>(&'a self, key: &'a str) -> Key<'a, V, R> {
        Key::new(self, key)
    }

    /// Closes the space (idempotent): every later [`out`](Self::out) hands its value back;
    /// takes and reads drain what is queued, then fail with [`Closed`](crate::Closed); every
    /// waiter is woken now (nothing is queued for a waiting taker); waiting producers get their
    /// values back. Leases still settle and expire; a returned entry is queued for draining.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.close();
    /// assert!(space.try_push("jobs", 2).is_err());
    /// assert_eq!(space.try_take("jobs"), Some(1)); // drains
    /// ```
    pub fn close(&self) {
        self.with(|e| e.close());
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.close();
    /// assert!(space.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.state.lock(|s| s.is_closed())
    }

    /// Releases every byte the present keys do not need: the table's spare room, the recycled key
    /// queue, spare queue capacity. The space shrinks on its own as keys leave; this goes further,
    /// down to no allocation at all for an empty space.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// (0..1_000).for_each(|i| space.try_push(&i.to_string(), i).unwrap());
    /// (0..1_000).for_each(|i| assert_eq!(space.try_take(&i.to_string()), Some(i)));
    /// space.shrink_to_fit(); // back to no allocation
    /// assert_eq!(space.total_len(), 0);
    /// ```
    pub fn shrink_to_fit(&self) {
        self.state.lock(|s| s.shrink_to_fit());
    }

    /// Acknowledges a lease: the entry is done and leaves the space.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// let lease = space.try_take_leased("jobs", None, 0).unwrap();
    /// space.ack(lease.id).unwrap();
    /// assert_eq!(space.ack(lease.id).unwrap_err().code(), "LEASE_LOST"); // settled once
    /// ```
    ///
    /// # Errors
    /// [`LeaseError::Lost`] (code `LEASE_LOST`): no live lease has that id (settled, expired,
    /// never issued).
    pub fn ack(&self, id: LeaseId) -> Result<(), LeaseError> {
        self.with(|e| e.ack(id)).map(drop)
    }

    /// Returns a lease: the entry goes back to the head of its key with its age and delivery
    /// count (to the oldest waiting taker, if any), or to the dead-letter key after
    /// `max_deliveries` (see [`Config::max_deliveries`]).
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// let lease = space.try_take_leased("jobs", None, 0).unwrap();
    /// space.nack(lease.id).unwrap();
    /// assert_eq!(space.try_take_leased("jobs", None, 0).unwrap().deliveries, 2); // back, counted
    /// ```
    ///
    /// # Errors
    /// [`LeaseError::Lost`].
    pub fn nack(&self, id: LeaseId) -> Result<Returned, LeaseError> {
        self.with(|e| e.nack(id))
    }

    /// Extends a lease to `lease_ms` (the configured default if `None`) from `now`; returns the
    /// new deadline.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// let lease = space.try_take_leased("jobs", Some(1_000), 0).unwrap();
    /// assert_eq!(space.extend(lease.id, Some(5_000), 900), Ok(5_900));
    /// assert_eq!(space.handle_timeout(1_000), 0); // still leased
    /// ```
    ///
    /// # Errors
    /// [`LeaseError::Invalid`] (code `LEASE_INVALID`) for a length outside
    /// `1..=`[`MAX_LEASE_MS`](crate::queue::MAX_LEASE_MS), [`LeaseError::Lost`] for no such lease.
    pub fn extend(&self, id: LeaseId, lease_ms: Option<u64>, now: u64) -> Result<u64, LeaseError> {
        self.state.lock(|s| s.extend(id, lease_ms, now))
    }

    /// The next lease deadline (ms), if any lease is out: call
    /// [`handle_timeout`](Self::handle_timeout) then.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.poll_timeout(), None);
    /// space.try_push("jobs", 1).unwrap();
    /// space.try_take_leased("jobs", Some(250), 1_000).unwrap();
    /// assert_eq!(space.poll_timeout(), Some(1_250));
    /// ```
    pub fn poll_timeout(&self) -> Option<u64> {
        self.state.lock(|s| s.poll_timeout())
    }

    /// Returns every lease whose deadline is `<= now` to the head of its key (or the dead-letter
    /// key), waking takers as entries come back. Returns how many expired.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.try_take_leased("jobs", Some(250), 0).unwrap();
    /// assert_eq!(space.handle_timeout(249), 0);
    /// assert_eq!(space.handle_timeout(250), 1);
    /// assert_eq!(space.try_take("jobs"), Some(1)); // back at the head
    /// ```
    pub fn handle_timeout(&self, now: u64) -> usize {
        self.with(|e| e.handle_timeout(now))
    }

    /// Entries out on a lease.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.try_take_leased("jobs", None, 0).unwrap();
    /// assert_eq!((space.leased_len(), space.len("jobs")), (1, 0));
    /// ```
    pub fn leased_len(&self) -> usize {
        self.state.lock(|s| s.leased_len())
    }
}

impl<V: Clone, R: RawMutex> LocalSpace<V, R> {
    /// Reads a clone of the head entry of `key` without removing it, waiting until there is one
    /// (Linda `rd`). Several readers may read the same entry, and a taker may then take it: a
    /// waiting reader gets a clone of the next entry that arrives, even one handed straight to a
    /// waiting taker.
    ///
    /// `V::clone` runs under the space's lock: keep it cheap (an `Arc`, a small value) and never
    /// touch the space from it.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("config", 7).unwrap();
    /// assert_eq!(space.peek("config").await, Ok(7));
    /// assert_eq!(space.len("config"), 1); // still there
    /// # });
    /// ```
    ///
    /// # Errors
    /// Resolves to [`Closed`](crate::Closed) once the space is closed and `key` is empty.
    ///
    /// # Cancel safety
    /// Cancel-safe: a read changes nothing in the space (see [`Peek`]).
    pub fn peek<'a>(&'a self, key: &'a str) -> Peek<'a, V, R> {
        Peek::new(self, key)
    }

    /// Renamed [`peek`](Self::peek).
    #[deprecated(since = "0.2.0", note = "renamed to `peek`")]
    pub fn read<'a>(&'a self, key: &'a str) -> Peek<'a, V, R> {
        self.peek(key)
    }

    /// A clone of the head entry of `key`, if there is one; never waits. Serves after close too.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.try_peek("config"), None);
    /// space.try_push("config", 7).unwrap();
    /// assert_eq!(space.try_peek("config"), Some(7));
    /// ```
    pub fn try_peek(&self, key: &str) -> Option<V> {
        self.state.lock(|s| s.try_peek(key).ok().cloned())
    }

    /// Renamed [`try_peek`](Self::try_peek).
    #[deprecated(since = "0.2.0", note = "renamed to `try_peek`")]
    pub fn try_read(&self, key: &str) -> Option<V> {
        self.try_peek(key)
    }

    /// Takes the head entry of `key` under a lease of `lease_ms` (the configured default if
    /// `None`) starting at `now`: the space keeps the entry and returns a clone with the lease.
    /// [`ack`](Self::ack) it when done; if it is [`nack`](Self::nack)ed, or expires
    /// ([`handle_timeout`](Self::handle_timeout) with a `now` at or past the deadline), it goes
    /// back to the head of its key with its age, delivery count kept.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<&str>::new();
    /// space.try_push("jobs", "resize").unwrap();
    /// let lease = space.try_take_leased("jobs", Some(5_000), 1_000).unwrap();
    /// assert_eq!((lease.value, lease.deliveries, lease.deadline), ("resize", 1, 6_000));
    /// assert_eq!(space.poll_timeout(), Some(6_000));
    /// space.handle_timeout(6_000); // the worker died: the job is back
    /// assert_eq!(space.try_take_leased("jobs", None, 7_000).unwrap().deliveries, 2);
    /// ```
    ///
    /// # Errors
    /// [`TakeLeasedError::Invalid`] (code `LEASE_INVALID`, nothing taken) for a bad length,
    /// [`TakeLeasedError::Empty`], or [`TakeLeasedError::Closed`] once closed and drained.
    pub fn try_take_leased(
        &self,
        key: &str,
        lease_ms: Option<u64>,
        now: u64,
    ) -> Result<Lease<V>, TakeLeasedError> {
        self.with(|e| {
            e.try_take_leased(key, lease_ms, now).map(|l| Lease {
                id: l.id,
                value: l.value.clone(),
                deliveries: l.deliveries,
                deadline: l.deadline,
            })
        })
    }

    /// Takes the head entry of `key` under a lease, waiting until there is one: the waiting form
    /// of [`try_take_leased`](Self::try_take_leased). The lease starts when the future resolves,
    /// at `clock`'s now (any `Fn() -> u64` of milliseconds; the one your
    /// [`handle_timeout`](Self::handle_timeout) driver uses).
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<&str>::new();
    /// space.out("jobs", "resize").unwrap();
    /// let lease = space.take_leased("jobs", Some(1_000), || 50).await.unwrap();
    /// assert_eq!((lease.value, lease.deadline), ("resize", 1_050));
    /// space.ack(lease.id).unwrap();
    /// # });
    /// ```
    ///
    /// # Errors
    /// Resolves to [`TakeLeasedError::Invalid`] for a bad lease length (nothing taken), or
    /// [`TakeLeasedError::Closed`] once the space is closed and `key` drained.
    ///
    /// # Cancel safety
    /// Cancel-safe: an entry handed to a dropped future goes back to the head of its key with its
    /// age, and no lease is created (see [`TakeLeased`]).
    pub fn take_leased<'a, C: Clock>(
        &'a self,
        key: &'a str,
        lease_ms: Option<u64>,
        clock: C,
    ) -> TakeLeased<'a, V, C, R> {
        TakeLeased::new(self, key, lease_ms, clock)
    }

    /// [`try_take_matching`](Self::try_take_matching) under a lease (see
    /// [`try_take_leased`](Self::try_take_leased)).
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.try_push("public:app.jobs.a", 1).unwrap();
    /// let jobs = Pattern::parse("public:app.jobs.*").unwrap();
    /// let (key, lease) = space.try_take_matching_leased(&jobs, Some(1_000), 0).unwrap();
    /// assert_eq!((key.as_str(), lease.value), ("public:app.jobs.a", 1));
    /// space.ack(lease.id).unwrap();
    /// ```
    ///
    /// # Errors
    /// As [`try_take_leased`](Self::try_take_leased).
    pub fn try_take_matching_leased(
        &self,
        pattern: &Pattern,
        lease_ms: Option<u64>,
        now: u64,
    ) -> Result<(Name, Lease<V>), TakeLeasedError> {
        self.with(|e| {
            e.try_take_matching_leased(pattern, lease_ms, now)
                .map(|(n, l)| {
                    (
                        n,
                        Lease {
                            id: l.id,
                            value: l.value.clone(),
                            deliveries: l.deliveries,
                            deadline: l.deadline,
                        },
                    )
                })
        })
    }
}

impl<V, R: RawMutex> Default for LocalSpace<V, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V, R: RawMutex> fmt::Debug for LocalSpace<V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (keys, total, closed) = self
            .state
            .lock(|s| (s.key_count(), s.total_len(), s.is_closed()));
        f.debug_struct("LocalSpace")
            .field("keys", &keys)
            .field("total_len", &total)
            .field("closed", &closed)
            .finish()
    }
}

#[cfg(all(feature = "std", not(loom)))]
const _: () = {
    // Thread-safe on std whenever the values may move between threads.
    const fn assert_send_sync<T: Send + Sync>() {}
    const fn assert_send<T: Send>() {}
    const fn check<V: Send + 'static>() {
        assert_send_sync::<LocalSpace<V>>();
        assert_send_sync::<Take<'static, V>>();
        assert_send::<Push<'static, V>>();
    }
    check::<alloc::boxed::Box<u8>>();
};

//! [`Engine`]: the sans-IO keyed-queue state machine.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use core::fmt;

use compact_str::CompactString;

use super::config::Config;
use super::error::{ConfigError, PushError, TryTakeError};
use super::keys::{Entry, KeyQueue, Keys};
use super::lease::Leases;
use super::pattern_takers::{new_pattern_takers, PatternTakers};
use super::waiters::{Kind, List, State, WaiterId, Waiters, NIL};
use crate::grammar::{Name, NameRef, Pattern};

/// An entry's age: its place in `out` order across the engine (smaller is older).
///
/// Pattern take serves the oldest head among the matching keys by this stamp, and every way an
/// entry comes back ([`put_back`](Engine::put_back), [`nack`](Engine::nack), lease expiry, a
/// cancelled hand-off) keeps it, so a returned entry keeps its turn.
///
/// ```
/// use lindy::queue::Engine;
/// let mut q: Engine<&str> = Engine::new();
/// q.try_push("a", "old").unwrap();
/// q.try_push("b", "new").unwrap();
/// let (a, b) = (q.try_take("a").unwrap().stamp, q.try_take("b").unwrap().stamp);
/// assert!(a < b); // older is smaller
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Stamp(pub(crate) u64);

impl Stamp {
    /// The stamp as a number (for logs and durable backends).
    ///
    /// ```
    /// use lindy::queue::Stamp;
    /// assert_eq!(Stamp::from_u64(7).as_u64(), 7);
    /// ```
    pub const fn as_u64(self) -> u64 {
        self.0
    }
    /// A stamp from [`as_u64`](Self::as_u64) (a durable backend restoring entries).
    ///
    /// ```
    /// use lindy::queue::Stamp;
    /// assert!(Stamp::from_u64(1) < Stamp::from_u64(2));
    /// ```
    pub const fn from_u64(stamp: u64) -> Self {
        Stamp(stamp)
    }
}

/// An entry taken out of the engine, with its history: put it back with
/// [`put_back`](Engine::put_back) and it keeps its age.
///
/// ```
/// use lindy::queue::Engine;
/// let mut q: Engine<&str> = Engine::new();
/// q.try_push("k", "v").unwrap();
/// let taken = q.try_take("k").unwrap();
/// assert_eq!((taken.value, taken.deliveries), ("v", 0));
/// q.put_back("k", taken).unwrap(); // keeps its age
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken<V> {
    /// The value.
    pub value: V,
    /// Its age (see [`Stamp`]).
    pub stamp: Stamp,
    /// How many times it was handed out under a lease so far (0 if never leased).
    pub deliveries: u32,
}

/// Where an entry went.
///
/// ```
/// use lindy::queue::{Engine, Outcome, TakeOrWait};
/// let mut q: Engine<u32> = Engine::new();
/// assert_eq!(q.try_push("k", 1), Ok(Outcome::Queued));
/// q.try_take("k").unwrap();
/// let Ok(TakeOrWait::Waiting(id)) = q.take_or_wait("k", ()) else { unreachable!() };
/// assert_eq!(q.try_push("k", 2), Ok(Outcome::Delivered(id)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Queued under its key.
    Queued,
    /// Handed straight to this waiting taker (the oldest eligible one); it is also reported by
    /// [`take_ready`](Engine::take_ready), and its driver [`claim`](Engine::claim)s the entry.
    Delivered(WaiterId),
}

/// The result of a take that may wait.
///
/// ```
/// use lindy::queue::{Engine, TakeOrWait};
/// let mut q: Engine<u32> = Engine::new();
/// q.try_push("k", 1).unwrap();
/// assert!(matches!(q.take_or_wait("k", ()), Ok(TakeOrWait::Taken(t)) if t.value == 1));
/// assert!(matches!(q.take_or_wait("k", ()), Ok(TakeOrWait::Waiting(_))));
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum TakeOrWait<V> {
    /// An entry was there.
    Taken(Taken<V>),
    /// Nothing yet: the taker waits under this id until [`take_ready`](Engine::take_ready) reports
    /// it; then [`claim`](Engine::claim) it.
    Waiting(WaiterId),
}

/// The result of a pattern take that may wait.
///
/// ```
/// use lindy::grammar::Pattern;
/// use lindy::queue::{Engine, MatchOrWait};
/// let mut q: Engine<u32> = Engine::new();
/// let p = Pattern::parse("public:jobs.*").unwrap();
/// assert!(matches!(q.take_matching_or_wait(&p, ()), Ok(MatchOrWait::Waiting(_))));
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum MatchOrWait<V> {
    /// An entry was there, under this key.
    Taken(Name, Taken<V>),
    /// Nothing yet: the taker waits under this id.
    Waiting(WaiterId),
}

/// The result of a peek that may wait.
///
/// ```
/// use lindy::queue::{Engine, PeekOrWait};
/// let mut q: Engine<u32> = Engine::new();
/// assert!(matches!(q.peek_or_wait("k", ()), Ok(PeekOrWait::Waiting(_))));
/// q.try_push("k", 1).unwrap();
/// assert_eq!(q.peek_or_wait("k", ()), Ok(PeekOrWait::Peeked(1)));
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum PeekOrWait<V> {
    /// A clone of the head.
    Peeked(V),
    /// Nothing yet: the peeker waits under this id.
    Waiting(WaiterId),
}

/// The result of a push that may wait for room.
///
/// ```
/// use lindy::queue::{Config, Engine, PushOrWait, Outcome};
/// let mut q: Engine<u32> = Engine::with_config(Config::new().max_entries(1)).unwrap();
/// assert_eq!(q.push_or_wait("k", 1, ()), Ok(PushOrWait::Done(Outcome::Queued)));
/// assert!(matches!(q.push_or_wait("k", 2, ()), Ok(PushOrWait::Waiting(_))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PushOrWait {
    /// The value went in.
    Done(Outcome),
    /// No room: the engine holds the value and the producer waits under this id (first come,
    /// first served among producers of the key).
    Waiting(WaiterId),
}

/// Renamed [`PeekOrWait`] (its `Read` case is now `Peeked`).
#[deprecated(
    since = "0.2.0",
    note = "renamed to `PeekOrWait` (case `Read` is now `Peeked`)"
)]
pub type ReadOrWait<V> = PeekOrWait<V>;

/// Renamed [`PushOrWait`].
#[deprecated(since = "0.2.0", note = "renamed to `PushOrWait`")]
pub type OutOrWait = PushOrWait;

/// What a waiter's driver finds when it [`claim`](Engine::claim)s it.
///
/// ```
/// use lindy::queue::{Claim, Engine, TakeOrWait};
/// let mut q: Engine<u32> = Engine::new();
/// let Ok(TakeOrWait::Waiting(id)) = q.take_or_wait("k", ()) else { unreachable!() };
/// assert_eq!(q.claim(id), Claim::Pending);
/// q.try_push("k", 1).unwrap();
/// assert!(matches!(q.claim(id), Claim::Taken(t) if t.value == 1));
/// assert_eq!(q.claim(id), Claim::Unknown); // claimed once
/// ```
#[derive(Debug, PartialEq, Eq)]
pub enum Claim<V> {
    /// Still waiting (the id stays valid).
    Pending,
    /// A key taker's entry.
    Taken(Taken<V>),
    /// A pattern taker's entry and the key it came from.
    Matched(Name, Taken<V>),
    /// A reader's clone.
    Read(V),
    /// A waiting producer's value went in (in this claim).
    Stored,
    /// A taker or reader: closed, and nothing was there for it.
    Closed,
    /// A waiting producer: closed; here is its value back.
    Refused(V),
    /// No such waiter (already claimed or cancelled, or not an id of this engine).
    Unknown,
}

/// Where an entry goes in its key's queue.
#[derive(Clone, Copy)]
pub(super) enum At {
    Back,
    Front,
    /// Returned entries (cancel, nack, expiry, put-back): at the head, behind only the older
    /// entries there, so several returned entries keep their age order. O(1) unless older
    /// entries were returned before it.
    Age,
}

/// Why an entry could not go in.
pub(super) enum Refusal {
    Full,
    TooLarge,
}

// `repr(C)`, fields touched by every `out` / `take` first: they share the first cache line, and
// the key table (cache-line aligned) starts on the next one.
/// The one keyed-queue engine every lindy backend drives: FIFO per key, leases, bounds, waiters
/// and the close rule, with no clock, no I/O and no wakers (sans-IO, in quinn-proto's shape).
///
/// `V` is the value; `W` is whatever the driver keeps per waiter to reach it again (a
/// [`Waker`](core::task::Waker) for [`LocalSpace`](crate::space::LocalSpace), a resolver id
/// for JavaScript, `()` in a test): the engine stores it and hands it back through
/// [`take_ready`](Self::take_ready) when that waiter is ready — the driver wakes it, outside any
/// lock.
///
/// # The model
/// * **Keys** are FIFO queues; any string is a key. [`try_push`](Self::try_push) appends,
///   [`try_take`](Self::try_take) pops the head, [`try_peek`](Self::try_peek) peeks.
/// * **Stamps**: every entry carries its [`Stamp`] (age) and its lease delivery count.
///   [`try_take_matching`](Self::try_take_matching) takes the oldest head among the keys that
///   match a channel [`Pattern`].
/// * **Waiters** ([`take_or_wait`](Self::take_or_wait),
///   [`take_matching_or_wait`](Self::take_matching_or_wait), [`peek_or_wait`](Self::peek_or_wait),
///   [`push_or_wait`](Self::push_or_wait)) get ids in one arrival order. An entry arriving for a
///   waiting taker is **handed straight to it** ([`Outcome::Delivered`]): key takers and pattern
///   takers are served strictly by arrival, a non-waiting take can never barge past a waiter
///   (there is nothing queued while one waits), and a woken waiter can never lose its entry. A
///   waiter that is [`cancel`](Self::cancel)led after it was handed an entry gives it back to
///   the head of its key, age kept, which hands it on to the next waiter.
/// * **Leases** ([`try_take_leased`](Self::try_take_leased)): the entry stays in the engine
///   until [`ack`](Self::ack); [`nack`](Self::nack) and expiry
///   ([`handle_timeout`](Self::handle_timeout)) put it back at the head of its key with its age,
///   its delivery count kept, or on the dead-letter key after `max_deliveries`.
/// * **Bounds** ([`Config`]): a full `out` hands the value back ([`PushError::Full`]), or waits
///   ([`push_or_wait`](Self::push_or_wait)).
/// * **Close** ([`close`](Self::close)): `out` is refused with the value handed back, takes
///   drain what is queued then report closed, waiters end at once (there is nothing queued for
///   them), leases still settle and expire (a returned entry is queued for draining).
///
/// ```
/// use lindy::queue::{Claim, Engine, Outcome, TakeOrWait};
///
/// let mut q: Engine<&str> = Engine::new();
/// q.try_push("jobs", "a").unwrap();
/// assert_eq!(q.try_take("jobs").unwrap().value, "a");
///
/// // A waiting taker is handed the next entry directly.
/// let TakeOrWait::Waiting(id) = q.take_or_wait("jobs", ()).unwrap() else { unreachable!() };
/// assert_eq!(q.try_push("jobs", "b").unwrap(), Outcome::Delivered(id));
/// assert_eq!(q.take_ready(), Some((id, ()))); // wake it
/// let Claim::Taken(t) = q.claim(id) else { unreachable!() };
/// assert_eq!(t.value, "b");
///
/// // Leases: the entry comes back if it is not acknowledged in time.
/// q.try_push("jobs", "c").unwrap();
/// let lease = q.try_take_leased("jobs", Some(1_000), 0).unwrap().id;
/// assert_eq!(q.poll_timeout(), Some(1_000));
/// assert_eq!(q.handle_timeout(1_000), 1);
/// assert_eq!(q.ack(lease).unwrap_err().code(), "LEASE_LOST");
/// let again = q.try_take("jobs").unwrap();
/// assert_eq!((again.value, again.deliveries), ("c", 1));
/// # use lindy::ErrorCode;
/// ```
#[repr(C)]
pub struct Engine<V, W = ()> {
    /// Waiters made ready and not yet reported.
    pub(super) ready: VecDeque<(WaiterId, W)>,
    pub(super) next_stamp: u64,
    /// Queued entries, across keys.
    pub(super) queued: usize,
    /// Producers waiting for room, in arrival order.
    pub(super) producers: List,
    pub(super) closed: bool,
    /// Whether any bound is set: all accounting is skipped otherwise.
    pub(super) bounded: bool,
    /// Whether a byte bound is set: the weigher runs only then.
    pub(super) weighs: bool,
    /// Whether a per-key bound is set: per-key counts are kept only then.
    pub(super) key_bounded: bool,
    pub(super) keys: Keys<V>,
    /// Waiting pattern takers: `(ticket, slot)` by pattern. `None` keeps `out` free of grammar
    /// work while nobody takes by pattern.
    pub(super) patterns: Option<Box<dyn PatternTakers>>,
    pub(super) waiters: Waiters<V, W>,
    /// Waiting pattern takers in arrival order (for `close`).
    pub(super) pattern_takers: List,
    pub(super) next_ticket: u64,
    pub(super) leases: Leases<V>,
    /// Leased entries.
    pub(super) in_flight: usize,
    /// Room reserved for admitted producers that have not claimed yet.
    pub(super) reserved: usize,
    /// Weight of queued, leased and reserved entries (with a byte bound).
    pub(super) bytes: usize,
    pub(super) config: Config<V>,
}

impl<V, W> Default for Engine<V, W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V, W> Engine<V, W> {
    /// An empty, open, unbounded engine. Allocates nothing until the first key arrives.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let q: Engine<u32> = Engine::new();
    /// assert!(q.is_empty());
    /// ```
    pub const fn new() -> Self {
        Engine {
            next_stamp: 0,
            keys: Keys::new(),
            closed: false,
            bounded: false,
            weighs: false,
            key_bounded: false,
            next_ticket: 1,
            patterns: None,
            waiters: Waiters::new(),
            pattern_takers: List::new(),
            producers: List::new(),
            ready: VecDeque::new(),
            leases: Leases::new(),
            queued: 0,
            in_flight: 0,
            reserved: 0,
            bytes: 0,
            config: Config::new(),
        }
    }

    /// An empty engine with bounds, lease defaults and a dead-letter rule.
    ///
    /// ```
    /// use lindy::queue::{Config, Engine};
    /// let q: Engine<u32> = Engine::with_config(Config::new().max_entries(10)).unwrap();
    /// assert!(format!("{:?}", q.config()).contains("max_entries: Some(10)"));
    /// assert_eq!(Engine::<u32>::with_config(Config::new().max_entries(0)).unwrap_err().code(), "INVALID_CONFIG");
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] (code `INVALID_CONFIG`) if a setting is out of range (see
    /// [`Config::check`]).
    pub fn with_config(config: Config<V>) -> Result<Self, ConfigError> {
        config.check()?;
        let mut e = Self::new();
        e.bounded = config.bounded();
        e.weighs = config.max_bytes.is_some() || config.key_max_bytes.is_some();
        e.key_bounded = config.key_bounded();
        e.config = config;
        Ok(e)
    }

    /// The configuration.
    ///
    /// ```
    /// use lindy::queue::{Config, Engine};
    /// let q: Engine<u32> = Engine::with_config(Config::new().key_max_entries(3)).unwrap();
    /// assert!(format!("{:?}", q.config()).contains("key_max_entries: Some(3)"));
    /// ```
    pub fn config(&self) -> &Config<V> {
        &self.config
    }

    /// The lease length of a leased take that names none.
    ///
    /// ```
    /// use lindy::queue::{Config, Engine, DEFAULT_LEASE_MS};
    /// assert_eq!(Engine::<u32>::new().config_default_lease_ms(), DEFAULT_LEASE_MS);
    /// let q: Engine<u32> = Engine::with_config(Config::new().default_lease_ms(500)).unwrap();
    /// assert_eq!(q.config_default_lease_ms(), 500);
    /// ```
    pub fn config_default_lease_ms(&self) -> u64 {
        self.config.default_lease_ms
    }

    // ------------------------------------------------------------------ observing

    /// Entries queued under `key` (leased ones not counted).
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// assert_eq!((q.len("k"), q.len("other")), (1, 0));
    /// ```
    pub fn len(&self, key: &str) -> usize {
        self.keys
            .hash(key)
            .and_then(|h| self.keys.find(h, key))
            .map_or(0, |q| q.entries.len())
    }

    /// Entries queued across all keys. O(1).
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("a", 1).unwrap();
    /// q.try_push("b", 2).unwrap();
    /// assert_eq!(q.total_len(), 2);
    /// ```
    pub fn total_len(&self) -> usize {
        self.queued
    }

    /// Entries out on a lease.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// q.try_take_leased("k", None, 0).unwrap();
    /// assert_eq!((q.leased_len(), q.total_len()), (1, 0));
    /// ```
    pub fn leased_len(&self) -> usize {
        self.in_flight
    }

    /// Weight of the queued and leased entries (0 unless a byte bound is set).
    ///
    /// ```
    /// use lindy::queue::{Config, Engine};
    /// let config = Config::new().max_bytes(100).weigher(|v: &Vec<u8>| v.len());
    /// let mut q = Engine::<Vec<u8>>::with_config(config).unwrap();
    /// q.try_push("k", vec![0; 30]).unwrap();
    /// assert_eq!(q.bytes(), 30);
    /// ```
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether nothing is queued and nothing is leased.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// q.try_take_leased("k", None, 0).unwrap();
    /// assert!(!q.is_empty()); // a leased entry still counts
    /// ```
    pub fn is_empty(&self) -> bool {
        self.queued == 0 && self.in_flight == 0
    }

    /// The keys holding at least one queued entry, in no particular order.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// assert_eq!(q.keys().collect::<Vec<_>>(), ["k"]);
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.keys
            .iter()
            .filter(|q| !q.entries.is_empty())
            .map(|q| q.key.as_str())
    }

    /// Keys present (holding entries, waiters or bounded in-flight leases).
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.take_or_wait("waited-on", ()).unwrap();
    /// assert_eq!(q.key_count(), 1); // a waiter keeps its key
    /// ```
    pub fn key_count(&self) -> usize {
        self.keys.live_len()
    }

    /// Waiter records in use (waiting, or ready and not yet claimed).
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.take_or_wait("k", ()).unwrap();
    /// assert_eq!(q.waiter_count(), 1);
    /// ```
    pub fn waiter_count(&self) -> usize {
        self.waiters.len()
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.close();
    /// assert!(q.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Releases every byte the present keys do not need.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// (0..100).for_each(|i| { q.try_push(&i.to_string(), i).unwrap(); });
    /// (0..100).for_each(|i| { q.try_take(&i.to_string()).unwrap(); });
    /// q.shrink_to_fit();
    /// assert_eq!(q.key_count(), 0);
    /// ```
    pub fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
        self.ready.shrink_to_fit();
        self.leases.shrink_to_fit();
    }

    // ------------------------------------------------------------------ producing

    /// Appends `value` under `key`: handed straight to the oldest waiting taker of the key (key
    /// or pattern taker), or queued. Every waiting reader of the key gets a clone either way.
    ///
    /// ```
    /// use lindy::queue::{Config, Engine, PushError};
    /// let mut q: Engine<u32> = Engine::with_config(Config::new().max_entries(1)).unwrap();
    /// q.try_push("k", 1).unwrap();
    /// assert_eq!(q.try_push("k", 2), Err(PushError::Full(2))); // handed back
    /// q.close();
    /// assert_eq!(q.try_push("k", 3), Err(PushError::Closed(3)));
    /// ```
    ///
    /// # Errors
    /// The value is handed back: [`PushError::Closed`] after [`close`](Self::close),
    /// [`PushError::Full`] under a bound (or while a producer of this key waits for room: first
    /// come, first served), [`PushError::TooLarge`] above a byte bound.
    #[inline]
    pub fn try_push(&mut self, key: &str, value: V) -> Result<Outcome, PushError<V>> {
        let hash = self.keys.seeded_hash(key);
        self.try_push_hashed(hash, key, value)
    }

    /// The hash of `key` in this engine's key table, seeding the table's hasher on first use.
    /// It never changes for the engine's life, so a key handle ([`crate::space::Key`]) computes
    /// it once and passes it to the `*_hashed` entry points, which skip hashing the key again.
    ///
    /// Crate-private on purpose: a hash from another engine (another seed) would file the key
    /// under the wrong bucket. A key handle borrows its space, so its hash is always this
    /// engine's.
    #[inline]
    pub(crate) fn key_hash(&mut self, key: &str) -> u64 {
        self.keys.seeded_hash(key)
    }

    /// [`try_push`](Self::try_push) with `key`'s [`key_hash`](Self::key_hash).
    #[inline]
    pub(crate) fn try_push_hashed(
        &mut self,
        hash: u64,
        key: &str,
        value: V,
    ) -> Result<Outcome, PushError<V>> {
        debug_assert_eq!(
            self.keys.hash(key),
            Some(hash),
            "a key hash from another engine"
        );
        if self.closed {
            return Err(PushError::Closed(value));
        }
        if !self.producers.is_empty() && self.producer_waits_for(key) {
            return Err(PushError::Full(value));
        }
        let entry = Entry {
            stamp: self.fresh_stamp(),
            deliveries: 0,
            value,
        };
        self.place_hashed(hash, key, entry, At::Back, true)
            .map_err(|(r, e)| refused(r, e.value))
    }

    /// Renamed [`try_push`](Self::try_push).
    #[deprecated(since = "0.2.0", note = "renamed to `try_push`")]
    pub fn out(&mut self, key: &str, value: V) -> Result<Outcome, PushError<V>> {
        self.try_push(key, value)
    }

    /// Puts `value` at the *head* of `key` (it is the next one taken). It takes the age of the
    /// head it goes in front of (a fresh stamp on an empty key); to put back an entry with its own
    /// age and delivery count, use [`put_back`](Self::put_back). O(1).
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// q.push_front("k", 0).unwrap();
    /// assert_eq!(q.try_take("k").unwrap().value, 0);
    /// ```
    ///
    /// # Errors
    /// As [`try_push`](Self::try_push).
    pub fn push_front(&mut self, key: &str, value: V) -> Result<Outcome, PushError<V>> {
        if self.closed {
            return Err(PushError::Closed(value));
        }
        if !self.producers.is_empty() && self.producer_waits_for(key) {
            return Err(PushError::Full(value));
        }
        let head = self
            .keys
            .hash(key)
            .and_then(|h| self.keys.find(h, key))
            .and_then(|q| q.entries.front())
            .map(|e| e.stamp);
        let stamp = match head {
            Some(s) => s,
            None => self.fresh_stamp(),
        };
        let entry = Entry {
            stamp,
            deliveries: 0,
            value,
        };
        self.place(key, entry, At::Front, true)
            .map_err(|(r, e)| refused(r, e.value))
    }

    /// Renamed [`push_front`](Self::push_front).
    #[deprecated(since = "0.2.0", note = "renamed to `push_front`")]
    pub fn out_front(&mut self, key: &str, value: V) -> Result<Outcome, PushError<V>> {
        self.push_front(key, value)
    }

    /// Puts a taken entry back at the head of `key`, keeping its age and delivery count: as if it
    /// had never been taken. O(1).
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// q.try_push("k", 2).unwrap();
    /// let first = q.try_take("k").unwrap();
    /// q.put_back("k", first).unwrap();
    /// assert_eq!(q.try_take("k").unwrap().value, 1); // back at the head
    /// ```
    ///
    /// # Errors
    /// As [`try_push`](Self::try_push), handing the whole [`Taken`] back.
    pub fn put_back(&mut self, key: &str, taken: Taken<V>) -> Result<Outcome, PushError<Taken<V>>> {
        if self.closed {
            return Err(PushError::Closed(taken));
        }
        if !self.producers.is_empty() && self.producer_waits_for(key) {
            return Err(PushError::Full(taken));
        }
        let entry = Entry {
            stamp: taken.stamp.0,
            deliveries: taken.deliveries,
            value: taken.value,
        };
        self.place(key, entry, At::Age, true)
            .map_err(|(r, e)| refused(r, taken_of(e)))
    }

    /// Appends an entry with its own age and delivery count at the back of `key`: how a durable
    /// backend rebuilds its queues on open, replaying them oldest first. Later stamps are issued
    /// above it. Bounds are not applied (refusing would lose stored data; a store reopened with a
    /// smaller bound drains down to it), nor is the close rule (a durable backend opens open).
    /// O(1).
    ///
    /// ```
    /// use lindy::queue::{Engine, Stamp, Taken};
    /// let mut q: Engine<u32> = Engine::new();
    /// q.restore("k", Taken { value: 1, stamp: Stamp::from_u64(41), deliveries: 2 });
    /// q.try_push("k", 2).unwrap(); // stamped after the restored entry
    /// let t = q.try_take("k").unwrap();
    /// assert_eq!((t.value, t.stamp.as_u64(), t.deliveries), (1, 41, 2));
    /// assert!(q.try_take("k").unwrap().stamp.as_u64() > 41);
    /// ```
    pub fn restore(&mut self, key: &str, taken: Taken<V>) -> Outcome {
        self.next_stamp = self.next_stamp.max(taken.stamp.0.saturating_add(1));
        let entry = Entry {
            stamp: taken.stamp.0,
            deliveries: taken.deliveries,
            value: taken.value,
        };
        match self.place(key, entry, At::Back, false) {
            Ok(o) => o,
            Err(_) => Outcome::Queued, // unchecked: not reached
        }
    }

    /// Appends `value` under `key`, or, if there is no room, keeps it and registers the producer
    /// to wait for room (the waiting form of [`try_push`](Self::try_push): back-pressure). Producers of a
    /// key are let in first come, first served: when room frees (or a taker waits for the key),
    /// the oldest waiting producer is *admitted* — the room is reserved for it — and reported by
    /// [`take_ready`](Self::take_ready). Its value goes in when it [`claim`](Self::claim)s
    /// ([`Claim::Stored`]); [`cancel`](Self::cancel) before that hands the value back and puts
    /// nothing in (the reserved room goes to the next producer). So, as with tokio's `send`, the
    /// value is in exactly when the producer saw `Stored`.
    ///
    /// ```
    /// use lindy::queue::{Claim, Config, Engine, PushOrWait};
    /// let mut q: Engine<u32> = Engine::with_config(Config::new().max_entries(1)).unwrap();
    /// q.try_push("k", 1).unwrap();
    /// let Ok(PushOrWait::Waiting(id)) = q.push_or_wait("k", 2, ()) else { unreachable!() };
    /// q.try_take("k").unwrap(); // room: the producer is admitted…
    /// assert_eq!(q.take_ready(), Some((id, ())));
    /// assert_eq!(q.claim(id), Claim::Stored); // …and its value goes in as it claims
    /// assert_eq!(q.try_take("k").unwrap().value, 2);
    /// ```
    ///
    /// # Errors
    /// [`PushError::Closed`] or [`PushError::TooLarge`], value handed back (waiting could not help).
    pub fn push_or_wait(
        &mut self,
        key: &str,
        value: V,
        payload: W,
    ) -> Result<PushOrWait, PushError<V>> {
        if self.closed {
            return Err(PushError::Closed(value));
        }
        let ahead = !self.producers.is_empty() && self.producer_waits_for(key);
        let value = if ahead {
            if let Some(Refusal::TooLarge) = self.too_large(key, &value) {
                return Err(PushError::TooLarge(value));
            }
            value
        } else {
            let entry = Entry {
                stamp: self.fresh_stamp(),
                deliveries: 0,
                value,
            };
            match self.place(key, entry, At::Back, true) {
                Ok(outcome) => return Ok(PushOrWait::Done(outcome)),
                Err((Refusal::TooLarge, e)) => return Err(PushError::TooLarge(e.value)),
                Err((Refusal::Full, e)) => e.value,
            }
        };
        let ticket = self.fresh_ticket();
        let id = self.waiters.alloc(
            ticket,
            Kind::Out {
                key: CompactString::from(key),
                front: false,
            },
            payload,
        );
        self.waiters.at_mut(id.index()).value = Some(value);
        let mut list = self.producers;
        self.waiters.push_back(&mut list, id.index());
        self.producers = list;
        Ok(PushOrWait::Waiting(id))
    }

    /// Renamed [`push_or_wait`](Self::push_or_wait).
    #[deprecated(since = "0.2.0", note = "renamed to `push_or_wait`")]
    pub fn out_or_wait(
        &mut self,
        key: &str,
        value: V,
        payload: W,
    ) -> Result<PushOrWait, PushError<V>> {
        self.push_or_wait(key, value, payload)
    }

    // ------------------------------------------------------------------ taking

    /// Takes the head entry of `key`. Serves after [`close`](Self::close) too, until the key is
    /// empty (the close rule: takes drain).
    ///
    /// ```
    /// use lindy::queue::{Engine, TryTakeError};
    /// let mut q: Engine<u32> = Engine::new();
    /// assert_eq!(q.try_take("k").unwrap_err(), TryTakeError::Empty);
    /// q.try_push("k", 1).unwrap();
    /// q.close();
    /// assert_eq!(q.try_take("k").unwrap().value, 1); // drains after close
    /// assert_eq!(q.try_take("k").unwrap_err(), TryTakeError::Closed);
    /// ```
    ///
    /// # Errors
    /// [`TryTakeError::Empty`], or [`TryTakeError::Closed`] when closed and nothing is queued.
    #[inline]
    pub fn try_take(&mut self, key: &str) -> Result<Taken<V>, TryTakeError> {
        match self.pop(key) {
            Some(e) => Ok(taken_of(e)),
            None => Err(self.empty()),
        }
    }

    /// [`try_take`](Self::try_take) with `key`'s [`key_hash`](Self::key_hash).
    #[inline]
    pub(crate) fn try_take_hashed(
        &mut self,
        hash: u64,
        key: &str,
    ) -> Result<Taken<V>, TryTakeError> {
        match self.pop_hashed(hash, key) {
            Some(e) => Ok(taken_of(e)),
            None => Err(self.empty()),
        }
    }

    /// [`len`](Self::len) with `key`'s [`key_hash`](Self::key_hash).
    #[inline]
    pub(crate) fn len_hashed(&self, hash: u64, key: &str) -> usize {
        debug_assert_eq!(
            self.keys.hash(key),
            Some(hash),
            "a key hash from another engine"
        );
        self.keys.find(hash, key).map_or(0, |q| q.entries.len())
    }

    /// Takes the oldest entry (smallest [`Stamp`] among the heads) of the keys that are channel
    /// names matching `pattern`. O(keys). Serves after close too. Heads of equal age (an
    /// [`out_front`](Self::out_front) takes its head's age) are served in no particular order.
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("public:jobs.b", 1).unwrap();
    /// q.try_push("public:jobs.a", 2).unwrap();
    /// let (key, t) = q.try_take_matching(&Pattern::parse("public:jobs.*").unwrap()).unwrap();
    /// assert_eq!((key.as_str(), t.value), ("public:jobs.b", 1)); // the oldest head
    /// ```
    ///
    /// # Errors
    /// As [`try_take`](Self::try_take).
    pub fn try_take_matching(
        &mut self,
        pattern: &Pattern,
    ) -> Result<(Name, Taken<V>), TryTakeError> {
        let Some(key) = self.oldest_matching_key(pattern) else {
            return Err(self.empty());
        };
        let name = match NameRef::parse(&key) {
            Ok(n) => n.to_owned(),
            Err(_) => return Err(self.empty()), // only names match: not reached
        };
        match self.pop(&key) {
            Some(e) => Ok((name, taken_of(e))),
            None => Err(self.empty()),
        }
    }

    /// The head entry of `key`, left in place. Serves after close too.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// assert_eq!(q.try_peek("k"), Ok(&1));
    /// assert_eq!(q.len("k"), 1);
    /// ```
    ///
    /// # Errors
    /// As [`try_take`](Self::try_take).
    pub fn try_peek(&self, key: &str) -> Result<&V, TryTakeError> {
        self.keys
            .hash(key)
            .and_then(|h| self.keys.find(h, key))
            .and_then(|q| q.entries.front())
            .map(|e| &e.value)
            .ok_or_else(|| self.empty())
    }

    /// Renamed [`try_peek`](Self::try_peek).
    #[deprecated(since = "0.2.0", note = "renamed to `try_peek`")]
    pub fn try_read(&self, key: &str) -> Result<&V, TryTakeError> {
        self.try_peek(key)
    }

    /// Takes the head of `key`, or registers a waiting taker (see [`TakeOrWait`]).
    ///
    /// ```
    /// use lindy::queue::{Claim, Engine, TakeOrWait};
    /// let mut q: Engine<u32, &str> = Engine::new();
    /// let Ok(TakeOrWait::Waiting(id)) = q.take_or_wait("k", "waker of task 1") else { unreachable!() };
    /// q.try_push("k", 7).unwrap();
    /// assert_eq!(q.take_ready(), Some((id, "waker of task 1"))); // wake it
    /// assert!(matches!(q.claim(id), Claim::Taken(t) if t.value == 7));
    /// ```
    ///
    /// # Errors
    /// [`TryTakeError::Closed`] when closed and nothing is queued (it never returns `Empty`).
    pub fn take_or_wait(&mut self, key: &str, payload: W) -> Result<TakeOrWait<V>, TryTakeError> {
        self.take_or_wait_with(key, || payload)
    }

    /// [`take_or_wait`](Self::take_or_wait), making the payload only if the taker has to wait
    /// (a driver's waker clone is skipped when an entry is there). One key lookup either way.
    ///
    /// ```
    /// use lindy::queue::{Engine, TakeOrWait};
    /// let mut q: Engine<u32, String> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// // The payload is built only if the taker has to wait.
    /// let r = q.take_or_wait_with("k", || unreachable!("an entry is there"));
    /// assert!(matches!(r, Ok(TakeOrWait::Taken(t)) if t.value == 1));
    /// ```
    ///
    /// # Errors
    /// As [`take_or_wait`](Self::take_or_wait).
    #[inline]
    pub fn take_or_wait_with(
        &mut self,
        key: &str,
        payload: impl FnOnce() -> W,
    ) -> Result<TakeOrWait<V>, TryTakeError> {
        let hash = self.keys.seeded_hash(key);
        self.take_or_wait_with_hashed(hash, key, payload)
    }

    /// [`take_or_wait_with`](Self::take_or_wait_with) with `key`'s
    /// [`key_hash`](Self::key_hash).
    #[inline]
    pub(crate) fn take_or_wait_with_hashed(
        &mut self,
        hash: u64,
        key: &str,
        payload: impl FnOnce() -> W,
    ) -> Result<TakeOrWait<V>, TryTakeError> {
        debug_assert_eq!(
            self.keys.hash(key),
            Some(hash),
            "a key hash from another engine"
        );
        let Engine {
            keys,
            waiters,
            queued,
            bounded,
            weighs,
            key_bounded,
            bytes,
            config,
            closed,
            next_ticket,
            ..
        } = self;
        let mut o = keys.get_or_insert(hash, key);
        let q = o.get_mut();
        if let Some(entry) = q.entries.pop_front() {
            *queued -= 1;
            if *bounded {
                unweigh(config, *weighs, *key_bounded, bytes, q, &entry.value);
            }
            if q.is_idle() {
                keys.idled(hash);
            }
            if !self.producers.is_empty() {
                self.admit_producers();
            }
            return Ok(TakeOrWait::Taken(taken_of(entry)));
        }
        if *closed {
            if q.is_idle() {
                keys.idled(hash);
            }
            return Err(TryTakeError::Closed);
        }
        let ticket = *next_ticket;
        *next_ticket += 1;
        let id = waiters.alloc(
            ticket,
            Kind::Take {
                key: q.key.clone(),
                hash,
            },
            payload(),
        );
        waiters.push_back(&mut q.side().takers, id.index());
        self.after_new_taker();
        Ok(TakeOrWait::Waiting(id))
    }

    /// Takes the oldest entry of the keys matching `pattern`, or registers a waiting pattern
    /// taker. A waiting pattern taker is served by arrival together with the key takers of every
    /// key it matches.
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    /// use lindy::queue::{Claim, Engine, MatchOrWait};
    /// let mut q: Engine<u32> = Engine::new();
    /// let p = Pattern::parse("public:jobs.*").unwrap();
    /// let Ok(MatchOrWait::Waiting(id)) = q.take_matching_or_wait(&p, ()) else { unreachable!() };
    /// q.try_push("public:jobs.a", 1).unwrap();
    /// assert!(matches!(q.claim(id), Claim::Matched(k, t) if k.as_str() == "public:jobs.a" && t.value == 1));
    /// ```
    ///
    /// # Errors
    /// [`TryTakeError::Closed`] when closed and nothing matching is queued.
    pub fn take_matching_or_wait(
        &mut self,
        pattern: &Pattern,
        payload: W,
    ) -> Result<MatchOrWait<V>, TryTakeError> {
        match self.try_take_matching(pattern) {
            Ok((n, t)) => return Ok(MatchOrWait::Taken(n, t)),
            Err(TryTakeError::Closed) => return Err(TryTakeError::Closed),
            Err(TryTakeError::Empty) => {}
        }
        let ticket = self.fresh_ticket();
        let id = self
            .waiters
            .alloc(ticket, Kind::TakeMatching { sub: None }, payload);
        let sub = self
            .patterns
            .get_or_insert_with(new_pattern_takers)
            .insert(pattern, (ticket, id.index()));
        if let Kind::TakeMatching { sub: s } = &mut self.waiters.at_mut(id.index()).kind {
            *s = Some(sub);
        }
        let mut list = self.pattern_takers;
        self.waiters.push_back(&mut list, id.index());
        self.pattern_takers = list;
        self.after_new_taker();
        Ok(MatchOrWait::Waiting(id))
    }

    // ------------------------------------------------------------------ waiters

    /// The next waiter made ready (handed an entry, a clone, room, or closed) and its payload:
    /// wake it, then it [`claim`](Self::claim)s. Drain this after every mutating call.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32, char> = Engine::new();
    /// q.take_or_wait("k", 'w').unwrap();
    /// assert_eq!(q.take_ready(), None);
    /// q.try_push("k", 1).unwrap();
    /// assert!(matches!(q.take_ready(), Some((_, 'w'))));
    /// ```
    #[inline]
    pub fn take_ready(&mut self) -> Option<(WaiterId, W)> {
        let next = self.ready.pop_front();
        if next.is_none() && self.ready.capacity() > 64 {
            self.ready = VecDeque::new(); // drained after a burst (a close): give it back
        }
        next
    }

    /// Renamed [`take_ready`](Self::take_ready).
    #[deprecated(since = "0.2.0", note = "renamed to `take_ready`")]
    pub fn pop_ready(&mut self) -> Option<(WaiterId, W)> {
        self.take_ready()
    }

    /// Whether a waiter is ready and not yet reported by [`take_ready`](Self::take_ready).
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.take_or_wait("k", ()).unwrap();
    /// q.try_push("k", 1).unwrap();
    /// assert!(q.has_ready());
    /// ```
    #[inline]
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The payload of a waiter still waiting (to refresh a waker).
    ///
    /// ```
    /// use lindy::queue::{Engine, TakeOrWait};
    /// let mut q: Engine<u32, u8> = Engine::new();
    /// let Ok(TakeOrWait::Waiting(id)) = q.take_or_wait("k", 1) else { unreachable!() };
    /// *q.payload_mut(id).unwrap() = 2; // a newer waker
    /// q.try_push("k", 1).unwrap();
    /// assert_eq!(q.take_ready(), Some((id, 2)));
    /// ```
    pub fn payload_mut(&mut self, id: WaiterId) -> Option<&mut W> {
        match &mut self.waiters.get_mut(id)?.state {
            State::Waiting { payload, .. } => Some(payload),
            _ => None,
        }
    }

    /// Whether `id` names a waiter that is still waiting.
    ///
    /// ```
    /// use lindy::queue::{Engine, TakeOrWait};
    /// let mut q: Engine<u32> = Engine::new();
    /// let Ok(TakeOrWait::Waiting(id)) = q.take_or_wait("k", ()) else { unreachable!() };
    /// assert!(q.is_waiting(id));
    /// q.try_push("k", 1).unwrap();
    /// assert!(!q.is_waiting(id)); // handed its entry
    /// ```
    pub fn is_waiting(&self, id: WaiterId) -> bool {
        matches!(
            self.waiters.get(id).map(|b| &b.state),
            Some(State::Waiting { .. })
        )
    }

    /// Collects what waiter `id` was given, freeing the id ([`Claim::Pending`] keeps it).
    ///
    /// ```
    /// use lindy::queue::{Claim, Engine, TakeOrWait};
    /// let mut q: Engine<u32> = Engine::new();
    /// let Ok(TakeOrWait::Waiting(id)) = q.take_or_wait("k", ()) else { unreachable!() };
    /// q.close();
    /// assert_eq!(q.claim(id), Claim::Closed);
    /// ```
    pub fn claim(&mut self, id: WaiterId) -> Claim<V> {
        match self.waiters.get(id).map(|b| &b.state) {
            None => return Claim::Unknown,
            Some(State::Waiting { .. }) => return Claim::Pending,
            Some(_) => {}
        }
        let Some(b) = self.waiters.free(id) else {
            return Claim::Unknown;
        };
        if let State::Admitted { counted } = b.state {
            return self.claim_admitted(b.kind, b.value, counted);
        }
        match b.state {
            State::Taken { entry, key: None } => Claim::Taken(taken_of(entry)),
            State::Taken {
                entry,
                key: Some(key),
            } => match NameRef::parse(&key) {
                Ok(name) => Claim::Matched(name.to_owned(), taken_of(entry)),
                Err(_) => Claim::Taken(taken_of(entry)), // only names match: not reached
            },
            State::Read(v) => Claim::Read(v),
            State::Admitted { .. } => Claim::Stored, // handled above
            State::Closed => match b.value {
                Some(v) => Claim::Refused(v),
                None => Claim::Closed,
            },
            State::Waiting { .. } => Claim::Pending, // checked above
        }
    }

    /// Cancels waiter `id` (its future was dropped, its JS promise abandoned). Cancel-safe in
    /// every state: a waiting waiter leaves its queue; a taker that had been handed an entry gives
    /// it back to the head of its key with its age (which hands it on to the next waiter, if
    /// any); a producer gets its value back. Returns a value the driver now owns (a producer's
    /// value, a reader's unclaimed clone), to drop outside any lock. Unknown ids are ignored.
    ///
    /// ```
    /// use lindy::queue::{Engine, Outcome, TakeOrWait};
    /// let mut q: Engine<u32> = Engine::new();
    /// let Ok(TakeOrWait::Waiting(a)) = q.take_or_wait("k", ()) else { unreachable!() };
    /// let Ok(TakeOrWait::Waiting(b)) = q.take_or_wait("k", ()) else { unreachable!() };
    /// assert_eq!(q.try_push("k", 1), Ok(Outcome::Delivered(a)));
    /// q.cancel(a); // `a` was dropped after it was handed the entry…
    /// assert!(!q.is_waiting(b)); // …which went on to `b`
    /// ```
    pub fn cancel(&mut self, id: WaiterId) -> Option<V> {
        let waiting = matches!(self.waiters.get(id)?.state, State::Waiting { .. });
        if waiting {
            self.unlink_waiting(id.index());
        }
        let b = self.waiters.free(id)?;
        match b.state {
            State::Taken { entry, key } => {
                let key = match (key, &b.kind) {
                    (Some(k), _) => k,
                    (None, Kind::Take { key, .. }) => key.clone(),
                    (None, _) => return Some(entry.value), // not reached
                };
                // It was handed out first, so it is the oldest of its key: back to the head.
                let _ = self.place(&key, entry, At::Age, false);
                self.admit_producers();
                None
            }
            State::Read(v) => Some(v),
            State::Admitted { counted } => {
                if let (true, Kind::Out { key, .. }, Some(v)) = (counted, &b.kind, &b.value) {
                    let w = if self.weighs { self.weigh(v) } else { 0 };
                    self.unreserve(key, w);
                    self.admit_producers();
                }
                b.value
            }
            _ => b.value,
        }
    }

    /// A producer admitted while it waited claims: its reservation becomes its entry (or, after
    /// close, its value comes back).
    fn claim_admitted(&mut self, kind: Kind<V>, value: Option<V>, counted: bool) -> Claim<V> {
        let (Kind::Out { key, front }, Some(value)) = (kind, value) else {
            return Claim::Unknown; // not reached: only producers are admitted
        };
        if counted {
            let w = if self.weighs { self.weigh(&value) } else { 0 };
            self.unreserve(&key, w);
        }
        if self.closed {
            self.admit_producers();
            return Claim::Refused(value);
        }
        let entry = Entry {
            stamp: self.fresh_stamp(),
            deliveries: 0,
            value,
        };
        let at = if front { At::Front } else { At::Back };
        // Unchecked: the room was reserved for it (or a taker waits for it).
        let _ = self.place(&key, entry, at, false);
        Claim::Stored
    }

    /// Gives back the room reserved for an admitted producer's value of weight `w`.
    fn unreserve(&mut self, key: &str, w: usize) {
        self.reserved -= 1;
        self.bytes -= w;
        self.release_key_share(key, w);
    }

    /// Gives back `key`'s share of the per-key bounds for one in-flight entry of weight `w`
    /// (a reserved producer's value, or a leased entry), and idles the key if that was its last.
    pub(super) fn release_key_share(&mut self, key: &str, w: usize) {
        if !self.key_bounded {
            return;
        }
        if let Some(hash) = self.keys.hash(key) {
            if let Some(mut o) = self.keys.find_entry(hash, key) {
                let q = o.get_mut();
                let side = q.side();
                side.in_flight -= 1;
                side.bytes -= w;
                if q.is_idle() {
                    self.keys.idled(hash);
                }
            }
        }
    }

    // ------------------------------------------------------------------ close

    /// Closes the engine (idempotent): every later `out` is refused with its value handed back;
    /// takes drain what is queued, then report closed; every waiter ends now — takers and readers
    /// with [`Claim::Closed`] (nothing is queued for a waiting taker, or it would have been handed
    /// the entry), producers with [`Claim::Refused`] and their value. Leases still settle and
    /// expire; a returned entry is queued, for draining.
    ///
    /// ```
    /// use lindy::queue::{Claim, Engine, TakeOrWait};
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// q.close();
    /// assert!(q.try_push("k", 2).is_err());
    /// assert_eq!(q.try_take("k").unwrap().value, 1); // drains
    /// let Err(e) = q.take_or_wait("k", ()) else { unreachable!() };
    /// assert_eq!(e.code(), "CLOSED");
    /// ```
    pub fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        let Engine {
            keys,
            waiters,
            ready,
            ..
        } = self;
        for q in keys.iter_mut() {
            if let Some(side) = q.side.as_deref_mut() {
                for list in [&mut side.takers, &mut side.readers] {
                    while let Some(i) = waiters.pop_front(list) {
                        if let Some(p) = waiters.settle(i, State::Closed) {
                            ready.push_back((waiters.id_of(i), p));
                        }
                    }
                }
            }
        }
        self.keys.drop_idle();
        let mut list = self.pattern_takers;
        while let Some(i) = self.waiters.pop_front(&mut list) {
            if let Kind::TakeMatching { sub: Some(sub) } = self.waiters.at(i).kind {
                if let Some(p) = self.patterns.as_deref_mut() {
                    p.remove(sub);
                }
            }
            if let Some(p) = self.waiters.settle(i, State::Closed) {
                self.ready.push_back((self.waiters.id_of(i), p));
            }
        }
        self.pattern_takers = list;
        self.patterns = None;
        let mut list = self.producers;
        while let Some(i) = self.waiters.pop_front(&mut list) {
            if let Some(p) = self.waiters.settle(i, State::Closed) {
                self.ready.push_back((self.waiters.id_of(i), p));
            }
        }
        self.producers = list;
    }

    // ------------------------------------------------------------------ internals

    #[inline]
    pub(super) fn fresh_stamp(&mut self) -> u64 {
        let s = self.next_stamp;
        self.next_stamp += 1;
        s
    }

    fn fresh_ticket(&mut self) -> u64 {
        let t = self.next_ticket;
        self.next_ticket += 1;
        t
    }

    pub(super) fn empty(&self) -> TryTakeError {
        if self.closed {
            TryTakeError::Closed
        } else {
            TryTakeError::Empty
        }
    }

    pub(super) fn weigh(&self, v: &V) -> usize {
        match self.config.weigher {
            Some(f) if self.weighs => f(v),
            _ => 0,
        }
    }

    /// Whether a producer of `key` waits for room (a new `out` of `key` must queue behind it).
    fn producer_waits_for(&self, key: &str) -> bool {
        let mut i = self.producers.head;
        while i != NIL {
            if let Kind::Out { key: k, .. } = &self.waiters.at(i).kind {
                if k == key {
                    return true;
                }
            }
            i = self.waiters.next_of(i);
        }
        false
    }

    fn too_large(&self, _key: &str, v: &V) -> Option<Refusal> {
        if !self.weighs {
            return None;
        }
        let w = self.weigh(v);
        let over = |bound: Option<usize>| bound.is_some_and(|m| w > m);
        (over(self.config.max_bytes) || over(self.config.key_max_bytes))
            .then_some(Refusal::TooLarge)
    }

    /// Hands `entry` for `key` to the oldest eligible waiting taker, else queues it at the head
    /// (`front`) or the back — after `check`ing the bounds if asked. Every waiting reader of the
    /// key gets a clone either way. No closed check (callers decide).
    #[inline]
    pub(super) fn place(
        &mut self,
        key: &str,
        entry: Entry<V>,
        at: At,
        check: bool,
    ) -> Result<Outcome, (Refusal, Entry<V>)> {
        let hash = self.keys.seeded_hash(key);
        self.place_hashed(hash, key, entry, at, check)
    }

    /// [`place`](Self::place) with `key`'s [`key_hash`](Self::key_hash).
    #[inline]
    fn place_hashed(
        &mut self,
        hash: u64,
        key: &str,
        entry: Entry<V>,
        at: At,
        check: bool,
    ) -> Result<Outcome, (Refusal, Entry<V>)> {
        let weight = if self.weighs {
            self.weigh(&entry.value)
        } else {
            0
        };
        let Engine {
            keys,
            patterns,
            waiters,
            ready,
            config,
            bounded,
            key_bounded,
            bytes,
            queued,
            in_flight,
            reserved,
            pattern_takers,
            ..
        } = self;
        let mut o = keys.get_or_insert(hash, key);
        let q = o.get_mut();
        // The common case first: no taker or reader on the key, no pattern taker, no bound.
        if q.side.is_none() && patterns.is_none() && !*bounded {
            *queued += 1;
            match at {
                At::Back => q.entries.push_back(entry),
                At::Front => q.entries.push_front(entry),
                At::Age => place_by_age(&mut q.entries, entry),
            }
            return Ok(Outcome::Queued);
        }
        let target = if q.side.is_some() || patterns.is_some() {
            pick_taker(q, patterns.as_deref(), waiters)
        } else {
            None
        };
        if target.is_none() && check && *bounded {
            if let Some(r) = fits(config, *queued + *in_flight + *reserved, *bytes, q, weight) {
                if q.is_idle() {
                    keys.idled(hash);
                }
                return Err((r, entry));
            }
        }
        if let Some(side) = q.side.as_deref_mut() {
            if !side.readers.is_empty() {
                notify_readers(&mut side.readers, waiters, ready, &entry.value);
            }
        }
        match target {
            Some(i) => {
                let id = waiters.id_of(i);
                let pattern_key = match &waiters.at(i).kind {
                    Kind::TakeMatching { sub } => {
                        let sub = *sub;
                        waiters.unlink(pattern_takers, i);
                        if let (Some(p), Some(sub)) = (patterns.as_deref_mut(), sub) {
                            if p.remove(sub) {
                                *patterns = None;
                            }
                        }
                        Some(q.key.clone())
                    }
                    _ => {
                        if let Some(side) = q.side.as_deref_mut() {
                            waiters.unlink(&mut side.takers, i);
                        }
                        None
                    }
                };
                if let Some(p) = waiters.settle(
                    i,
                    State::Taken {
                        entry,
                        key: pattern_key,
                    },
                ) {
                    ready.push_back((id, p));
                }
                if q.is_idle() {
                    keys.idled(hash);
                }
                Ok(Outcome::Delivered(id))
            }
            None => {
                *queued += 1;
                if *bounded {
                    *bytes += weight;
                    if *key_bounded && weight > 0 {
                        q.side().bytes += weight;
                    }
                }
                match at {
                    At::Back => q.entries.push_back(entry),
                    At::Front => q.entries.push_front(entry),
                    At::Age => place_by_age(&mut q.entries, entry),
                }
                Ok(Outcome::Queued)
            }
        }
    }

    /// Pops the head of `key`, with its accounting and idle bookkeeping.
    #[inline]
    fn pop(&mut self, key: &str) -> Option<Entry<V>> {
        let hash = self.keys.hash(key)?;
        self.pop_hashed(hash, key)
    }

    /// [`pop`](Self::pop) with `key`'s [`key_hash`](Self::key_hash).
    #[inline]
    fn pop_hashed(&mut self, hash: u64, key: &str) -> Option<Entry<V>> {
        debug_assert_eq!(
            self.keys.hash(key),
            Some(hash),
            "a key hash from another engine"
        );
        let mut o = self.keys.find_entry(hash, key)?;
        let q = o.get_mut();
        let entry = q.entries.pop_front()?;
        self.queued -= 1;
        if self.bounded {
            unweigh(
                &self.config,
                self.weighs,
                self.key_bounded,
                &mut self.bytes,
                q,
                &entry.value,
            );
        }
        if q.is_idle() {
            self.keys.idled(hash);
        }
        if !self.producers.is_empty() {
            self.admit_producers();
        }
        Some(entry)
    }

    /// The key holding the oldest head among the keys matching `pattern`.
    fn oldest_matching_key(&self, pattern: &Pattern) -> Option<CompactString> {
        let mut best: Option<(u64, &str)> = None;
        for q in self.keys.iter() {
            if let Some(head) = q.entries.front() {
                if best.is_none_or(|(s, _)| head.stamp < s) && pattern.matches_str(&q.key) {
                    best = Some((head.stamp, q.key.as_str()));
                }
            }
        }
        best.map(|(_, k)| CompactString::from(k))
    }

    /// A taker was just registered: a producer waiting for room may now hand it its value.
    fn after_new_taker(&mut self) {
        if !self.producers.is_empty() {
            self.admit_producers();
        }
    }

    /// Lets waiting producers in, oldest first, while there is room (or a taker waits for their
    /// key): each is *admitted* — room reserved, reported ready — and its value goes in when it
    /// claims, so a producer dropped in between puts nothing in (tokio's `send` contract).
    pub(super) fn admit_producers(&mut self) {
        let mut i = self.producers.head;
        while i != NIL {
            let next = self.waiters.next_of(i);
            let key = match &self.waiters.at(i).kind {
                Kind::Out { key, .. } => key.clone(),
                _ => break, // not reached: only producers are in this list
            };
            let weight = match &self.waiters.at(i).value {
                Some(v) if self.weighs => self.weigh(v),
                Some(_) => 0,
                None => break, // not reached: a waiting producer holds its value
            };
            let hash = self.keys.seeded_hash(&key);
            let Engine {
                keys,
                patterns,
                waiters,
                config,
                queued,
                in_flight,
                reserved,
                bytes,
                key_bounded,
                ..
            } = self;
            let mut o = keys.get_or_insert(hash, &key);
            let q = o.get_mut();
            let taker_waits = (q.side.is_some() || patterns.is_some())
                && pick_taker(q, patterns.as_deref(), waiters).is_some();
            let admitted = if taker_waits {
                Some(false)
            } else if fits(config, *queued + *in_flight + *reserved, *bytes, q, weight).is_none() {
                *reserved += 1;
                *bytes += weight;
                if *key_bounded {
                    let side = q.side();
                    side.in_flight += 1;
                    side.bytes += weight;
                }
                Some(true)
            } else {
                if q.is_idle() {
                    keys.idled(hash);
                }
                None
            };
            match admitted {
                Some(counted) => {
                    let mut list = self.producers;
                    self.waiters.unlink(&mut list, i);
                    self.producers = list;
                    let id = self.waiters.id_of(i);
                    if let Some(p) = self.waiters.settle(i, State::Admitted { counted }) {
                        self.ready.push_back((id, p));
                    }
                }
                None => {
                    let counted = self.queued + self.in_flight + self.reserved;
                    if self.config.max_entries.is_some_and(|m| counted >= m) {
                        break; // the space is full: nobody behind fits either
                    }
                }
            }
            i = next;
        }
    }

    /// Unlinks waiting record `i` from whichever list holds it.
    fn unlink_waiting(&mut self, i: u32) {
        match &self.waiters.at(i).kind {
            Kind::Take { key, hash } | Kind::Read { key, hash, .. } => {
                let (hash, reader) = (*hash, matches!(self.waiters.at(i).kind, Kind::Read { .. }));
                let key = key.clone();
                if let Some(mut o) = self.keys.find_entry(hash, &key) {
                    let q = o.get_mut();
                    if let Some(side) = q.side.as_deref_mut() {
                        let list = if reader {
                            &mut side.readers
                        } else {
                            &mut side.takers
                        };
                        self.waiters.unlink(list, i);
                    }
                    if q.is_idle() {
                        self.keys.idled(hash);
                    }
                }
            }
            Kind::TakeMatching { sub } => {
                let sub = *sub;
                let mut list = self.pattern_takers;
                self.waiters.unlink(&mut list, i);
                self.pattern_takers = list;
                if let (Some(p), Some(sub)) = (self.patterns.as_deref_mut(), sub) {
                    if p.remove(sub) {
                        self.patterns = None;
                    }
                }
            }
            Kind::Out { .. } => {
                let mut list = self.producers;
                self.waiters.unlink(&mut list, i);
                self.producers = list;
            }
        }
    }
}

impl<V: Clone, W> Engine<V, W> {
    /// A clone of the head of `key`, or registers a waiting reader: the next entry that arrives
    /// for the key (queued or handed to a taker) is cloned for every waiting reader. `V::clone`
    /// runs inside the engine.
    ///
    /// ```
    /// use lindy::queue::{Claim, Engine, PeekOrWait};
    /// let mut q: Engine<u32> = Engine::new();
    /// let Ok(PeekOrWait::Waiting(id)) = q.peek_or_wait("k", ()) else { unreachable!() };
    /// q.try_push("k", 5).unwrap();
    /// assert_eq!(q.claim(id), Claim::Read(5));
    /// assert_eq!(q.len("k"), 1); // a read leaves the entry
    /// ```
    ///
    /// # Errors
    /// [`TryTakeError::Closed`] when closed and nothing is queued.
    pub fn peek_or_wait(&mut self, key: &str, payload: W) -> Result<PeekOrWait<V>, TryTakeError> {
        match self.try_peek(key) {
            Ok(v) => return Ok(PeekOrWait::Peeked(v.clone())),
            Err(TryTakeError::Closed) => return Err(TryTakeError::Closed),
            Err(TryTakeError::Empty) => {}
        }
        let ticket = self.fresh_ticket();
        let hash = self.keys.seeded_hash(key);
        let id = self.waiters.alloc(
            ticket,
            Kind::Read {
                key: CompactString::from(key),
                hash,
                clone: V::clone,
            },
            payload,
        );
        let mut o = self.keys.get_or_insert(hash, key);
        let side = o.get_mut().side();
        self.waiters.push_back(&mut side.readers, id.index());
        Ok(PeekOrWait::Waiting(id))
    }

    /// Renamed [`peek_or_wait`](Self::peek_or_wait).
    #[deprecated(since = "0.2.0", note = "renamed to `peek_or_wait`")]
    pub fn read_or_wait(&mut self, key: &str, payload: W) -> Result<PeekOrWait<V>, TryTakeError> {
        self.peek_or_wait(key, payload)
    }
}

/// The oldest waiting taker eligible for `q`'s key: the head of its key takers or the oldest
/// waiting pattern taker that matches, whichever arrived first.
#[inline]
fn pick_taker<V, W>(
    q: &KeyQueue<V>,
    patterns: Option<&dyn PatternTakers>,
    waiters: &Waiters<V, W>,
) -> Option<u32> {
    let key_front = q
        .side
        .as_deref()
        .map(|s| s.takers.head)
        .filter(|&h| h != NIL);
    // A key that is not a valid name matches no pattern.
    let oldest = patterns.and_then(|p| p.oldest_matching(NameRef::parse(&q.key).ok()?));
    if let Some((ticket, i)) = oldest {
        if key_front.is_none_or(|f| ticket < waiters.at(f).ticket) {
            return Some(i);
        }
    }
    key_front
}

fn notify_readers<V, W>(
    readers: &mut List,
    waiters: &mut Waiters<V, W>,
    ready: &mut VecDeque<(WaiterId, W)>,
    value: &V,
) {
    while let Some(i) = waiters.pop_front(readers) {
        let copy = match &waiters.at(i).kind {
            Kind::Read { clone, .. } => clone(value),
            _ => continue, // not reached: only readers are in this list
        };
        if let Some(p) = waiters.settle(i, State::Read(copy)) {
            ready.push_back((waiters.id_of(i), p));
        }
    }
}

/// Inserts a returned entry at the head of its key, behind only the older entries there.
fn place_by_age<V>(entries: &mut VecDeque<Entry<V>>, entry: Entry<V>) {
    let older = entries.iter().take_while(|e| e.stamp < entry.stamp).count();
    entries.insert(older, entry);
}

/// Whether one more entry of `weight` fits `q`'s key and the engine.
fn fits<V>(
    config: &Config<V>,
    counted: usize,
    bytes: usize,
    q: &KeyQueue<V>,
    weight: usize,
) -> Option<Refusal> {
    let over = |bound: Option<usize>| bound.is_some_and(|m| weight > m);
    if over(config.max_bytes) || over(config.key_max_bytes) {
        return Some(Refusal::TooLarge);
    }
    if config.max_entries.is_some_and(|m| counted >= m)
        || config.max_bytes.is_some_and(|m| bytes + weight > m)
    {
        return Some(Refusal::Full);
    }
    let (in_flight, key_bytes) = q.side.as_deref().map_or((0, 0), |s| (s.in_flight, s.bytes));
    if config
        .key_max_entries
        .is_some_and(|m| q.entries.len() + in_flight >= m)
        || config.key_max_bytes.is_some_and(|m| key_bytes + weight > m)
    {
        return Some(Refusal::Full);
    }
    None
}

/// A queued entry left `q`: takes its weight off the engine's and the key's bytes.
#[inline]
fn unweigh<V>(
    config: &Config<V>,
    weighs: bool,
    key_bounded: bool,
    bytes: &mut usize,
    q: &mut KeyQueue<V>,
    value: &V,
) {
    let w = match config.weigher {
        Some(f) if weighs => f(value),
        _ => 0,
    };
    *bytes -= w;
    if key_bounded && w > 0 {
        q.side().bytes -= w;
    }
}

fn refused<V>(r: Refusal, v: V) -> PushError<V> {
    match r {
        Refusal::Full => PushError::Full(v),
        Refusal::TooLarge => PushError::TooLarge(v),
    }
}

pub(super) fn taken_of<V>(e: Entry<V>) -> Taken<V> {
    Taken {
        value: e.value,
        stamp: Stamp(e.stamp),
        deliveries: e.deliveries,
    }
}

impl<V, W> fmt::Debug for Engine<V, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("keys", &self.keys.live_len())
            .field("queued", &self.queued)
            .field("leased", &self.in_flight)
            .field("waiters", &self.waiters.len())
            .field("closed", &self.closed)
            .finish()
    }
}

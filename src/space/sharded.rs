//! [`ShardedSpace`]: a keyed tuple space split into `SHARDS` independently locked [`LocalSpace`]s,
//! so that threads working different keys never share a lock.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::hash::BuildHasher;

use foldhash::fast::FixedState;

use super::waiters::{Wake, WakeList};
use super::{Key, Lease, LocalSpace, Peek, Push, Take};
use crate::queue::{
    Config, ConfigError, Engine, LeaseError, LeaseId, PushError, Returned, TakeLeasedError,
};
use crate::sync::{DefaultRawMutex, RawMutex};

/// The shard of a key is picked with a fixed-seed hash, outside any lock. It only spreads keys
/// over locks: each shard's key table keeps its own randomly seeded hasher, so keys chosen to
/// collide can at worst put every key behind one lock (a [`LocalSpace`]'s cost), never degrade
/// a table.
const SHARD_HASHER: FixedState = FixedState::with_seed(0x6c69_6e64_795f_7368);

/// A keyed tuple space split into `SHARDS` [`LocalSpace`]s, each behind its own lock: every key
/// lives in exactly one shard (picked by a hash of the key), so producers and consumers of
/// different keys rarely share a lock, and a push or take on one key locks one shard only.
///
/// Every per-key rule of [`LocalSpace`] holds unchanged, because each key *is* a key of one full
/// [`LocalSpace`]: FIFO per key, takers of a key served by arrival, cancel-safe `take` and `push`,
/// per-key bounds with back-pressure, leases, drain-after-close. The operations that see the whole
/// space take every shard's lock in index order and hold them all until they are done, so they
/// are atomic with respect to every per-key operation: [`close`](Self::close) (no push on any
/// key succeeds after a push on another key was refused), [`total_len`](Self::total_len) and
/// [`keys`](Self::keys) (a snapshot, never a sum of different moments).
///
/// What it does **not** offer, because each needs one order across keys that separate shards do
/// not keep: pattern takes (oldest head across keys), space-wide bounds
/// ([`Config::max_entries`], [`Config::max_bytes`]) and dead-lettering
/// ([`Config::max_deliveries`]: the dead-letter key may live in another shard). Use
/// [`LocalSpace`] for those; [`with_config`](Self::with_config) refuses them.
///
/// ```
/// use lindy::space::ShardedSpace;
/// # futures::executor::block_on(async {
/// let space: ShardedSpace<u32> = ShardedSpace::new();
/// space.try_push("jobs", 1).unwrap();
/// space.try_push("mail", 2).unwrap();
/// assert_eq!(space.take("jobs").await, Ok(1));
/// assert_eq!(space.total_len(), 1);
/// space.close();
/// assert_eq!(space.try_push("jobs", 3).unwrap_err().into_inner(), 3); // handed back
/// assert_eq!(space.try_take("mail"), Some(2)); // a closed space drains
/// # });
/// ```
///
/// It implements [`Space`](super::Space) and [`PeekSpace`](super::PeekSpace), so code written
/// against the traits runs on it unchanged:
///
/// ```
/// use lindy::space::{ShardedSpace, Space};
/// async fn hand_off<S: Space<u32>>(space: &S) -> Result<u32, S::Error> {
///     let _ = space.push("jobs", 41).await;
///     space.take("jobs").await.map(|v| v + 1)
/// }
/// let space = ShardedSpace::<u32>::new();
/// assert_eq!(futures::executor::block_on(hand_off(&space)), Ok(42));
/// ```
///
/// `new` is `const`, so a sharded space can be a `static`:
///
/// ```
/// use lindy::space::ShardedSpace;
/// static JOBS: ShardedSpace<u32> = ShardedSpace::new();
/// JOBS.try_push("jobs", 7).unwrap();
/// assert_eq!(JOBS.try_take("jobs"), Some(7));
/// ```
pub struct ShardedSpace<V, R: RawMutex = DefaultRawMutex, const SHARDS: usize = 16> {
    // Each `LocalSpace` is cache-line aligned on 64-bit targets: shards share no line.
    shards: [LocalSpace<V, R>; SHARDS],
}

impl<V, R: RawMutex, const SHARDS: usize> ShardedSpace<V, R, SHARDS> {
    /// Checked at compile time wherever a space is made: shard 0 answers `is_closed`.
    const AT_LEAST_ONE_SHARD: () = assert!(SHARDS > 0, "a sharded space needs at least one shard");

    /// An empty, open, unbounded space of `SHARDS` shards. Allocates nothing until the first key
    /// arrives.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32, lindy::sync::DefaultRawMutex, 4>::new();
    /// assert_eq!(space.total_len(), 0);
    /// ```
    pub const fn new() -> Self {
        let () = Self::AT_LEAST_ONE_SHARD;
        ShardedSpace {
            shards: [const { LocalSpace::new() }; SHARDS],
        }
    }

    /// An empty space with per-key bounds and a default lease length (see [`Config`]); every
    /// shard gets the same settings.
    ///
    /// ```
    /// use lindy::queue::Config;
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::with_config(Config::new().key_max_entries(1)).unwrap();
    /// space.try_push("k", 1).unwrap();
    /// assert_eq!(space.try_push("k", 2).unwrap_err().code(), "BUFFER_FULL");
    /// let refused = ShardedSpace::<u32>::with_config(Config::new().max_entries(8)).unwrap_err();
    /// assert_eq!(refused.code(), "INVALID_CONFIG"); // space-wide bounds need one LocalSpace
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] (code `INVALID_CONFIG`) for a setting out of range, and for the settings a
    /// sharded space cannot keep: [`Config::max_entries`], [`Config::max_bytes`],
    /// [`Config::max_deliveries`].
    pub fn with_config(config: Config<V>) -> Result<Self, ConfigError> {
        let () = Self::AT_LEAST_ONE_SHARD;
        config.check()?;
        if config.max_entries.is_some() || config.max_bytes.is_some() {
            return Err(ConfigError::new(
                "a sharded space has no space-wide bounds (use key_max_entries / key_max_bytes, or LocalSpace)",
            ));
        }
        if config.max_deliveries.is_some() {
            return Err(ConfigError::new(
                "a sharded space has no dead-letter key (use LocalSpace)",
            ));
        }
        let mut failed = None;
        let shards = core::array::from_fn(|_| {
            LocalSpace::with_config(config.clone()).unwrap_or_else(|e| {
                failed = Some(e);
                LocalSpace::new()
            })
        });
        match failed {
            Some(e) => Err(e),
            None => Ok(ShardedSpace { shards }),
        }
    }

    /// Which shard holds `key` (`0..SHARDS`): the same for the space's whole life, and for every
    /// space with the same `SHARDS`. For tests and diagnostics (two keys in one shard share a
    /// lock).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// assert!(space.shard_of("jobs") < 16);
    /// assert_eq!(space.shard_of("jobs"), space.shard_of("jobs"));
    /// ```
    #[inline]
    pub fn shard_of(&self, key: &str) -> usize {
        // The high half: independent of the bits hashbrown uses inside a shard's table even if
        // the seeds ever coincided.
        ((SHARD_HASHER.hash_one(key) >> 32) as usize) % SHARDS
    }

    /// The shard holding `key`.
    #[inline]
    fn shard(&self, key: &str) -> &LocalSpace<V, R> {
        &self.shards[self.shard_of(key)]
    }

    /// Runs `f` on every shard's engine in index order, each shard's lock taken before `f` runs
    /// on it and all of them held until the last one is done (so the whole fold is atomic with
    /// respect to every per-key operation); then wakes every waiter it made ready, unlocked.
    ///
    /// Deadlock-free: no other path holds two shard locks, and this one takes them in one order.
    fn fold_locked<A>(&self, init: A, mut f: impl FnMut(A, &mut Engine<V, Wake<V>>) -> A) -> A {
        fn fold<V, R: RawMutex, A>(
            shards: &[LocalSpace<V, R>],
            acc: A,
            f: &mut impl FnMut(A, &mut Engine<V, Wake<V>>) -> A,
            wakes: &mut WakeList,
        ) -> A {
            match shards.split_first() {
                None => acc,
                Some((first, rest)) => first.state.lock(|engine| {
                    let acc = f(acc, engine);
                    wakes.collect(engine);
                    fold(rest, acc, f, wakes)
                }),
            }
        }
        let mut wakes = WakeList::new();
        let out = fold(&self.shards, init, &mut f, &mut wakes);
        wakes.wake_all();
        out
    }

    /// Appends `value` under `key` (see [`LocalSpace::try_push`]). Locks one shard.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!(space.len("jobs"), 1);
    /// ```
    ///
    /// # Errors
    /// As [`LocalSpace::try_push`]: the value is handed back when closed, full or too large.
    #[inline]
    pub fn try_push(&self, key: &str, value: V) -> Result<(), PushError<V>> {
        self.shard(key).try_push(key, value)
    }

    /// Puts `value` at the head of `key` (see [`LocalSpace::push_front`]).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.push_front("jobs", 0).unwrap();
    /// assert_eq!(space.try_take("jobs"), Some(0));
    /// ```
    ///
    /// # Errors
    /// As [`try_push`](Self::try_push).
    pub fn push_front(&self, key: &str, value: V) -> Result<(), PushError<V>> {
        self.shard(key).push_front(key, value)
    }

    /// Appends `value` under `key`, waiting for room under a per-key bound (see
    /// [`LocalSpace::push`]).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// # futures::executor::block_on(async {
    /// let space = ShardedSpace::<u32>::new();
    /// space.push("jobs", 1).await.unwrap();
    /// assert_eq!(space.try_take("jobs"), Some(1));
    /// # });
    /// ```
    ///
    /// # Errors
    /// As [`LocalSpace::push`].
    ///
    /// # Cancel safety
    /// As [`LocalSpace::push`]: the value is in the space only if the future resolved `Ok`.
    pub fn push<'a>(&'a self, key: &'a str, value: V) -> Push<'a, V, R> {
        self.shard(key).push(key, value)
    }

    /// Takes the head entry of `key`, waiting until there is one (see [`LocalSpace::take`]).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// # futures::executor::block_on(async {
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!(space.take("jobs").await, Ok(1));
    /// # });
    /// ```
    ///
    /// # Errors
    /// Resolves to [`Closed`](crate::Closed) once the space is closed and `key` drained.
    ///
    /// # Cancel safety
    /// As [`LocalSpace::take`]: an entry handed to a dropped future goes back to the head of its
    /// key and on to the next taker.
    pub fn take<'a>(&'a self, key: &'a str) -> Take<'a, V, R> {
        self.shard(key).take(key)
    }

    /// Takes the head entry of `key` if there is one; never waits (see
    /// [`LocalSpace::try_take`]).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// assert_eq!(space.try_take("jobs"), None);
    /// ```
    #[inline]
    pub fn try_take(&self, key: &str) -> Option<V> {
        self.shard(key).try_take(key)
    }

    /// Entries queued under `key` (leased ones not counted).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!((space.len("jobs"), space.len("other")), (1, 0));
    /// ```
    pub fn len(&self, key: &str) -> usize {
        self.shard(key).len(key)
    }

    /// Entries queued across all keys: a snapshot (every shard locked at once). O(`SHARDS`).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("a", 1).unwrap();
    /// space.try_push("b", 2).unwrap();
    /// assert_eq!(space.total_len(), 2);
    /// ```
    pub fn total_len(&self) -> usize {
        self.fold_locked(0, |n, e| n + e.total_len())
    }

    /// A snapshot of the keys holding at least one entry, in no particular order.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!(space.keys(), ["jobs"]);
    /// ```
    pub fn keys(&self) -> Vec<String> {
        self.fold_locked(Vec::new(), |mut keys, e| {
            keys.extend(e.keys().map(String::from));
            keys
        })
    }

    /// A handle on one key of its shard (see [`Key`]): it skips both the shard choice and the
    /// key's hash on every operation.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// let jobs = space.key("jobs");
    /// jobs.try_push(1).unwrap();
    /// assert_eq!(space.try_take("jobs"), Some(1));
    /// ```
    pub fn key<'a>(&'a self, key: &'a str) -> Key<'a, V, R> {
        self.shard(key).key(key)
    }

    /// Closes the space (idempotent), every shard at once: see [`LocalSpace::close`]. Atomic
    /// across keys: once a push on any key has been refused, a push on every other key is too.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.close();
    /// assert!(space.try_push("mail", 2).is_err());
    /// assert_eq!(space.try_take("jobs"), Some(1)); // drains
    /// ```
    pub fn close(&self) {
        self.fold_locked((), |(), e| e.close());
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.close();
    /// assert!(space.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        // `close` holds shard 0's lock until every shard is closed, so shard 0 answers for all.
        self.shards[0].is_closed()
    }

    /// Releases every byte the present keys do not need, shard by shard (see
    /// [`LocalSpace::shrink_to_fit`]).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.try_take("jobs");
    /// space.shrink_to_fit();
    /// assert_eq!(space.total_len(), 0);
    /// ```
    pub fn shrink_to_fit(&self) {
        self.shards.iter().for_each(LocalSpace::shrink_to_fit);
    }

    /// Acknowledges a lease (see [`LocalSpace::ack`]).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// let lease = space.try_take_leased("jobs", None, 0).unwrap();
    /// space.ack(lease.id).unwrap();
    /// assert_eq!(space.ack(lease.id).unwrap_err().code(), "LEASE_LOST");
    /// ```
    ///
    /// # Errors
    /// [`LeaseError::Lost`]: no live lease has that id.
    pub fn ack(&self, id: LeaseId) -> Result<(), LeaseError> {
        let (shard, local) = split_lease_id::<SHARDS>(id);
        self.shards[shard].ack(local)
    }

    /// Returns a lease: the entry goes back to the head of its key (see [`LocalSpace::nack`]).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// let lease = space.try_take_leased("jobs", None, 0).unwrap();
    /// space.nack(lease.id).unwrap();
    /// assert_eq!(space.try_take_leased("jobs", None, 0).unwrap().deliveries, 2);
    /// ```
    ///
    /// # Errors
    /// [`LeaseError::Lost`].
    pub fn nack(&self, id: LeaseId) -> Result<Returned, LeaseError> {
        let (shard, local) = split_lease_id::<SHARDS>(id);
        self.shards[shard].nack(local)
    }

    /// Extends a lease (see [`LocalSpace::extend`]); returns the new deadline.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// let lease = space.try_take_leased("jobs", Some(1_000), 0).unwrap();
    /// assert_eq!(space.extend(lease.id, Some(5_000), 900), Ok(5_900));
    /// ```
    ///
    /// # Errors
    /// [`LeaseError::Invalid`] for a bad length, [`LeaseError::Lost`] for no such lease.
    pub fn extend(&self, id: LeaseId, lease_ms: Option<u64>, now: u64) -> Result<u64, LeaseError> {
        let (shard, local) = split_lease_id::<SHARDS>(id);
        self.shards[shard].extend(local, lease_ms, now)
    }

    /// The next lease deadline (ms) over every shard, if any lease is out.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.try_take_leased("jobs", Some(250), 1_000).unwrap();
    /// assert_eq!(space.poll_timeout(), Some(1_250));
    /// ```
    pub fn poll_timeout(&self) -> Option<u64> {
        self.shards
            .iter()
            .filter_map(LocalSpace::poll_timeout)
            .min()
    }

    /// Returns every lease whose deadline is `<= now` to the head of its key, shard by shard.
    /// Returns how many expired.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.try_take_leased("jobs", Some(250), 0).unwrap();
    /// assert_eq!(space.handle_timeout(250), 1);
    /// assert_eq!(space.try_take("jobs"), Some(1));
    /// ```
    pub fn handle_timeout(&self, now: u64) -> usize {
        self.shards.iter().map(|s| s.handle_timeout(now)).sum()
    }

    /// Entries out on a lease, over every shard.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("jobs", 1).unwrap();
    /// space.try_take_leased("jobs", None, 0).unwrap();
    /// assert_eq!(space.leased_len(), 1);
    /// ```
    pub fn leased_len(&self) -> usize {
        self.fold_locked(0, |n, e| n + e.leased_len())
    }
}

impl<V: Clone, R: RawMutex, const SHARDS: usize> ShardedSpace<V, R, SHARDS> {
    /// A clone of the head entry of `key`, waiting until there is one (see
    /// [`LocalSpace::peek`]).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// # futures::executor::block_on(async {
    /// let space = ShardedSpace::<u32>::new();
    /// space.try_push("config", 7).unwrap();
    /// assert_eq!(space.peek("config").await, Ok(7));
    /// # });
    /// ```
    ///
    /// # Errors
    /// Resolves to [`Closed`](crate::Closed) once the space is closed and `key` is empty.
    ///
    /// # Cancel safety
    /// Cancel-safe: a read changes nothing.
    pub fn peek<'a>(&'a self, key: &'a str) -> Peek<'a, V, R> {
        self.shard(key).peek(key)
    }

    /// A clone of the head entry of `key`, if there is one; never waits.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<u32>::new();
    /// assert_eq!(space.try_peek("config"), None);
    /// ```
    pub fn try_peek(&self, key: &str) -> Option<V> {
        self.shard(key).try_peek(key)
    }

    /// Takes the head entry of `key` under a lease (see [`LocalSpace::try_take_leased`]). The
    /// lease id names its shard, so [`ack`](Self::ack) and friends lock that shard only.
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// let space = ShardedSpace::<&str>::new();
    /// space.try_push("jobs", "resize").unwrap();
    /// let lease = space.try_take_leased("jobs", Some(5_000), 1_000).unwrap();
    /// assert_eq!((lease.value, lease.deadline), ("resize", 6_000));
    /// ```
    ///
    /// # Errors
    /// As [`LocalSpace::try_take_leased`].
    pub fn try_take_leased(
        &self,
        key: &str,
        lease_ms: Option<u64>,
        now: u64,
    ) -> Result<Lease<V>, TakeLeasedError> {
        let shard = self.shard_of(key);
        let mut lease = self.shards[shard].try_take_leased(key, lease_ms, now)?;
        lease.id = join_lease_id::<SHARDS>(shard, lease.id);
        Ok(lease)
    }
}

#[cfg(all(feature = "std", not(loom)))]
impl<V, R: RawMutex, const SHARDS: usize> ShardedSpace<V, R, SHARDS> {
    /// Takes the head entry of `key`, blocking the calling thread until there is one (see
    /// [`LocalSpace::take_blocking`]).
    ///
    /// ```
    /// use lindy::space::ShardedSpace;
    /// use std::sync::Arc;
    /// let space = Arc::new(ShardedSpace::<u32>::new());
    /// let producer = { let s = space.clone(); std::thread::spawn(move || s.try_push("jobs", 7)) };
    /// assert_eq!(space.take_blocking("jobs"), Ok(7));
    /// producer.join().unwrap().unwrap();
    /// ```
    ///
    /// # Errors
    /// [`WaitError::Closed`](super::WaitError::Closed) once the space is closed and `key` is
    /// drained.
    pub fn take_blocking(&self, key: &str) -> Result<V, super::WaitError> {
        self.shard(key).take_blocking(key)
    }

    /// Takes the head entry of `key`, blocking the calling thread for at most `timeout` (see
    /// [`LocalSpace::take_timeout`]).
    ///
    /// ```
    /// use lindy::space::{ShardedSpace, WaitError};
    /// use std::time::Duration;
    /// let space = ShardedSpace::<u32>::new();
    /// assert_eq!(space.take_timeout("jobs", Duration::from_millis(1)), Err(WaitError::TimedOut));
    /// ```
    ///
    /// # Errors
    /// [`WaitError::TimedOut`](super::WaitError::TimedOut) if no entry came in time (nothing
    /// was taken), or [`WaitError::Closed`](super::WaitError::Closed) once closed.
    pub fn take_timeout(
        &self,
        key: &str,
        timeout: std::time::Duration,
    ) -> Result<V, super::WaitError> {
        self.shard(key).take_timeout(key, timeout)
    }
}

/// A shard-local lease id with its shard folded in: `local × SHARDS + shard`. A shard's lease ids
/// count up by one per lease, so the product stays below `u64::MAX` until a shard has issued
/// `u64::MAX / SHARDS` leases (2^60 with 16 shards: 36 years at a billion leases a second).
fn join_lease_id<const SHARDS: usize>(shard: usize, local: LeaseId) -> LeaseId {
    LeaseId::from_u64(
        local
            .as_u64()
            .wrapping_mul(SHARDS as u64)
            .wrapping_add(shard as u64),
    )
}

/// The inverse of [`join_lease_id`]: which shard issued `id`, and its id there.
fn split_lease_id<const SHARDS: usize>(id: LeaseId) -> (usize, LeaseId) {
    let raw = id.as_u64();
    (
        (raw % SHARDS as u64) as usize,
        LeaseId::from_u64(raw / SHARDS as u64),
    )
}

impl<V, R: RawMutex, const SHARDS: usize> Default for ShardedSpace<V, R, SHARDS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V, R: RawMutex, const SHARDS: usize> fmt::Debug for ShardedSpace<V, R, SHARDS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (keys, total) =
            self.fold_locked((0, 0), |(k, t), e| (k + e.key_count(), t + e.total_len()));
        f.debug_struct("ShardedSpace")
            .field("shards", &SHARDS)
            .field("keys", &keys)
            .field("total_len", &total)
            .field("closed", &self.is_closed())
            .finish()
    }
}

#[cfg(all(feature = "std", not(loom)))]
const _: () = {
    // Thread-safe on std whenever the values may move between threads.
    const fn assert_send_sync<T: Send + Sync>() {}
    const fn check<V: Send + 'static>() {
        assert_send_sync::<ShardedSpace<V>>();
    }
    check::<alloc::boxed::Box<u8>>();
};

impl<V, R: RawMutex, const SHARDS: usize> super::Space<V> for ShardedSpace<V, R, SHARDS> {
    type Error = crate::error::Closed;
    type PushError = PushError<V>;
    type Push<'a>
        = Push<'a, V, R>
    where
        Self: 'a;
    type TryPush<'a>
        = core::future::Ready<Result<(), PushError<V>>>
    where
        Self: 'a;
    type Take<'a>
        = Take<'a, V, R>
    where
        Self: 'a;
    type TryTake<'a>
        = core::future::Ready<Result<Option<V>, Self::Error>>
    where
        Self: 'a;
    type Len<'a>
        = core::future::Ready<Result<usize, Self::Error>>
    where
        Self: 'a;
    type Close<'a>
        = core::future::Ready<Result<(), Self::Error>>
    where
        Self: 'a;

    fn push<'a>(&'a self, key: &'a str, value: V) -> Self::Push<'a> {
        ShardedSpace::push(self, key, value)
    }
    fn try_push<'a>(&'a self, key: &'a str, value: V) -> Self::TryPush<'a> {
        core::future::ready(ShardedSpace::try_push(self, key, value))
    }
    fn take<'a>(&'a self, key: &'a str) -> Self::Take<'a> {
        ShardedSpace::take(self, key)
    }
    fn try_take<'a>(&'a self, key: &'a str) -> Self::TryTake<'a> {
        core::future::ready(Ok(ShardedSpace::try_take(self, key)))
    }
    fn len<'a>(&'a self, key: &'a str) -> Self::Len<'a> {
        core::future::ready(Ok(ShardedSpace::len(self, key)))
    }
    fn close(&self) -> Self::Close<'_> {
        ShardedSpace::close(self);
        core::future::ready(Ok(()))
    }
    fn is_closed(&self) -> bool {
        ShardedSpace::is_closed(self)
    }
}

impl<V: Clone, R: RawMutex, const SHARDS: usize> super::PeekSpace<V>
    for ShardedSpace<V, R, SHARDS>
{
    type Peek<'a>
        = Peek<'a, V, R>
    where
        Self: 'a;
    type TryPeek<'a>
        = core::future::Ready<Result<Option<V>, Self::Error>>
    where
        Self: 'a;

    fn peek<'a>(&'a self, key: &'a str) -> Self::Peek<'a> {
        ShardedSpace::peek(self, key)
    }
    fn try_peek<'a>(&'a self, key: &'a str) -> Self::TryPeek<'a> {
        core::future::ready(Ok(ShardedSpace::try_peek(self, key)))
    }
}

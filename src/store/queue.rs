//! The single-owner durable queue (documented on [`Queue`]).
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use compact_str::CompactString;

use super::codec::{self, FileHeader, Frame, FILE_HEADER_LEN};
use super::live::LiveSeq;
use super::options::{validate_key, validate_value, Durability, StoreOptions};
use super::replay::{replay_storage, Entry, LiveSet, ReplayOptions, Skipped};
use super::storage::{Storage, StorageError, StorageOp};
use super::StoreError;
use crate::queue::{Claim, Engine, LeaseId, Stamp, TakeLeasedError, TakeOrWait, Taken, WaiterId};

/// Compaction writes the new file in chunks of about this size.
const COMPACT_CHUNK: usize = 64 << 10;

/// A live entry's key and payload, and its age once it has been taken (to put it back in place).
#[derive(Debug)]
struct Live {
    /// Inline up to 24 bytes: no allocation per entry for the usual short keys.
    key: CompactString,
    /// Exactly the payload's bytes (8 bytes smaller per entry than a `Vec`).
    value: Box<[u8]>,
    stamp: Option<Stamp>,
}

/// Replay's target when a store opens: the live entries by sequence number, built in place.
#[derive(Default)]
struct LiveMap(LiveSeq<Live>);

impl LiveSet for LiveMap {
    fn push(&mut self, key: &str, seq: u64, value: &[u8]) {
        // The previous entry usually has the same key: share its (inline or heap) string.
        let key = match self.0.last() {
            Some((_, last)) if last.key == key => last.key.clone(),
            _ => CompactString::from(key),
        };
        // Replay checked that out records' numbers strictly increase: above every live one.
        self.0.push_back(
            seq,
            Live {
                key,
                value: value.into(),
                stamp: None,
            },
        );
    }

    fn restore(&mut self, key: &str, seq: u64, value: &[u8]) -> Result<(), &'static str> {
        let live = Live {
            key: key.into(),
            value: value.into(),
            stamp: None,
        };
        self.0
            .insert(seq, live)
            .map_err(|_| "restore of an entry that is live")
    }

    fn remove(&mut self, key: &str, seq: u64) -> Result<usize, &'static str> {
        match self.0.get(seq) {
            Some(l) if l.key == key => Ok(self.0.remove(seq).map_or(0, |l| l.value.len())),
            _ => Err("tombstone for an entry that is not live under its key"),
        }
    }
}

/// A live entry, borrowed: its sequence number and payload.
///
/// ```
/// # use lindy::store::{FaultStorage, Queue, StoreOptions};
/// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
/// q.push("k", b"a")?;
/// let e = q.entries("k").next().unwrap();
/// assert_eq!((e.seq, e.value), (0, &b"a"[..]));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    /// The entry's sequence number.
    pub seq: u64,
    /// The payload.
    pub value: &'a [u8],
}

/// An entry handed out under a lease by [`Queue::take_leased`]: it stays in the log (and comes
/// back after a crash or a reopen) until [`Queue::ack`] writes its tombstone.
///
/// ```
/// # use lindy::store::{FaultStorage, Queue, StoreOptions};
/// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
/// q.push("jobs", b"job")?;
/// let lease = q.take_leased("jobs", Some(1_000), 0)?.unwrap();
/// assert_eq!((&lease.value[..], lease.deliveries, lease.deadline), (&b"job"[..], 1, 1_000));
/// q.ack(lease.id)?;
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Settle the lease with this id.
    pub id: LeaseId,
    /// The payload (a copy: the entry stays in the store until acknowledged).
    pub value: Vec<u8>,
    /// Leased deliveries of this entry since the store was opened, this one included (1 on the
    /// first). Not durable: a reopen starts again at 0.
    pub deliveries: u32,
    /// When the lease expires (ms, the clock of the `now` arguments).
    pub deadline: u64,
}

/// An entry taken by a destructive pull, with the age it goes back with if the pull is undone.
#[derive(Debug)]
pub(crate) struct Pulled {
    pub(crate) entry: Entry,
    stamp: Stamp,
    deliveries: u32,
}

/// A waiting pull's step (see [`Queue::pull_or_wait`]).
#[derive(Debug)]
#[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
pub(crate) enum PullStep {
    /// Waiting in the engine under this id.
    Waiting(WaiterId),
    /// Taken, its tombstone appended at this lsn.
    Taken(Pulled, u64),
}

/// A point in the log a sync covers: records written (a log sequence number that survives
/// compaction) and the log's length then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SyncPoint {
    pub(crate) lsn: u64,
    pub(crate) len: u64,
}

/// What opening the log found and repaired.
///
/// ```
/// use lindy::store::{FaultStorage, Queue, StoreOptions};
/// let storage = FaultStorage::new();
/// let mut q = Queue::open(storage.clone(), StoreOptions::new())?;
/// assert!(q.open_report().created);
/// q.push("k", b"v")?;
/// drop(q);
/// let mut image = storage.contents();
/// image.extend_from_slice(&[0xAB; 10]); // a torn write at the end
/// let q = Queue::open(FaultStorage::from_bytes(image), StoreOptions::new())?;
/// let r = q.open_report();
/// assert_eq!((r.created, r.records, r.truncated_bytes), (false, 1, 10));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// The log did not exist (or was empty) and was created.
    pub created: bool,
    /// Valid records replayed.
    pub records: u64,
    /// Live entries after replay.
    pub live_entries: u64,
    /// Bytes of a torn tail truncated from the end of the log (a write cut short by a crash).
    pub truncated_bytes: u64,
    /// Corrupt regions skipped by salvage (the log was rewritten without them).
    pub skipped: Vec<Skipped>,
}

/// Sizes and counters of an open store.
///
/// ```
/// # use lindy::store::{FaultStorage, Queue, StoreOptions};
/// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
/// q.push("k", b"v")?;
/// let s = q.stats();
/// assert_eq!((s.entries, s.keys, s.appended, s.durable), (1, 1, 1, 1));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Live entries over all keys.
    pub entries: u64,
    /// Keys with at least one live entry.
    pub keys: usize,
    /// The log's length in bytes.
    pub log_bytes: u64,
    /// Bytes a compacted log would need (header + live records).
    pub live_bytes: u64,
    /// Records appended since open.
    pub appended: u64,
    /// Of those, how many are known durable.
    pub durable: u64,
    /// Compactions run since open (manual and automatic).
    pub compactions: u64,
    /// fsyncs of the log issued since open (group commit makes this smaller than `appended`).
    pub syncs: u64,
}

impl StoreStats {
    /// Bytes compaction would reclaim.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"v")?;
    /// q.try_take("k")?;
    /// assert_eq!(q.stats().dead_bytes(), q.stats().log_bytes - 32); // all but the header
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn dead_bytes(&self) -> u64 {
        self.log_bytes.saturating_sub(self.live_bytes)
    }

    /// Dead bytes over the log length, 0.0 for an empty log.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// assert_eq!(q.stats().dead_ratio(), 0.0);
    /// q.push("k", b"v")?;
    /// q.try_take("k")?;
    /// assert!(q.stats().dead_ratio() > 0.5);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn dead_ratio(&self) -> f64 {
        if self.log_bytes == 0 {
            0.0
        } else {
            self.dead_bytes() as f64 / self.log_bytes as f64
        }
    }
}

/// The durable queue's logic, generic over a [`Storage`]: one owner, no locks, no threads.
///
/// Rules every operation keeps (the crash-safety argument in `docs/log-format.md` leans on them):
/// * **Memory follows the log.** A push reaches memory only after its record is in the log; a
///   pull removes its entry only after its tombstone is (and, under [`Durability::Always`], after
///   the tombstone is durable: a crash never resurrects an entry that was handed out).
/// * **Nothing behind garbage.** A failed append is truncated away before anything else is
///   written; a torn tail found at open is truncated (and synced) before the first append.
/// * **A failed fsync poisons.** After it, what the disk holds is unknown (Linux may have dropped
///   the dirty pages and will report the next fsync as a success), so every later write fails with
///   `STORE_POISONED` until the store is reopened and the truth is read back from the disk.
///
/// The std [`Store`](super::Store) wraps a `Queue` in a lock and adds blocking pulls, group commit
/// and a flusher thread; this type is what runs on a microcontroller or in a single thread.
///
/// ```
/// use lindy::store::{Durability, FaultStorage, Queue, StoreOptions};
/// // Single owner, no threads: what runs on a microcontroller. The caller's timer drives the
/// // interval flush through poll_timeout / handle_timeout.
/// let opts = StoreOptions::new().with_durability(Durability::Interval(100));
/// let mut q = Queue::open(FaultStorage::new(), opts)?;
/// q.push("sensor", b"21.5")?;
/// if let Some(deadline) = q.poll_timeout() {
///     q.handle_timeout(deadline); // at the deadline: one fsync
/// }
/// assert_eq!(q.stats().durable, q.stats().appended);
/// assert_eq!(q.try_take("sensor")?, Some(b"21.5".to_vec()));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
pub struct Queue<S: Storage, W = ()> {
    storage: S,
    opts: StoreOptions,
    salt: u64,
    /// The one keyed-queue engine (`crate::queue`): FIFO per key, leases, expiry. It holds the
    /// sequence number of each live entry; the payloads live in `live`.
    engine: Engine<u64, W>,
    /// Every live entry (queued or out on a lease) by sequence number: what a compaction writes.
    live: LiveSeq<Live>,
    next_seq: u64,
    /// Bytes in the log; every one of them belongs to a good record.
    log_len: u64,
    /// Header plus live out records: the size of a compacted log.
    live_bytes: u64,
    /// Records appended since open (a log sequence number that survives compaction).
    written: u64,
    /// Of `written`, the prefix known durable.
    durable: u64,
    /// The log length known durable: what every record written now claims in its `durable`
    /// field (docs/log-format.md §3). Never more than is really durable.
    durable_len: u64,
    poison: Option<String>,
    closed: bool,
    /// Closed and drained: the storage was released.
    released: bool,
    scratch: Vec<u8>,
    /// Records encoded but not yet handed to the storage ([`StoreOptions::with_write_buffer`]):
    /// the last `pending.len()` bytes of `log_len` and the last `pending_records` of `written`.
    pending: Vec<u8>,
    pending_records: u64,
    /// The write buffer's capacity: 0 unless `Durability::Never` with a write buffer.
    buffer_cap: usize,
    report: OpenReport,
    compactions: u64,
    syncs: u64,
    /// Automatic compaction is not retried below this log length after it failed.
    auto_compact_floor: u64,
    /// The latest `now` the caller passed in (`handle_timeout`, leases): the clock the
    /// interval flush counts on, since a write itself carries no time.
    last_now_ms: u64,
    /// Interval mode in the core: the `last_now_ms` when the oldest unsynced write was appended
    /// (`None` while everything written is durable).
    dirty_since_ms: Option<u64>,
}

impl<S: Storage, W> core::fmt::Debug for Queue<S, W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Queue")
            .field("stats", &self.stats())
            .field("poisoned", &self.poison.is_some())
            .field("closed", &self.closed)
            .finish()
    }
}

impl<S: Storage> Queue<S> {
    /// Opens the log in `storage`: replays it, truncates a torn tail (durably, before anything is
    /// appended), creates the header of a new log, and — with salvage — rewrites a log that had
    /// corrupt regions skipped.
    ///
    /// Fails with `STORE_CORRUPT` (naming the byte offset) if the log is corrupt before its tail,
    /// and with `IO` if the storage fails.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let storage = FaultStorage::new();
    /// let mut q = Queue::open(storage.clone(), StoreOptions::new())?;
    /// q.push("k", b"kept")?;
    /// drop(q); // a crash
    /// let q = Queue::open(FaultStorage::from_bytes(storage.power_loss()), StoreOptions::new())?;
    /// assert_eq!(q.len("k"), 1);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn open(storage: S, opts: StoreOptions) -> Result<Self, StoreError> {
        Self::open_any(storage, opts)
    }
}

impl<S: Storage, W> Queue<S, W> {
    /// Opens the log in `storage`: replays it, truncates a torn tail (durably, before anything is
    /// appended), creates the header of a new log, and — with salvage — rewrites a log that had
    /// corrupt regions skipped.
    ///
    /// Fails with `STORE_CORRUPT` (naming the byte offset) if the log is corrupt before its tail,
    /// and with `IO` if the storage fails.
    pub(crate) fn open_any(mut storage: S, opts: StoreOptions) -> Result<Self, StoreError> {
        // Replay straight into the map of live entries (in sequence order: each out record's
        // number is above every earlier one), reading the log in chunks.
        let mut live = LiveMap::default();
        let rep = replay_storage(
            &mut storage,
            ReplayOptions {
                salvage: opts.salvage,
            },
            &mut live,
        )?;
        let mut report = OpenReport {
            created: rep.header.is_none(),
            records: rep.stats.records,
            live_entries: rep.stats.live_entries,
            truncated_bytes: rep.torn_tail,
            skipped: rep.skipped,
        };
        let (salt, log_len) = match rep.header {
            None => {
                let salt = storage.fresh_salt();
                let header = codec::encode_header(FileHeader { salt, base_seq: 0 });
                write_replacement(&mut storage, &[&header])?;
                (salt, FILE_HEADER_LEN as u64)
            }
            Some(h) => {
                if rep.torn_tail > 0 {
                    // Truncate before append, durably: the seed's defect was appending behind
                    // the garbage, which made every later record unreadable.
                    storage.truncate(rep.good_len)?;
                }
                // What was replayed is durable from here on (a crashed process may have left
                // unsynced bytes in the page cache), so new records can say so.
                storage.sync()?;
                (h.salt, rep.good_len)
            }
        };
        // Into the engine in sequence order, so ages (stamps) follow push order across keys.
        let live = live.0;
        let mut engine = Engine::new();
        for (seq, l) in live.iter() {
            // An unbounded, open engine takes every value.
            let _ = engine.try_push(&l.key, seq);
        }
        let mut q = Queue {
            storage,
            salt,
            engine,
            live,
            next_seq: rep.next_seq,
            log_len,
            live_bytes: rep.stats.live_bytes.max(FILE_HEADER_LEN as u64),
            written: 0,
            durable: 0,
            durable_len: log_len,
            poison: None,
            closed: false,
            released: false,
            scratch: Vec::new(),
            pending: Vec::new(),
            pending_records: 0,
            buffer_cap: if opts.durability == Durability::Never {
                opts.write_buffer
            } else {
                0
            },
            report: OpenReport::default(),
            compactions: 0,
            syncs: 0,
            auto_compact_floor: 0,
            last_now_ms: 0,
            dirty_since_ms: None,
            opts,
        };
        if !report.skipped.is_empty() {
            // Salvaged: rewrite now, or the next open would meet the same corruption.
            q.rewrite()?;
        }
        report.live_entries = q.live.len() as u64;
        q.report = report;
        Ok(q)
    }

    /// Appends `value` under `key`; under [`Durability::Always`] it is durable when this returns.
    ///
    /// Errors: `KEY_INVALID` / `VALUE_TOO_LARGE` / `SEQUENCE_EXHAUSTED` (nothing written),
    /// `CLOSED`, `IO` (nothing was added: a failed write is cut off again), `STORE_POISONED`
    /// (nothing was added because the store was already poisoned — or, when this push's own fsync
    /// failed, **the outcome is unknown**: the entry may or may not be in the log after a reopen;
    /// see `docs/log-format.md` §5.5).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"v")?; // durable when it returns (Durability::Always)
    /// assert_eq!(q.push("", b"v").unwrap_err().code(), "KEY_INVALID");
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn push(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.append_push(key, value)?;
        if self.opts.durability == Durability::Always {
            // A failed fsync leaves the entry in memory: it is in the file, and may be durable.
            self.sync().map_err(|e| self.outcome_unknown(e, "push"))?;
        }
        Ok(())
    }

    /// Removes and returns the oldest entry under `key`, or `None` if it has none. Its tombstone
    /// is in the log (durable, under [`Durability::Always`]) before the entry leaves memory.
    ///
    /// If the tombstone's fsync fails, the entry is still returned — delivered **at least once**:
    /// the tombstone may not be durable, so the entry may come back after a reopen, but it is
    /// never lost — and the store is poisoned (every later write fails with `STORE_POISONED`).
    ///
    /// Errors: `KEY_INVALID`, `CLOSED`, `STORE_POISONED`, `IO` (the entry stays queued).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"1")?;
    /// assert_eq!(q.try_take("k")?, Some(b"1".to_vec()));
    /// assert_eq!(q.try_take("k")?, None);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn try_take(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((entry, _)) = self.append_pull(key)? else {
            return Ok(None);
        };
        if self.opts.durability == Durability::Always && self.sync().is_err() {
            return Ok(Some(entry.entry.value)); // poisoned; at-least-once (see above)
        }
        let _ = self.maybe_auto_compact();
        self.release_if_drained();
        Ok(Some(entry.entry.value))
    }

    /// Renamed [`try_take`](Self::try_take).
    #[deprecated(since = "0.2.0", note = "renamed to `try_take`")]
    pub fn try_pull(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.try_take(key)
    }

    /// A copy of the oldest entry under `key`. Works after close.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"1")?;
    /// assert_eq!(q.peek("k"), Some(b"1".to_vec()));
    /// assert_eq!(q.len("k"), 1); // still there
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn peek(&self, key: &str) -> Option<Vec<u8>> {
        self.peek_ref(key).map(<[u8]>::to_vec)
    }

    /// The oldest entry under `key`, borrowed.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"1")?;
    /// assert_eq!(q.peek_ref("k"), Some(&b"1"[..]));
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn peek_ref(&self, key: &str) -> Option<&[u8]> {
        let seq = self.engine.try_peek(key).ok()?;
        self.live.get(*seq).map(|l| &l.value[..])
    }

    /// Entries queued under `key` (leased ones not counted). Works after close.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"1")?;
    /// q.push("k", b"2")?;
    /// assert_eq!((q.len("k"), q.len("other")), (2, 0));
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn len(&self, key: &str) -> usize {
        self.engine.len(key)
    }

    /// Whether no entry is queued or out on a lease.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// assert!(q.is_empty());
    /// q.push("k", b"1")?;
    /// assert!(!q.is_empty());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    /// Keys with at least one queued entry, sorted. Works after close.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("b", b"1")?;
    /// q.push("a", b"2")?;
    /// assert_eq!(q.keys(), ["a", "b"]);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.engine.keys().map(String::from).collect();
        keys.sort_unstable();
        keys
    }

    /// The live entries under `key` — queued or out on a lease — oldest first (for tools and
    /// tests; O(live entries)).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"1")?;
    /// q.push("x", b"2")?;
    /// q.push("k", b"3")?;
    /// let seqs: Vec<u64> = q.entries("k").map(|e| e.seq).collect();
    /// assert_eq!(seqs, [0, 2]);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn entries<'a>(&'a self, key: &'a str) -> impl Iterator<Item = EntryRef<'a>> + 'a {
        self.live
            .iter()
            .filter(move |(_, l)| l.key == key)
            .map(|(seq, l)| EntryRef {
                seq,
                value: &l.value,
            })
    }

    // ----- leases (at-least-once delivery) -----

    /// Takes the oldest entry under `key` on a lease of `lease_ms` (the default 30 s if `None`)
    /// from `now` (ms, any clock the caller keeps using). Nothing is written: the entry stays in
    /// the log, out of the queue, until [`ack`](Self::ack) writes its tombstone;
    /// [`nack`](Self::nack) or expiry ([`handle_timeout`](Self::handle_timeout)) puts it back at
    /// the head of its key with its age. After a crash or a reopen every un-acknowledged lease is
    /// back in the queue: delivery is at least once.
    ///
    /// Errors: `KEY_INVALID`, `LEASE_INVALID` (a lease length of 0 or above a year), `CLOSED`,
    /// `STORE_POISONED`.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("jobs", b"j")?;
    /// let lease = q.take_leased("jobs", Some(500), 1_000)?.unwrap();
    /// assert_eq!(q.len("jobs"), 0); // out on the lease, still in the log
    /// assert_eq!(q.handle_timeout(1_500), 1); // expired: back at the head
    /// assert_eq!(q.len("jobs"), 1);
    /// # let _ = lease;
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn take_leased(
        &mut self,
        key: &str,
        lease_ms: Option<u64>,
        now: u64,
    ) -> Result<Option<Lease>, StoreError> {
        self.check_takeable(key)?;
        validate_key(key, self.opts.max_key_len)?;
        self.last_now_ms = self.last_now_ms.max(now);
        match self.engine.try_take_leased(key, lease_ms, now) {
            Ok(l) => {
                let lease = (l.id, *l.value, l.stamp, l.deliveries, l.deadline);
                let (id, seq, stamp, deliveries, deadline) = lease;
                let live = self
                    .live
                    .get_mut(seq)
                    .expect("the engine holds live entries");
                live.stamp = Some(stamp);
                Ok(Some(Lease {
                    id,
                    value: live.value.to_vec(),
                    deliveries,
                    deadline,
                }))
            }
            Err(TakeLeasedError::Invalid) => {
                Err(StoreError::Lease(crate::queue::LeaseError::Invalid))
            }
            Err(_) => Ok(None),
        }
    }

    /// Acknowledges a lease: writes the entry's tombstone (durable when this returns, under
    /// [`Durability::Always`]) and forgets the entry.
    ///
    /// Errors: `LEASE_LOST` (no such lease: settled, expired, or never issued), `CLOSED`,
    /// `STORE_POISONED` (if this ack's own fsync failed the outcome is unknown: the entry may come
    /// back after a reopen — at least once), `IO` (the tombstone could not be written: the entry
    /// is back at the head of its key, as if the lease had been returned).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("jobs", b"j")?;
    /// let lease = q.take_leased("jobs", None, 0)?.unwrap();
    /// q.ack(lease.id)?; // the tombstone is written: done for good
    /// assert_eq!(q.ack(lease.id).unwrap_err().code(), "LEASE_LOST");
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn ack(&mut self, id: LeaseId) -> Result<(), StoreError> {
        self.append_ack(id)?;
        if self.opts.durability == Durability::Always {
            self.sync().map_err(|e| self.outcome_unknown(e, "ack"))?;
        }
        let _ = self.maybe_auto_compact();
        self.release_if_drained();
        Ok(())
    }

    /// Returns a lease: its entry goes back to the head of its key, age kept. Nothing is written.
    /// Errors: `LEASE_LOST`.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("jobs", b"j")?;
    /// let lease = q.take_leased("jobs", None, 0)?.unwrap();
    /// q.nack(lease.id)?;
    /// assert_eq!(q.len("jobs"), 1);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn nack(&mut self, id: LeaseId) -> Result<(), StoreError> {
        self.engine.nack(id).map(drop).map_err(StoreError::Lease)
    }

    /// Extends a lease to `lease_ms` (the default if `None`) from `now`; returns the new
    /// deadline. Errors: `LEASE_INVALID`, `LEASE_LOST`.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("jobs", b"j")?;
    /// let lease = q.take_leased("jobs", Some(100), 0)?.unwrap();
    /// assert_eq!(q.extend(lease.id, Some(1_000), 50)?, 1_050);
    /// assert_eq!(q.handle_timeout(100), 0); // not expired any more
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn extend(
        &mut self,
        id: LeaseId,
        lease_ms: Option<u64>,
        now: u64,
    ) -> Result<u64, StoreError> {
        self.last_now_ms = self.last_now_ms.max(now);
        self.engine
            .extend(id, lease_ms, now)
            .map_err(StoreError::Lease)
    }

    /// The next deadline (ms, the clock of the `now` arguments) at which
    /// [`handle_timeout`](Self::handle_timeout) has work, if any: the earliest lease deadline,
    /// and under [`Durability::Interval`] the moment the oldest unsynced write is `interval` old.
    /// It only answers; it never acts (quinn-proto's convention).
    ///
    /// A write carries no time, so the interval counts from the latest `now` the queue was given
    /// before the write (by `handle_timeout` or a lease call): a conservative start, so the
    /// flush is early rather than late. Call `poll_timeout` again after every write.
    ///
    /// ```
    /// use lindy::store::{Durability, FaultStorage, Queue, StoreOptions};
    /// let opts = StoreOptions::new().with_durability(Durability::Interval(100));
    /// let mut q = Queue::open(FaultStorage::new(), opts)?;
    /// q.handle_timeout(1_000); // the clock reads 1 000 ms
    /// assert_eq!(q.poll_timeout(), None);
    /// q.push("k", b"v")?;
    /// assert_eq!(q.poll_timeout(), Some(1_100)); // the interval flush
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn poll_timeout(&self) -> Option<u64> {
        let lease = self.engine.poll_timeout();
        let flush = self.flush_deadline();
        match (lease, flush) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Acts on every deadline that is `<= now`: returns each expired lease to the head of its key
    /// (age kept; nothing is written), and under [`Durability::Interval`] syncs the log once the
    /// oldest unsynced write is `interval` old. Returns how many leases expired.
    ///
    /// # Errors
    ///
    /// A failed flush is an fsync failure like any other: it **poisons** the store (every later
    /// write fails with `STORE_POISONED`, waiting takes end, reads keep answering; reopen to
    /// recover what the disk really holds). `handle_timeout` itself returns no error — there is
    /// no caller operation whose outcome it decides — so check
    /// [`is_poisoned`](Self::is_poisoned) after it, or meet the `STORE_POISONED` error (which
    /// carries the fsync's message) on the next write. Leases expire even when the flush fails.
    ///
    /// ```
    /// use lindy::store::{Durability, FaultStorage, Queue, StoreOptions};
    /// let storage = FaultStorage::new();
    /// let opts = StoreOptions::new().with_durability(Durability::Interval(100));
    /// let mut q = Queue::open(storage.clone(), opts)?;
    /// q.push("k", b"v")?;
    /// q.handle_timeout(100); // flushes
    /// assert_eq!(q.stats().durable, 1);
    /// q.push("k", b"w")?;
    /// storage.fail_sync(0);
    /// q.handle_timeout(200); // this flush fails: the store is poisoned, not the call
    /// assert!(q.is_poisoned());
    /// assert_eq!(q.push("k", b"x").unwrap_err().code(), "STORE_POISONED");
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn handle_timeout(&mut self, now: u64) -> usize {
        self.last_now_ms = self.last_now_ms.max(now);
        let expired = self.engine.handle_timeout(now);
        if self.flush_deadline().is_some_and(|due| due <= now) {
            // A failure poisoned the store and recorded its cause (see above).
            let _ = self.sync();
            self.dirty_since_ms = None;
        }
        expired
    }

    /// When the interval flush is due, under [`Durability::Interval`] with unsynced writes.
    fn flush_deadline(&self) -> Option<u64> {
        let Durability::Interval(ms) = self.opts.durability else {
            return None;
        };
        if self.durable == self.written || self.poison.is_some() {
            return None;
        }
        let since = self.dirty_since_ms.unwrap_or(self.last_now_ms);
        Some(since.saturating_add(u64::from(ms)))
    }

    /// The lease half of [`handle_timeout`](Self::handle_timeout), for the std store, whose
    /// committer thread runs the interval flush through group commit (outside its lock).
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn expire_leases(&mut self, now: u64) -> usize {
        self.last_now_ms = self.last_now_ms.max(now);
        self.engine.handle_timeout(now)
    }

    /// The earliest lease deadline (the std store's committer sleeps until it).
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn lease_deadline(&self) -> Option<u64> {
        self.engine.poll_timeout()
    }

    /// Entries out on a lease.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("jobs", b"j")?;
    /// q.take_leased("jobs", None, 0)?;
    /// assert_eq!(q.leased_len(), 1);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn leased_len(&self) -> usize {
        self.engine.leased_len()
    }

    /// Rewrites the log with only the live entries (temp file, fsync, rename, fsync directory),
    /// preserving their order and sequence numbers. Everything written before it is durable after.
    ///
    /// Errors: `CLOSED`, `STORE_POISONED`, `IO` (the old log is intact, unless the error says the
    /// rename could not be made durable, which poisons the store).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// for i in 0..10u8 {
    ///     q.push("k", &[i])?;
    /// }
    /// for _ in 0..9 {
    ///     q.try_take("k")?;
    /// }
    /// let before = q.stats().log_bytes;
    /// q.compact()?;
    /// assert!(q.stats().log_bytes < before);
    /// assert_eq!(q.peek("k"), Some(vec![9]));
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn compact(&mut self) -> Result<(), StoreError> {
        self.check_writable()?;
        self.rewrite()
    }

    /// Makes every write so far durable. Errors: `STORE_POISONED`, `IO` (which poisons).
    ///
    /// ```
    /// use lindy::store::{Durability, FaultStorage, Queue, StoreOptions};
    /// let storage = FaultStorage::new();
    /// let mut q = Queue::open(storage.clone(), StoreOptions::new().with_durability(Durability::Never))?;
    /// q.push("k", b"v")?;
    /// assert!(storage.unsynced_len() > 0);
    /// q.sync()?;
    /// assert_eq!(storage.unsynced_len(), 0);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn sync(&mut self) -> Result<(), StoreError> {
        if let Some(cause) = &self.poison {
            return Err(StoreError::Poisoned {
                cause: cause.clone(),
            });
        }
        if self.durable == self.written {
            return Ok(());
        }
        let target = self.sync_point();
        self.syncs += 1;
        match self.storage.sync() {
            Ok(()) => {
                self.mark_durable(target);
                // A failed write of the buffer poisoned: the sync covered only what got out.
                match self.poison {
                    Some(_) => Err(self.closed_or_poisoned()),
                    None => Ok(()),
                }
            }
            Err(e) => Err(self.poison_with(e)),
        }
    }

    /// The interval flush alone, acting and answering in one call: syncs if the oldest unsynced
    /// write is `interval` old at `now_ms`, and returns the next flush deadline, if writes are
    /// pending. A failed flush poisons the store and is returned (`IO`).
    ///
    /// Replaced by the two-call form every sans-IO part of lindy uses:
    /// [`poll_timeout`](Self::poll_timeout) answers the next deadline (leases included),
    /// [`handle_timeout`](Self::handle_timeout) acts. Unlike this method, `handle_timeout`
    /// returns no error: a failed flush is seen through [`is_poisoned`](Self::is_poisoned) and
    /// the next write's `STORE_POISONED`.
    #[deprecated(
        since = "0.2.0",
        note = "use `poll_timeout()` (the next deadline) and `handle_timeout(now)` (acts on it)"
    )]
    pub fn flush_if_due(&mut self, now_ms: u64) -> Result<Option<u64>, StoreError> {
        self.last_now_ms = self.last_now_ms.max(now_ms);
        let Some(due) = self.flush_deadline() else {
            return Ok(None);
        };
        if now_ms < due {
            return Ok(Some(due));
        }
        self.dirty_since_ms = None;
        self.sync().map(|()| None)
    }

    /// Closes, by the one close rule of `crate::queue`: later pushes fail with `CLOSED`; pulls and
    /// leased takes **drain** what is queued (each writing its tombstone as usual), then fail with
    /// `CLOSED`; leases still settle. `peek`, `len` and `keys` keep answering. Pending writes are
    /// synced now, and the storage is released — a [`FileStorage`](super::FileStorage) closes its
    /// file and drops its lock, so the log can be opened again in this process or another — as
    /// soon as nothing is left to drain: at once for a drained store, else when the last entry
    /// is taken and acknowledged (or when the store is dropped). Idempotent.
    ///
    /// Errors: `STORE_POISONED` if the final fsync fails (the outcome of the writes it covered is
    /// unknown).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"last")?;
    /// q.close()?;
    /// assert_eq!(q.push("k", b"more").unwrap_err().code(), "CLOSED");
    /// assert_eq!(q.try_take("k")?, Some(b"last".to_vec())); // drains
    /// assert_eq!(q.try_take("k").unwrap_err().code(), "CLOSED");
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn close(&mut self) -> Result<(), StoreError> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        self.engine.close();
        if self.poison.is_none() && self.durable != self.written {
            let target = self.sync_point();
            self.syncs += 1;
            match self.storage.sync() {
                Ok(()) => self.mark_durable(target),
                Err(e) => {
                    let e = self.poison_with(e);
                    return Err(self.outcome_unknown(e, "close"));
                }
            }
            if self.poison.is_some() {
                return Err(self.closed_or_poisoned()); // the buffer's write failed
            }
        }
        self.release_if_drained();
        Ok(())
    }

    /// After close: once no entry is live (queued or leased), syncs what the drain wrote and
    /// releases the storage. Returns whether the storage is released.
    pub(crate) fn release_if_drained(&mut self) -> bool {
        if self.released {
            return true;
        }
        if !self.closed || !self.live.is_empty() || self.poison.is_some() {
            return false;
        }
        if self.durable != self.written {
            let target = self.sync_point();
            self.syncs += 1;
            match self.storage.sync() {
                Ok(()) => self.mark_durable(target),
                Err(e) => {
                    self.poison_with(e);
                    return false;
                }
            }
            if self.poison.is_some() {
                return false; // the buffer's write failed
            }
        }
        self.storage.close();
        self.released = true;
        true
    }

    /// Whether the storage was released (closed and drained).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"v")?;
    /// q.close()?;
    /// assert!(!q.is_released()); // an entry is left to drain
    /// q.try_take("k")?;
    /// assert!(q.is_released());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn is_released(&self) -> bool {
        self.released
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.close()?;
    /// assert!(q.is_closed());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether a failed fsync (or unrecoverable write) poisoned the store.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let storage = FaultStorage::new();
    /// let mut q = Queue::open(storage.clone(), StoreOptions::new())?;
    /// storage.fail_sync(0);
    /// assert!(q.push("k", b"v").is_err());
    /// assert!(q.is_poisoned());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn is_poisoned(&self) -> bool {
        self.poison.is_some()
    }

    /// What opening found and repaired.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// assert!(q.open_report().created);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// Sizes and counters.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"v")?;
    /// assert_eq!(q.stats().entries, 1);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn stats(&self) -> StoreStats {
        StoreStats {
            entries: self.live.len() as u64,
            keys: self.engine.keys().count(),
            log_bytes: self.log_len,
            live_bytes: self.live_bytes,
            appended: self.written,
            durable: self.durable,
            compactions: self.compactions,
            syncs: self.syncs,
        }
    }

    /// The options the store was opened with.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// assert_eq!(q.options(), &StoreOptions::new());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn options(&self) -> &StoreOptions {
        &self.opts
    }

    /// The storage, e.g. to inspect a [`FaultStorage`](super::FaultStorage).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"v")?;
    /// assert_eq!(q.storage().unsynced_len(), 0); // Always: fsynced
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Gives the storage back (without syncing: use [`close`](Self::close) first for that).
    /// Records still in the write buffer are appended first (a failure loses them, as a crash
    /// would).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
    /// q.push("k", b"v")?;
    /// let storage = q.into_storage();
    /// let q = Queue::open(storage, StoreOptions::new())?;
    /// assert_eq!(q.len("k"), 1);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn into_storage(mut self) -> S {
        let _ = self.flush_pending();
        self.storage
    }

    // ----- the steps the std store composes into group commit -----

    /// Whether a take from `key` may run: after close only while the key has entries to drain.
    pub(crate) fn check_takeable(&self, key: &str) -> Result<(), StoreError> {
        if let Some(cause) = &self.poison {
            return Err(StoreError::Poisoned {
                cause: cause.clone(),
            });
        }
        if self.closed && (self.released || self.engine.len(key) == 0) {
            return Err(StoreError::Closed);
        }
        Ok(())
    }

    pub(crate) fn check_writable(&self) -> Result<(), StoreError> {
        if self.closed {
            return Err(StoreError::Closed);
        }
        if let Some(cause) = &self.poison {
            return Err(StoreError::Poisoned {
                cause: cause.clone(),
            });
        }
        Ok(())
    }

    /// Appends an out record and queues the entry; returns its sequence number and the record's
    /// log sequence number (durable once [`durable`](Self::durable_lsn) reaches it).
    pub(crate) fn append_push(
        &mut self,
        key: &str,
        value: &[u8],
    ) -> Result<(u64, u64), StoreError> {
        self.check_writable()?;
        validate_key(key, self.opts.max_key_len)?;
        validate_value(value.len(), self.opts.max_value_len)?;
        let seq = self.next_seq;
        // The last number is never used: replay must be able to compute `seq + 1`.
        if seq == u64::MAX {
            return Err(StoreError::SequenceExhausted);
        }
        self.scratch.clear();
        let frame = self.frame();
        codec::encode_out(&mut self.scratch, frame, seq, key, value)?;
        let lsn = self.append_scratch()?;
        self.next_seq += 1;
        self.live_bytes += self.scratch.len() as u64;
        // A fresh number, above every live one.
        self.live.push_back(
            seq,
            Live {
                key: key.into(),
                value: value.into(),
                stamp: None,
            },
        );
        // An unbounded, open engine takes every value (the store refuses writes after close).
        let _ = self.engine.try_push(key, seq);
        Ok((seq, lsn))
    }

    /// Takes the oldest entry under `key` out of the queue and appends its tombstone; if the
    /// append fails the entry goes back where it was.
    pub(crate) fn append_pull(&mut self, key: &str) -> Result<Option<(Pulled, u64)>, StoreError> {
        self.check_takeable(key)?;
        validate_key(key, self.opts.max_key_len)?;
        let Ok(taken) = self.engine.try_take(key) else {
            return Ok(None);
        };
        self.tombstone_taken(key, taken).map(Some)
    }

    /// Appends the tombstone of an entry just taken from the engine; if the append fails the
    /// entry goes back to the head of its key (after close the engine refuses it: it stays live
    /// in memory and in the log, for the next open).
    fn tombstone_taken(
        &mut self,
        key: &str,
        taken: Taken<u64>,
    ) -> Result<(Pulled, u64), StoreError> {
        let seq = taken.value;
        match self.append_tombstone(key, seq) {
            Ok(lsn) => {
                let l = self
                    .live
                    .remove(seq)
                    .expect("the engine holds live entries");
                let pulled = Pulled {
                    entry: Entry {
                        seq,
                        value: l.value.into_vec(),
                    },
                    stamp: taken.stamp,
                    deliveries: taken.deliveries,
                };
                Ok((pulled, lsn))
            }
            Err(e) => {
                let _ = self.engine.put_back(key, taken);
                Err(e)
            }
        }
    }

    /// The waiting pull's first step: the head of `key` taken and tombstoned now, or a waiter
    /// registered in the engine (strict arrival order; a later push is handed straight to it).
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn pull_or_wait(&mut self, key: &str, waker: W) -> Result<PullStep, StoreError> {
        self.check_takeable(key)?;
        validate_key(key, self.opts.max_key_len)?;
        match self.engine.take_or_wait(key, waker) {
            Ok(TakeOrWait::Taken(t)) => self
                .tombstone_taken(key, t)
                .map(|(p, lsn)| PullStep::Taken(p, lsn)),
            Ok(TakeOrWait::Waiting(id)) => Ok(PullStep::Waiting(id)),
            Err(_) => Err(self.closed_or_poisoned()),
        }
    }

    /// A waiting pull's later steps: still waiting (its waker replaced by `waker`), or handed an
    /// entry (tombstoned now), or ended.
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn claim_pull(
        &mut self,
        key: &str,
        id: WaiterId,
        waker: impl FnOnce(&mut W),
    ) -> Result<PullStep, StoreError> {
        match self.engine.claim(id) {
            Claim::Pending => {
                if let Some(w) = self.engine.payload_mut(id) {
                    waker(w);
                }
                Ok(PullStep::Waiting(id))
            }
            Claim::Taken(t) => {
                if self.poison.is_some() {
                    let _ = self.engine.put_back(key, t);
                    return Err(self.closed_or_poisoned());
                }
                self.tombstone_taken(key, t)
                    .map(|(p, lsn)| PullStep::Taken(p, lsn))
            }
            _ => Err(self.closed_or_poisoned()),
        }
    }

    /// A waiting pull was dropped: an entry handed to it goes back to the head of its key (and
    /// on to the next waiter).
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn cancel_pull(&mut self, id: WaiterId) {
        let _ = self.engine.cancel(id);
    }

    /// Whether a waiting pull was made ready (see [`pop_ready`](Self::pop_ready)).
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    #[inline]
    pub(crate) fn has_ready(&self) -> bool {
        self.engine.has_ready()
    }

    /// The next waiter the engine made ready (handed an entry, or ended by close or poison).
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn pop_ready(&mut self) -> Option<W> {
        self.engine.take_ready().map(|(_, w)| w)
    }

    fn closed_or_poisoned(&self) -> StoreError {
        match &self.poison {
            Some(cause) => StoreError::Poisoned {
                cause: cause.clone(),
            },
            None => StoreError::Closed,
        }
    }

    /// Settles lease `id` in the engine and appends the entry's tombstone; if the append fails
    /// the entry goes back to the head of its key. Returns the record's lsn.
    pub(crate) fn append_ack(&mut self, id: LeaseId) -> Result<u64, StoreError> {
        if let Some(cause) = &self.poison {
            return Err(StoreError::Poisoned {
                cause: cause.clone(),
            });
        }
        // The engine hands back the settled entry (its stamp and delivery count), so a failed
        // append can put it back exactly as it was.
        let taken = self.engine.ack(id).map_err(StoreError::Lease)?;
        let seq = taken.value;
        let key = self
            .live
            .get(seq)
            .expect("the engine holds live entries")
            .key
            .clone();
        match self.append_tombstone(&key, seq) {
            Ok(lsn) => {
                self.live.remove(seq);
                Ok(lsn)
            }
            Err(e) => {
                let _ = self.engine.put_back(&key, taken);
                Err(e)
            }
        }
    }

    fn append_tombstone(&mut self, key: &str, seq: u64) -> Result<u64, StoreError> {
        let len = self.live.get(seq).map_or(0, |l| l.value.len());
        self.scratch.clear();
        let frame = self.frame();
        codec::encode_tombstone(&mut self.scratch, frame, seq, key)?;
        let lsn = self.append_scratch()?;
        self.live_bytes -= codec::record_len(key.len(), len) as u64;
        Ok(lsn)
    }

    /// Puts back an entry whose pull was cancelled after its tombstone was appended: a restore
    /// record goes into the log (so a crash cannot lose the entry) and the entry back into the
    /// queue with its age. Returns the record's log sequence number.
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn append_restore(&mut self, key: &str, pulled: Pulled) -> Result<u64, StoreError> {
        if let Some(cause) = &self.poison {
            return Err(StoreError::Poisoned {
                cause: cause.clone(),
            });
        }
        let Pulled {
            entry,
            stamp,
            deliveries,
        } = pulled;
        self.scratch.clear();
        let frame = self.frame();
        codec::encode_restore(&mut self.scratch, frame, entry.seq, key, &entry.value)?;
        let lsn = self.append_scratch()?;
        self.live_bytes += codec::record_len(key.len(), entry.value.len()) as u64;
        // It left `live` when it was taken, so its number is free.
        let _ = self.live.insert(
            entry.seq,
            Live {
                key: key.into(),
                value: entry.value.into_boxed_slice(),
                stamp: Some(stamp),
            },
        );
        let taken = Taken {
            value: entry.seq,
            stamp,
            deliveries,
        };
        // After close the engine refuses: the entry stays in `live` (and the log) for the next
        // open; the store no longer serves takes anyway.
        let _ = self.engine.put_back(key, taken);
        Ok(lsn)
    }

    /// Marks the store closed without syncing (the std store syncs outside its lock, then calls
    /// [`release_storage`](Self::release_storage)).
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn mark_closed(&mut self) -> bool {
        self.engine.close();
        !core::mem::replace(&mut self.closed, true)
    }

    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn written_lsn(&self) -> u64 {
        self.written
    }

    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn durable_lsn(&self) -> u64 {
        self.durable
    }

    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn syncer(&self) -> S::Syncer {
        self.storage.syncer()
    }

    /// Counts an fsync issued outside (group commit's leader).
    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn note_sync(&mut self) {
        self.syncs += 1;
    }

    /// What a sync issued now covers: the records written so far and the log's length. The
    /// write buffer goes to the storage first; if that fails (the store is then poisoned) the
    /// point covers only what the storage holds.
    pub(crate) fn sync_point(&mut self) -> SyncPoint {
        let _ = self.flush_pending();
        SyncPoint {
            lsn: self.written - self.pending_records,
            len: self.log_len - self.pending.len() as u64,
        }
    }

    /// Hands the write buffer to the storage in one append. A failure poisons: the entries in
    /// memory are ahead of the log, and a partial write may sit at its end.
    fn flush_pending(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if self.poison.is_some() {
            return Err(self.closed_or_poisoned());
        }
        match self.storage.append(&self.pending) {
            Ok(()) => {
                self.pending.clear();
                self.pending_records = 0;
                Ok(())
            }
            Err(e) => {
                let on_disk = self.log_len - self.pending.len() as u64;
                let _ = self.storage.truncate(on_disk);
                self.poison = Some(format!(
                    "{e}; {} buffered records did not reach the log",
                    self.pending_records
                ));
                self.engine.close();
                Err(StoreError::Io(e))
            }
        }
    }

    /// Records that a sync covering `point` succeeded.
    pub(crate) fn mark_durable(&mut self, point: SyncPoint) {
        if point.lsn > self.durable {
            self.durable = point.lsn;
            if self.durable == self.written {
                self.dirty_since_ms = None;
            }
            // A compaction since `point` was taken made the log durable and shorter: keep its
            // (already larger) lsn and its own length.
            self.durable_len = point.len.min(self.log_len);
        }
    }

    /// Where the next record goes and what it may claim is durable.
    fn frame(&self) -> Frame {
        Frame {
            salt: self.salt,
            offset: self.log_len,
            durable: self.durable_len,
        }
    }

    /// The error for the operation whose own fsync failed: the store is poisoned and the
    /// operation's outcome is unknown (its record may or may not be durable).
    pub(crate) fn outcome_unknown(&self, e: StoreError, what: &str) -> StoreError {
        match e {
            StoreError::Io(io) => StoreError::Poisoned {
                cause: format!("{io}; the outcome of this {what} is unknown (it may or may not be in the log after a reopen)"),
            },
            other => other,
        }
    }

    /// Poisons the store with `e` and returns the error for the caller that hit it.
    pub(crate) fn poison_with(&mut self, e: StorageError) -> StoreError {
        if self.poison.is_none() {
            self.poison = Some(e.to_string());
            // Waiting takes end (and find the store poisoned); reads keep answering.
            self.engine.close();
        }
        StoreError::Io(e)
    }

    #[cfg_attr(not(feature = "std"), allow(dead_code))] // used by the std Store
    pub(crate) fn poison_cause(&self) -> Option<&str> {
        self.poison.as_deref()
    }

    /// Compacts if the dead fraction calls for it. A failure leaves the old log in place (or
    /// poisons, if the storage says so) and is not retried until the log has grown further.
    pub(crate) fn maybe_auto_compact(&mut self) -> Result<bool, StoreError> {
        if !self.auto_compact_due() {
            return Ok(false);
        }
        match self.rewrite() {
            Ok(()) => Ok(true),
            Err(e) => {
                self.auto_compact_floor = self.log_len.saturating_add(self.log_len / 2 + 1);
                Err(e)
            }
        }
    }

    /// Whether the dead fraction calls for an automatic compaction now.
    pub(crate) fn auto_compact_due(&self) -> bool {
        let ratio = self.opts.compact_dead_ratio;
        if self.check_writable().is_err()
            || ratio >= 1.0
            || self.log_len < self.opts.compact_min_bytes.max(self.auto_compact_floor)
        {
            return false;
        }
        let dead = self.log_len.saturating_sub(self.live_bytes);
        (dead as f64) > ratio * self.log_len as f64
    }

    /// Appends `scratch` (to the write buffer, when there is one and the record fits); on
    /// failure cuts the log back so nothing is ever written behind garbage.
    fn append_scratch(&mut self) -> Result<u64, StoreError> {
        if self.buffer_cap > 0 {
            if self.pending.len() + self.scratch.len() > self.buffer_cap {
                // Nothing of this record is recorded yet: a failure here adds nothing.
                self.flush_pending()?;
            }
            if self.scratch.len() <= self.buffer_cap {
                if self.pending.capacity() == 0 {
                    self.pending.reserve_exact(self.buffer_cap);
                }
                self.pending.extend_from_slice(&self.scratch);
                self.pending_records += 1;
                self.log_len += self.scratch.len() as u64;
                self.written += 1;
                self.note_dirty();
                return Ok(self.written);
            }
            // Larger than the buffer: written directly, behind the (now empty) buffer.
        }
        match self.storage.append(&self.scratch) {
            Ok(()) => {
                self.log_len += self.scratch.len() as u64;
                self.written += 1;
                self.note_dirty();
                Ok(self.written)
            }
            Err(e) => {
                if e.fatal {
                    return Err(self.poison_with(e));
                }
                if let Err(t) = self.storage.truncate(self.log_len) {
                    // A partial record may sit at the end and we cannot remove it: stop writing.
                    self.poison = Some(format!("{e}; then truncating it back failed: {t}"));
                }
                Err(StoreError::Io(e))
            }
        }
    }

    /// Starts the interval flush's clock at the first unsynced write.
    fn note_dirty(&mut self) {
        if self.dirty_since_ms.is_none() {
            self.dirty_since_ms = Some(self.last_now_ms);
        }
    }

    /// Writes the live entries, in sequence order, as a new log and swaps it in.
    fn rewrite(&mut self) -> Result<(), StoreError> {
        // Queued and leased entries alike, in sequence order (the map's order).
        let live = self
            .live
            .iter()
            .map(|(seq, l)| (seq, l.key.as_str(), &l.value[..]));
        let header = codec::encode_header(FileHeader {
            salt: self.salt,
            base_seq: self.next_seq,
        });
        // No bigger than the new log: a 64 KiB buffer does not fit a small microcontroller's heap.
        let new_log = usize::try_from(self.live_bytes).unwrap_or(usize::MAX);
        let mut chunk = Vec::with_capacity(new_log.min(COMPACT_CHUNK + 1024));
        chunk.extend_from_slice(&header);
        let mut new_len = 0u64;
        let salt = self.salt;
        let result = (|| {
            self.storage.begin_replace()?;
            for (seq, key, value) in live {
                // The new file is durable as a whole before it becomes the log, so each record
                // may claim everything before it.
                let at = new_len + chunk.len() as u64;
                let frame = Frame {
                    salt,
                    offset: at,
                    durable: at,
                };
                // Live entries passed these checks when they were pushed or replayed.
                codec::encode_out(&mut chunk, frame, seq, key, value)
                    .map_err(|e| StorageError::new(StorageOp::Replace, alloc::format!("{e}")))?;
                if chunk.len() >= COMPACT_CHUNK {
                    self.storage.write_replacement(&chunk)?;
                    new_len += chunk.len() as u64;
                    chunk.clear();
                }
            }
            self.storage.write_replacement(&chunk)?;
            new_len += chunk.len() as u64;
            self.storage.commit_replace()
        })();
        match result {
            Ok(()) => {
                // The new log holds every live entry: buffered records are superseded.
                self.pending.clear();
                self.pending_records = 0;
                self.log_len = new_len;
                self.live_bytes = new_len;
                self.durable = self.written;
                self.dirty_since_ms = None;
                self.durable_len = new_len;
                self.compactions += 1;
                Ok(())
            }
            Err(e) => {
                self.storage.abort_replace();
                if e.fatal {
                    Err(self.poison_with(e))
                } else {
                    Err(StoreError::Io(e))
                }
            }
        }
    }
}

/// Writes a whole new log through the storage's atomic replacement.
fn write_replacement<S: Storage>(storage: &mut S, parts: &[&[u8]]) -> Result<(), StoreError> {
    let r = (|| {
        storage.begin_replace()?;
        for p in parts {
            storage.write_replacement(p)?;
        }
        storage.commit_replace()
    })();
    if r.is_err() {
        storage.abort_replace();
    }
    Ok(r?)
}

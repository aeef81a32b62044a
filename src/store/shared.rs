//! The thread-safe store (std): blocking pulls, group commit, the interval flusher.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::boxed::Box;
use std::path::Path;
use std::string::{String, ToString};
use std::sync::{Arc, Weak};
use std::task::Wake;
use std::vec::Vec;

use super::file::FileStorage;
use super::options::{Durability, StoreOptions};
use super::queue::{Lease, OpenReport, PullStep, Pulled, Queue, StoreStats, SyncPoint};
use super::storage::{Storage, StorageError, StorageOp, SyncHandle};
use super::StoreError;
use crate::queue::{LeaseId, WaiterId};
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{DefaultRawMutex, Mutex, RawMutex, WaitQueue, WaiterSlot};

// Committers park their thread; under loom, loom's threads.
#[cfg(loom)]
use loom::thread::{current, park, yield_now, Thread};
#[cfg(not(loom))]
use std::thread::{current, park, yield_now, Thread};

/// Most scheduling turns a group-commit leader gives other writers before its fsync.
const GATHER_TURNS: usize = 4;

/// The durable queue over a log file. See [`Store`].
///
/// ```
/// use lindy::store::FileStore;
/// # let dir = std::env::temp_dir().join(format!("lindy-doc-filestore-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let store = FileStore::open(dir.join("outbox.log"))?;
/// store.push("k", b"v")?;
/// store.close()?;
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
pub type FileStore<R = DefaultRawMutex> = Store<FileStorage, R>;

/// The durable queue, shared between threads and tasks.
///
/// * `push` and `try_take` block the calling thread for the durability step (an fsync under
///   [`Durability::Always`]); [`take`](Store::take) is a future that waits for an entry.
/// * **Group commit**: writers append their record under the lock and then wait for the log to be
///   durable up to it. The first one in becomes the leader and fsyncs *outside* the lock; writers
///   that arrive meanwhile append behind it and the next leader's single fsync covers all of them.
///   Under load, one fsync serves many pushes.
/// * **Poisoning**: if an fsync fails, every write after it fails with `STORE_POISONED`; blocked
///   pulls wake with the same error. Reopen to recover from what the disk really holds.
/// * `peek`, `len`, `keys` read memory and never fail, even after close. They may show a push
///   whose fsync is still in flight; a *pull* never hands out an entry before the entry's record
///   and the pull's tombstone are both durable (one fsync covers both).
///
/// ```
/// use lindy::store::{FaultStorage, Store, StoreOptions};
/// use std::sync::Arc;
/// let store: Arc<Store<FaultStorage>> =
///     Arc::new(Store::with_storage(FaultStorage::new(), StoreOptions::new())?);
/// let consumer = {
///     let store = store.clone();
///     std::thread::spawn(move || futures::executor::block_on(store.take("jobs")))
/// };
/// store.push("jobs", b"from another thread")?; // wakes the waiting take
/// assert_eq!(consumer.join().unwrap()?, b"from another thread");
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
pub struct Store<S: Storage, R: RawMutex = DefaultRawMutex> {
    shared: Arc<Shared<S, R>>,
    /// The background committer: [`Durability::Interval`]'s flusher, and under
    /// [`Durability::Always`] the thread that runs the fsyncs async pulls wait for (started by
    /// the first one), so no `poll` ever blocks on the disk.
    committer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
}

struct Shared<S: Storage, R: RawMutex> {
    state: Mutex<R, State<S>>,
    durability: Durability,
    /// Threads inside a write operation (push, pull): a group-commit leader only waits for
    /// company when there is some.
    busy: AtomicUsize,
    /// The lease clock's zero: lease deadlines are milliseconds since the store was opened.
    epoch: std::time::Instant,
    /// A custom lease clock ([`StoreOptions::with_lease_clock`]).
    clock: Option<fn() -> u64>,
}

impl<S: Storage, R: RawMutex> Shared<S, R> {
    /// Milliseconds on the lease clock.
    fn now_ms(&self) -> u64 {
        match self.clock {
            Some(clock) => clock(),
            None => u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// Counts a thread in [`Shared::busy`] for the life of a write operation.
struct Busy<'a>(&'a AtomicUsize);

impl<'a> Busy<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Busy(count)
    }
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

struct State<S: Storage> {
    /// The queue; its engine keeps the waiting pulls (strict arrival order, direct hand-off) with
    /// their wakers.
    queue: Queue<S, Waker>,
    /// A leader is fsyncing outside the lock.
    syncing: bool,
    /// Writers waiting for the leader's fsync (threads, and async pulls' wakers).
    committers: WaitQueue,
    /// An async pull waits for durability: the committer thread should sync.
    sync_requested: bool,
    /// An async pull found the log due for automatic compaction: the committer thread runs it
    /// (it fsyncs, which a `poll` must not).
    compact_requested: bool,
    /// Async pulls holding a taken entry (tombstone appended, not yet handed out). A closed
    /// store keeps its storage until they are done, so a cancelled one can still restore.
    in_flight: usize,
    stop_flusher: bool,
}

/// Wakes a parked committer thread.
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

enum Step {
    Done(Result<(), StoreError>),
    Lead,
    Wait,
}

impl<S: Storage> State<S> {
    /// Every parked committer, and every waiting pull the engine made ready (handed an entry,
    /// or ended by close or poison).
    fn wake_list(&mut self) -> Vec<Waker> {
        let mut w = Vec::new();
        while let Some(x) = self.committers.notify_one() {
            w.push(x);
        }
        w.extend(self.ready_pullers());
        w
    }

    /// The waiting pulls the engine made ready (a push or a returned lease handed them an
    /// entry), to wake outside the lock.
    fn ready_pullers(&mut self) -> Vec<Waker> {
        // Nobody waiting is the usual case of a push: skip the collecting loop.
        if !self.queue.has_ready() {
            return Vec::new();
        }
        core::iter::from_fn(|| self.queue.pop_ready()).collect()
    }
}

#[inline]
fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

impl<S, R> Shared<S, R>
where
    S: Storage,
    S::Syncer: SyncHandle,
    R: RawMutex,
{
    /// Waits until the log is durable up to `lsn`, leading an fsync if nobody is (group commit).
    fn commit(&self, lsn: u64) -> Result<(), StoreError> {
        let mut slot = WaiterSlot::new();
        let mut waker: Option<Waker> = None;
        loop {
            let step = self.state.lock(|st| {
                if st.queue.durable_lsn() >= lsn {
                    st.committers.remove(&mut slot);
                    return Step::Done(Ok(()));
                }
                if let Some(cause) = st.queue.poison_cause() {
                    st.committers.remove(&mut slot);
                    return Step::Done(Err(StoreError::Poisoned {
                        cause: cause.to_string(),
                    }));
                }
                if !st.syncing {
                    st.syncing = true;
                    st.committers.remove(&mut slot);
                    return Step::Lead;
                }
                let w = waker.get_or_insert_with(|| Waker::from(Arc::new(ThreadWaker(current()))));
                st.committers.register(&mut slot, w);
                Step::Wait
            });
            match step {
                Step::Done(r) => return r,
                Step::Wait => park(),
                Step::Lead => {
                    // If the fsync panics, hand leadership on instead of stranding the followers.
                    struct Resign<'a, S: Storage, R: RawMutex>(&'a Shared<S, R>, bool);
                    impl<S: Storage, R: RawMutex> Drop for Resign<'_, S, R> {
                        fn drop(&mut self) {
                            if self.1 {
                                let w = self.0.state.lock(|st| {
                                    st.syncing = false;
                                    st.wake_list()
                                });
                                wake_all(w);
                            }
                        }
                    }
                    let mut resign = Resign(self, true);
                    let (target, syncer) = self.gather();
                    let r = syncer.sync();
                    resign.1 = false;
                    let (res, w) = self.state.lock(|st| {
                        st.syncing = false;
                        st.queue.note_sync();
                        let res = match r {
                            Ok(()) => {
                                st.queue.mark_durable(target);
                                Ok(())
                            }
                            Err(e) => Err(st.queue.poison_with(e)),
                        };
                        (res, st.wake_list())
                    });
                    wake_all(w);
                    res?;
                }
            }
        }
    }

    /// The leader's wait before its fsync: when other threads are inside write operations,
    /// writers that were just woken, or are between two operations, get scheduling turns to
    /// append first, for as long as each turn brings new records (at most a few). This fills the
    /// batch on a busy machine; a lone writer skips it. Returns what the fsync will cover and the
    /// handle to run it with.
    fn gather(&self) -> (SyncPoint, S::Syncer) {
        let mut seen = self.state.lock(|st| st.queue.written_lsn());
        let company = self.busy.load(Ordering::Relaxed) > 1;
        for _ in 0..if company { GATHER_TURNS } else { 0 } {
            yield_now();
            let now = self.state.lock(|st| st.queue.written_lsn());
            if now == seen {
                break;
            }
            seen = now;
        }
        self.state
            .lock(|st| (st.queue.sync_point(), st.queue.syncer()))
    }

    /// The durability step of a write at `lsn`.
    fn settle(&self, lsn: u64) -> Result<(), StoreError> {
        match self.durability {
            Durability::Always => self.commit(lsn),
            Durability::Interval(_) | Durability::Never => Ok(()),
        }
    }

    /// Makes a taken entry's tombstone durable, then hands the entry out. If the fsync fails the
    /// entry is still handed out (at least once: it may come back after a reopen) and the store
    /// is poisoned.
    fn finish_pull(&self, pulled: Pulled, lsn: u64) -> Vec<u8> {
        let _busy = Busy::enter(&self.busy);
        if self.settle(lsn).is_ok() {
            self.auto_compact();
        }
        pulled.entry.value
    }

    /// After an entry left for good: an automatic compaction if due, and — closed and drained —
    /// the release of the storage.
    fn auto_compact(&self) {
        let w = self.state.lock(|st| {
            let w = match st.queue.maybe_auto_compact() {
                // A compaction made everything durable: release any waiting committer.
                Ok(true) => st.wake_list(),
                Ok(false) => Vec::new(),
                Err(_) => st.wake_list(), // may have poisoned; the pull itself is done and durable
            };
            if st.in_flight == 0 {
                st.queue.release_if_drained();
            }
            w
        });
        wake_all(w);
    }
}

impl Store<FileStorage, DefaultRawMutex> {
    /// Opens (creating if missing) the store logged at `path` with the default
    /// [`StoreOptions`] (durability [`Always`](Durability::Always)).
    ///
    /// Replays the log; a torn tail left by a crash is truncated (see
    /// [`open_report`](Store::open_report)). Errors: `STORE_CORRUPT` for damage before the tail
    /// (with the offset), `IO`.
    ///
    /// ```
    /// use lindy::store::FileStore;
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-open-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("outbox.log");
    /// FileStore::open(&path)?.push("k", b"v")?; // dropped without close: like a crash
    /// let store = FileStore::open(&path)?;
    /// assert_eq!(store.len("k"), 1);
    /// assert!(!store.open_report().created);
    /// # drop(store); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, StoreOptions::new())
    }

    /// Opens with explicit options.
    ///
    /// ```
    /// use lindy::store::{Durability, FileStore, StoreOptions};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-openwith-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let opts = StoreOptions::new().with_durability(Durability::Interval(20));
    /// let store = FileStore::open_with(dir.join("outbox.log"), opts)?;
    /// store.push("k", b"v")?; // fsynced by the flusher thread within 20 ms
    /// store.close()?;
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn open_with(path: impl AsRef<Path>, opts: StoreOptions) -> Result<Self, StoreError> {
        Self::with_storage(FileStorage::open(path)?, opts)
    }
}

impl<S, R> Store<S, R>
where
    S: Storage + Send + 'static,
    S::Syncer: Send,
    R: RawMutex + Send + Sync + 'static,
{
    /// Opens a store over any [`Storage`] (e.g. a [`FaultStorage`](super::FaultStorage) in tests).
    ///
    /// Errors: those of [`Queue::open`], and `IO` if the flusher thread of
    /// [`Durability::Interval`] cannot be started.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let storage = FaultStorage::new();
    /// let store: Store<FaultStorage> = Store::with_storage(storage.clone(), StoreOptions::new())?;
    /// store.push("k", b"v")?;
    /// assert_eq!(storage.unsynced_len(), 0);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn with_storage(storage: S, opts: StoreOptions) -> Result<Self, StoreError> {
        let durability = opts.durability;
        let clock = opts.lease_clock.map(|c| c.0);
        let queue = Queue::open_any(storage, opts)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                queue,
                syncing: false,
                committers: WaitQueue::new(),
                sync_requested: false,
                compact_requested: false,
                in_flight: 0,
                stop_flusher: false,
            }),
            durability,
            busy: AtomicUsize::new(0),
            epoch: std::time::Instant::now(),
            clock,
        });
        let store = Store {
            shared,
            committer: std::sync::Mutex::new(None),
        };
        if let Durability::Interval(_) = durability {
            store.start_committer()?;
        }
        Ok(store)
    }

    /// Starts the committer thread if it is not running (see [`Store`]'s field docs).
    fn start_committer(&self) -> Result<(), StoreError> {
        let mut slot = self
            .committer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_some() {
            return Ok(());
        }
        let interval = match self.shared.durability {
            Durability::Interval(ms) => {
                Some(std::time::Duration::from_millis(u64::from(ms.max(1))))
            }
            _ => None,
        };
        let weak = Arc::downgrade(&self.shared);
        let handle = std::thread::Builder::new()
            .name("lindy-store-committer".into())
            .spawn(move || run_committer(weak, interval))
            .map_err(|e| {
                StoreError::Io(StorageError::new(
                    StorageOp::Sync,
                    std::format!("cannot start the store's committer thread: {e}"),
                ))
            })?;
        *slot = Some(handle);
        Ok(())
    }

    /// Hands a due automatic compaction to the committer thread (from a `poll`, which must not
    /// fsync). If the thread cannot start, the compaction waits for the next synchronous pull.
    fn compact_in_background(&self) {
        let due = self.shared.state.lock(|st| {
            let due = st.queue.auto_compact_due();
            st.compact_requested |= due;
            due
        });
        if due && self.start_committer().is_ok() {
            self.kick_committer();
        }
    }

    fn kick_committer(&self) {
        let slot = self
            .committer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(h) = &*slot {
            h.thread().unpark();
        }
    }
}

/// The committer thread: every interval (Interval mode), or when an async pull asks (Always),
/// it makes the log durable through group commit, which wakes every waiting committer and
/// async pull when done.
fn run_committer<S, R>(shared: Weak<Shared<S, R>>, interval: Option<std::time::Duration>)
where
    S: Storage,
    S::Syncer: SyncHandle,
    R: RawMutex,
{
    let mut wait = interval;
    loop {
        match wait {
            Some(d) => std::thread::park_timeout(d),
            None => std::thread::park(),
        }
        let Some(sh) = shared.upgrade() else { return };
        // Leases: return the expired ones (waking pullers of their keys), sleep until the next.
        let now = sh.now_ms();
        let (w, next) = sh.state.lock(|st| {
            let w = if st.queue.expire_leases(now) > 0 {
                st.ready_pullers()
            } else {
                Vec::new()
            };
            (w, st.queue.lease_deadline())
        });
        wake_all(w);
        let until_lease =
            next.map(|d| std::time::Duration::from_millis(d.saturating_sub(sh.now_ms()).max(1)));
        wait = match (interval, until_lease) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let (stop, lsn, asked, compact) = sh.state.lock(|st| {
            let asked = core::mem::take(&mut st.sync_requested);
            let compact = core::mem::take(&mut st.compact_requested);
            (st.stop_flusher, st.queue.written_lsn(), asked, compact)
        });
        if stop {
            return;
        }
        if interval.is_some() || asked {
            // A failure poisons the store and wakes everyone; nobody to report it to here.
            let _ = sh.commit(lsn);
        }
        if compact {
            sh.auto_compact();
        }
    }
}

impl<S, R> Store<S, R>
where
    S: Storage + Send + 'static,
    S::Syncer: Send,
    R: RawMutex + Send + Sync + 'static,
{
    /// Appends `value` (copied) under `key`. Under [`Durability::Always`] the push is durable when
    /// this returns; concurrent pushes share fsyncs.
    ///
    /// Errors: `KEY_INVALID`, `VALUE_TOO_LARGE`, `SEQUENCE_EXHAUSTED` (nothing written),
    /// `CLOSED`, `IO` (not added), `STORE_POISONED` (not added because the store was poisoned
    /// before — or, when this push's own fsync failed, **outcome unknown**: the entry may or may
    /// not be in the log after a reopen; `docs/log-format.md` §5.5).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("device-7", b"reading")?;
    /// assert_eq!(store.push("", b"x").unwrap_err().code(), "KEY_INVALID");
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn push(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        // The busy count only tells a group-commit leader to wait for company; under `Never`
        // no push waits for an fsync, so its two atomic read-modify-writes are skipped.
        let _busy =
            (self.shared.durability != Durability::Never).then(|| Busy::enter(&self.shared.busy));
        let ((_, lsn), w) = self.shared.state.lock(|st| {
            let r = st.queue.append_push(key, value)?;
            Ok::<_, StoreError>((r, st.ready_pullers()))
        })?;
        wake_all(w);
        // A failed fsync leaves the entry where it is (in the file, maybe durable): the
        // outcome is unknown and the store is poisoned.
        self.shared.settle(lsn).map_err(|e| {
            self.shared
                .state
                .lock(|st| st.queue.outcome_unknown(e, "push"))
        })
    }

    /// Removes and returns (moves out) the oldest entry under `key`, or `None` if it has none,
    /// without waiting for one. The entry's tombstone is durable (under
    /// [`Durability::Always`]) before it is returned. If that fsync fails, the entry is still
    /// returned — delivered at least once: it may come back after a reopen — and the store is
    /// poisoned.
    ///
    /// Errors: `KEY_INVALID`, `CLOSED`, `STORE_POISONED`, `IO` (the entry stays queued).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("k", b"1")?;
    /// assert_eq!(store.try_take("k")?, Some(b"1".to_vec()));
    /// assert_eq!(store.try_take("k")?, None);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn try_take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let _busy = Busy::enter(&self.shared.busy);
        let Some((entry, lsn)) = self.shared.state.lock(|st| st.queue.append_pull(key))? else {
            return Ok(None);
        };
        Ok(Some(self.shared.finish_pull(entry, lsn)))
    }

    /// Renamed [`try_take`](Self::try_take).
    #[deprecated(since = "0.2.0", note = "renamed to `try_take`")]
    pub fn try_pull(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.try_take(key)
    }

    /// Waits for an entry under `key`, then removes and returns it (like
    /// [`try_take`](Self::try_take)); woken by [`push`](Self::push). Waiters on a key are served
    /// in FIFO order. Fails with `CLOSED` if the store is closed while waiting, `STORE_POISONED`
    /// if it is poisoned.
    ///
    /// Under [`Durability::Always`] the future takes the entry, appends its tombstone and then
    /// waits — without blocking its thread — until the store's committer thread has made the
    /// tombstone durable (one group-commit fsync covers every writer waiting at the time).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: dropping the future never loses an entry. Dropped while waiting for an
    /// entry, it removes nothing, and a wake-up it received passes on to the next waiter on the
    /// key. Dropped after it took an entry but before it returned it (waiting for the tombstone's
    /// fsync), it puts the entry back at its place in the key — a restore record in the log, so a
    /// crash cannot lose it either — and waits for that record to be durable: the one case where
    /// dropping blocks the dropping thread, for one group-commit fsync.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("k", b"1")?;
    /// let v = futures::executor::block_on(store.take("k"))?;
    /// assert_eq!(v, b"1");
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn take(&self, key: &str) -> Take<'_, S, R> {
        Take {
            store: self,
            key: key.into(),
            state: PullState::Start,
            slot: WaiterSlot::new(),
        }
    }

    /// Renamed [`take`](Self::take).
    #[deprecated(since = "0.2.0", note = "renamed to `take`")]
    pub fn pull(&self, key: &str) -> Take<'_, S, R> {
        self.take(key)
    }

    /// Takes the oldest entry under `key` on a lease of `lease` (30 s if `None`), without
    /// waiting. Nothing is written: the entry stays in the log until [`ack`](Self::ack) writes its
    /// tombstone; [`nack`](Self::nack) or expiry puts it back at the head of its key (age kept),
    /// waking a waiting [`take`](Self::take). After a crash or a reopen every un-acknowledged
    /// lease is back in the queue: delivery is **at least once**. Expiry runs on the store's
    /// committer thread (started by the first lease).
    ///
    /// Errors: `KEY_INVALID`, `LEASE_INVALID` (zero, or above a year), `CLOSED`, `STORE_POISONED`,
    /// `IO` (the committer thread could not start).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("jobs", b"j")?;
    /// let lease = store.take_leased("jobs", Some(std::time::Duration::from_secs(30)))?.unwrap();
    /// assert_eq!(lease.value, b"j");
    /// store.ack(lease.id)?;
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn take_leased(
        &self,
        key: &str,
        lease: Option<std::time::Duration>,
    ) -> Result<Option<Lease>, StoreError> {
        let ms = lease.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.start_committer()?;
        let now = self.shared.now_ms();
        let r = self.shared.state.lock(|st| {
            st.queue.expire_leases(now);
            st.queue.take_leased(key, ms, now)
        });
        self.kick_committer(); // it sleeps until the earliest deadline
        r
    }

    /// Acknowledges a lease: its entry's tombstone is written and (under
    /// [`Durability::Always`]) durable when this returns; concurrent acks share fsyncs.
    ///
    /// Errors: `LEASE_LOST` (settled, expired or never issued), `CLOSED`, `IO` (the tombstone
    /// could not be written: the entry is back at the head of its key), `STORE_POISONED` (if
    /// this ack's own fsync failed, the outcome is unknown: the entry may come back after a
    /// reopen — at least once).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("jobs", b"j")?;
    /// let lease = store.take_leased("jobs", None)?.unwrap();
    /// store.ack(lease.id)?;
    /// assert!(store.is_empty());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn ack(&self, id: LeaseId) -> Result<(), StoreError> {
        let _busy = Busy::enter(&self.shared.busy);
        let (r, w) = self.shared.state.lock(|st| match st.queue.append_ack(id) {
            Ok(lsn) => (Ok(lsn), Vec::new()),
            // The entry went back to its key: someone may be waiting for it.
            Err(e) => (Err(e), st.ready_pullers()),
        });
        wake_all(w);
        let lsn = r?;
        self.shared.settle(lsn).map_err(|e| {
            self.shared
                .state
                .lock(|st| st.queue.outcome_unknown(e, "ack"))
        })?;
        self.shared.auto_compact();
        Ok(())
    }

    /// Returns a lease: its entry goes back to the head of its key, age kept, and a waiting
    /// [`take`](Self::take) of the key is woken. Nothing is written. Errors: `LEASE_LOST`.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("jobs", b"j")?;
    /// let lease = store.take_leased("jobs", None)?.unwrap();
    /// store.nack(lease.id)?;
    /// assert_eq!(store.try_take("jobs")?, Some(b"j".to_vec()));
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn nack(&self, id: LeaseId) -> Result<(), StoreError> {
        let w = self.shared.state.lock(|st| {
            st.queue.nack(id)?;
            Ok::<_, StoreError>(st.ready_pullers())
        })?;
        wake_all(w);
        Ok(())
    }

    /// Extends a lease to `lease` (30 s if `None`) from now; returns the new deadline in
    /// milliseconds since the store was opened. Errors: `LEASE_INVALID`, `LEASE_LOST`.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("jobs", b"j")?;
    /// let lease = store.take_leased("jobs", Some(std::time::Duration::from_secs(1)))?.unwrap();
    /// let deadline = store.extend(lease.id, Some(std::time::Duration::from_secs(60)))?;
    /// assert!(deadline >= 60_000);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn extend(
        &self,
        id: LeaseId,
        lease: Option<std::time::Duration>,
    ) -> Result<u64, StoreError> {
        let ms = lease.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let now = self.shared.now_ms();
        self.shared.state.lock(|st| st.queue.extend(id, ms, now))
    }

    /// Returns every lease whose deadline has passed to the head of its key now (waking waiting
    /// pulls), and returns how many. The committer thread does this on its own at each deadline;
    /// this is for a custom [lease clock](StoreOptions::with_lease_clock) that was moved.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("jobs", b"j")?;
    /// store.take_leased("jobs", Some(std::time::Duration::from_secs(60)))?;
    /// assert_eq!(store.expire_leases(), 0); // not due yet
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn expire_leases(&self) -> usize {
        let now = self.shared.now_ms();
        let (n, w) = self.shared.state.lock(|st| {
            let n = st.queue.expire_leases(now);
            (
                n,
                if n > 0 {
                    st.ready_pullers()
                } else {
                    Vec::new()
                },
            )
        });
        wake_all(w);
        n
    }

    /// Entries out on a lease.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("jobs", b"j")?;
    /// store.take_leased("jobs", None)?;
    /// assert_eq!((store.leased_len(), store.len("jobs")), (1, 0));
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn leased_len(&self) -> usize {
        self.shared.state.lock(|st| st.queue.leased_len())
    }

    /// A copy of the oldest entry under `key`. Answers after close.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("k", b"1")?;
    /// assert_eq!(store.peek("k"), Some(b"1".to_vec()));
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn peek(&self, key: &str) -> Option<Vec<u8>> {
        self.shared.state.lock(|st| st.queue.peek(key))
    }

    /// Entries under `key`. Answers after close.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("k", b"1")?;
    /// assert_eq!(store.len("k"), 1);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn len(&self, key: &str) -> usize {
        self.shared.state.lock(|st| st.queue.len(key))
    }

    /// Whether the store holds no entry at all.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// assert!(store.is_empty());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.shared.state.lock(|st| st.queue.is_empty())
    }

    /// Keys with at least one entry, sorted. Answers after close.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("b", b"1")?;
    /// store.push("a", b"1")?;
    /// assert_eq!(store.keys(), ["a", "b"]);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn keys(&self) -> Vec<String> {
        self.shared.state.lock(|st| st.queue.keys())
    }

    /// Rewrites the log with only the live entries (temp file, fsync, rename, fsync directory),
    /// keeping order and sequence numbers. Holds the store's lock while it runs (writers wait;
    /// nothing else can change the live set meanwhile).
    ///
    /// Errors: `CLOSED`, `STORE_POISONED`, `IO` (the old log stays in place).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("k", b"1")?;
    /// store.try_take("k")?;
    /// store.compact()?;
    /// assert_eq!(store.stats().log_bytes, 32); // just the header
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn compact(&self) -> Result<(), StoreError> {
        let (r, w) = self.shared.state.lock(|st| {
            let r = st.queue.compact();
            (r, st.wake_list())
        });
        wake_all(w);
        r
    }

    /// Makes every write so far durable (useful under `Interval` and `Never`). Errors:
    /// `STORE_POISONED`, `IO` (which poisons).
    ///
    /// ```
    /// use lindy::store::{Durability, FaultStorage, Store, StoreOptions};
    /// let storage = FaultStorage::new();
    /// let opts = StoreOptions::new().with_durability(Durability::Never);
    /// let store: Store<FaultStorage> = Store::with_storage(storage.clone(), opts)?;
    /// store.push("k", b"v")?;
    /// store.sync()?;
    /// assert_eq!(storage.unsynced_len(), 0);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn sync(&self) -> Result<(), StoreError> {
        let lsn = self.shared.state.lock(|st| st.queue.written_lsn());
        self.shared.commit(lsn)
    }

    /// Closes, by the one close rule of `crate::queue`: afterwards `push` fails with `CLOSED`;
    /// `take`, `try_take` and `take_leased` **drain** what is queued (each writing its tombstone),
    /// then fail with `CLOSED` — and waiting pulls on empty keys wake with it; leases still
    /// settle; `compact` fails with `CLOSED`; `peek`, `len`, `keys` still answer.
    /// Pending writes are synced outside the store's lock (through group commit), and the
    /// storage is released — a [`FileStore`]'s file and lock are closed, so the log can be opened
    /// again, in this process or another — as soon as nothing is left to drain: at once for a
    /// drained store, else when the last entry is taken (or the store is dropped). Idempotent.
    ///
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("k", b"v")?;
    /// store.close()?;
    /// assert_eq!(store.push("k", b"w").unwrap_err().code(), "CLOSED");
    /// assert_eq!(store.try_take("k")?, Some(b"v".to_vec())); // drains
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn close(&self) -> Result<(), StoreError> {
        let (first, lsn, w) = self.shared.state.lock(|st| {
            // The committer thread keeps running (a drain after close still fsyncs through it);
            // dropping the store stops it.
            let first = st.queue.mark_closed();
            (first, st.queue.written_lsn(), st.wake_list())
        });
        wake_all(w);
        self.kick_committer();
        if !first {
            return Ok(());
        }
        // A poisoned store has nothing it could still make durable (that failure was reported).
        let poisoned = self.shared.state.lock(|st| st.queue.is_poisoned());
        let r = if poisoned {
            Ok(())
        } else {
            self.shared.commit(lsn)
        };
        let w = self.shared.state.lock(|st| {
            if st.in_flight == 0 {
                st.queue.release_if_drained();
            }
            st.wake_list()
        });
        wake_all(w);
        r.map_err(|e| {
            self.shared
                .state
                .lock(|st| st.queue.outcome_unknown(e, "close"))
        })
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.close()?;
    /// assert!(store.is_closed());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.state.lock(|st| st.queue.is_closed())
    }

    /// Whether a failed fsync poisoned the store.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let storage = FaultStorage::new();
    /// let store: Store<FaultStorage> = Store::with_storage(storage.clone(), StoreOptions::new())?;
    /// storage.fail_sync(0);
    /// assert_eq!(store.push("k", b"v").unwrap_err().code(), "STORE_POISONED");
    /// assert!(store.is_poisoned());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn is_poisoned(&self) -> bool {
        self.shared.state.lock(|st| st.queue.is_poisoned())
    }

    /// What opening found and repaired (created, records, truncated torn-tail bytes, salvage).
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// assert!(store.open_report().created);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn open_report(&self) -> OpenReport {
        self.shared.state.lock(|st| st.queue.open_report().clone())
    }

    /// Sizes and counters.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// store.push("k", b"v")?;
    /// assert!(store.stats().syncs >= 1); // group commit counts its fsyncs
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn stats(&self) -> StoreStats {
        self.shared.state.lock(|st| st.queue.stats())
    }

    /// The options the store was opened with.
    ///
    /// ```
    /// # use lindy::store::{FaultStorage, Store, StoreOptions};
    /// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
    /// assert_eq!(store.options(), StoreOptions::new());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn options(&self) -> StoreOptions {
        self.shared.state.lock(|st| st.queue.options().clone())
    }
}

impl<S: Storage, R: RawMutex> Drop for Store<S, R> {
    /// Dropping without [`close`](Store::close) does not sync: it is what a crash looks like, and
    /// the tests rely on that. It stops the committer thread.
    fn drop(&mut self) {
        let handle = self
            .committer
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(f) = handle {
            self.shared.state.lock(|st| st.stop_flusher = true);
            f.thread().unpark();
            let _ = f.join();
        }
    }
}

impl<S: Storage, R: RawMutex> core::fmt::Debug for Store<S, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.shared.state.lock(|st| {
            f.debug_struct("Store")
                .field("durability", &self.shared.durability)
                .field("queue", &st.queue)
                .finish()
        })
    }
}

/// The future returned by [`Store::take`].
///
/// # Cancel safety
///
/// Cancel-safe: dropping it never loses an entry (details on [`Store::take`]).
///
/// ```
/// # use lindy::store::{FaultStorage, Store, StoreOptions};
/// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), StoreOptions::new())?;
/// let take = store.take("k"); // nothing yet: it would wait
/// drop(take); // cancel-safe: nothing lost, nothing taken
/// store.push("k", b"v")?;
/// assert_eq!(futures::executor::block_on(store.take("k"))?, b"v");
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[must_use = "futures do nothing unless polled"]
pub struct Take<'a, S: Storage, R: RawMutex = DefaultRawMutex>
where
    S::Syncer: SyncHandle,
{
    store: &'a Store<S, R>,
    key: Box<str>,
    state: PullState,
    /// Registered in the committers while waiting for the tombstone's fsync.
    slot: WaiterSlot,
}

/// Renamed [`Take`].
#[deprecated(since = "0.2.0", note = "renamed to `Take`")]
pub type Pull<'a, S, R = DefaultRawMutex> = Take<'a, S, R>;

enum PullState {
    Start,
    /// Waiting in the queue engine (arrival order; a push is handed straight to it).
    Waiting(WaiterId),
    /// The entry taken and the lsn of its tombstone, while waiting for the fsync.
    Taken(Pulled, u64),
    Done,
}

impl<S, R> Take<'_, S, R>
where
    S: Storage + Send + 'static,
    S::Syncer: Send,
    R: RawMutex + Send + Sync + 'static,
{
    /// Polls the wait for the tombstone's fsync: `Ready` once it is durable (or the store is
    /// poisoned: at least once, the entry is handed out anyway).
    fn poll_durable(&mut self, cx: &mut Context<'_>) -> Poll<Vec<u8>> {
        let PullState::Taken(_, lsn) = &self.state else {
            unreachable!("poll_durable without a taken entry")
        };
        let lsn = *lsn;
        let slot = &mut self.slot;
        let ready = self.store.shared.state.lock(|st| {
            if st.queue.durable_lsn() >= lsn || st.queue.is_poisoned() {
                st.committers.remove(slot);
                st.in_flight -= 1;
                if st.in_flight == 0 {
                    st.queue.release_if_drained();
                }
                return Some(st.queue.is_poisoned());
            }
            st.committers.register(slot, cx.waker());
            if !st.syncing {
                st.sync_requested = true;
            }
            None
        });
        match ready {
            None => {
                self.store.kick_committer();
                Poll::Pending
            }
            Some(poisoned) => {
                let PullState::Taken(entry, _) =
                    core::mem::replace(&mut self.state, PullState::Done)
                else {
                    unreachable!()
                };
                if !poisoned {
                    self.store.compact_in_background();
                }
                Poll::Ready(entry.entry.value)
            }
        }
    }
}

impl<S, R> Future for Take<'_, S, R>
where
    S: Storage + Send + 'static,
    S::Syncer: Send,
    R: RawMutex + Send + Sync + 'static,
{
    type Output = Result<Vec<u8>, StoreError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let PullState::Taken(..) = this.state {
            return this.poll_durable(cx).map(Ok);
        }
        let always = this.store.shared.durability == Durability::Always;
        if always {
            if let Err(e) = this.store.start_committer() {
                return Poll::Ready(Err(e));
            }
        }
        let key = &*this.key;
        let shared = &this.store.shared;
        let state = &this.state;
        let step = shared.state.lock(|st| {
            let r = match state {
                PullState::Waiting(id) => st.queue.claim_pull(key, *id, |w| {
                    if !w.will_wake(cx.waker()) {
                        w.clone_from(cx.waker());
                    }
                }),
                _ => st.queue.pull_or_wait(key, cx.waker().clone()),
            };
            if always {
                if let Ok(PullStep::Taken(..)) = r {
                    st.in_flight += 1;
                }
            }
            r
        });
        match step {
            Ok(PullStep::Waiting(id)) => {
                this.state = PullState::Waiting(id);
                Poll::Pending
            }
            Err(e) => {
                this.state = PullState::Done;
                Poll::Ready(Err(e))
            }
            Ok(PullStep::Taken(entry, _)) if !always => {
                this.state = PullState::Done;
                shared.state.lock(|st| st.queue.release_if_drained());
                this.store.compact_in_background();
                Poll::Ready(Ok(entry.entry.value))
            }
            Ok(PullStep::Taken(entry, lsn)) => {
                this.state = PullState::Taken(entry, lsn);
                this.poll_durable(cx).map(Ok)
            }
        }
    }
}

impl<S: Storage, R: RawMutex> Drop for Take<'_, S, R>
where
    S::Syncer: SyncHandle,
{
    fn drop(&mut self) {
        let key = &*self.key;
        let slot = &mut self.slot;
        let shared = &self.store.shared;
        match core::mem::replace(&mut self.state, PullState::Done) {
            PullState::Taken(entry, _) => {
                // Taken but not handed out: put it back, durably (see `Store::pull`).
                let (restored, w) = shared.state.lock(|st| {
                    st.committers.remove(slot);
                    st.in_flight -= 1;
                    let r = st.queue.append_restore(key, entry);
                    (r, st.ready_pullers())
                });
                wake_all(w);
                if let Ok(lsn) = restored {
                    // A failure poisons the store; the entry is in memory and, if the tombstone
                    // is not durable either, in the log.
                    let _ = shared.commit(lsn);
                }
                shared.state.lock(|st| {
                    if st.in_flight == 0 {
                        st.queue.release_if_drained();
                    }
                });
            }
            PullState::Waiting(id) => {
                // An entry already handed to it goes back to the head of its key and on to the
                // next waiting pull.
                let w = shared.state.lock(|st| {
                    st.queue.cancel_pull(id);
                    st.ready_pullers()
                });
                wake_all(w);
            }
            PullState::Start | PullState::Done => {}
        }
    }
}

impl<S: Storage, R: RawMutex> core::fmt::Debug for Take<'_, S, R>
where
    S::Syncer: SyncHandle,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Take")
            .field("key", &self.key)
            .field("taken", &matches!(self.state, PullState::Taken(..)))
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn file_store_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<FileStore>();
        assert_send_sync::<Store<super::super::FaultStorage>>();
        assert_send_sync::<Take<'static, FileStorage>>();
    }
}

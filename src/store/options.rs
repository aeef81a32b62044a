//! Options, durability modes and the size limits (shared with the browser store).

use super::codec;
use super::StoreError;

/// Default maximum key length in bytes.
///
/// ```
/// use lindy::store::{StoreOptions, DEFAULT_MAX_KEY_LEN};
/// assert_eq!(StoreOptions::new().max_key_len(), DEFAULT_MAX_KEY_LEN);
/// ```
pub const DEFAULT_MAX_KEY_LEN: usize = 1024;
/// Default maximum value length in bytes (16 MiB).
///
/// ```
/// use lindy::store::{StoreOptions, DEFAULT_MAX_VALUE_LEN};
/// assert_eq!(StoreOptions::new().max_value_len(), DEFAULT_MAX_VALUE_LEN);
/// ```
pub const DEFAULT_MAX_VALUE_LEN: usize = 16 << 20;
/// The largest key the log format can hold (its length is a `u16`).
///
/// ```
/// use lindy::store::{StoreOptions, MAX_KEY_LEN};
/// // A larger setting is capped at what the format can hold.
/// assert_eq!(StoreOptions::new().with_max_key_len(usize::MAX).max_key_len(), MAX_KEY_LEN);
/// ```
pub const MAX_KEY_LEN: usize = codec::MAX_KEY_LEN;
/// The largest value the log format can hold: 1 GiB, far below the `u32` record length, so a
/// value never comes near an overflow on a 32-bit target.
///
/// ```
/// use lindy::store::{validate_value, MAX_VALUE_LEN};
/// assert!(validate_value(MAX_VALUE_LEN, usize::MAX).is_ok());
/// assert_eq!(validate_value(MAX_VALUE_LEN + 1, usize::MAX).unwrap_err().code(), "VALUE_TOO_LARGE");
/// ```
pub const MAX_VALUE_LEN: usize = codec::MAX_VALUE_LEN;

/// Checks a key against `max_len` (bytes): it must be non-empty and at most `max_len` long.
///
/// A small public function so every lindy store (file, IndexedDB) rejects the same keys with the
/// same `KEY_INVALID` error.
///
/// ```
/// use lindy::store::validate_key;
/// assert!(validate_key("device-7", 64).is_ok());
/// assert_eq!(validate_key("", 64).unwrap_err().code(), "KEY_INVALID");
/// assert_eq!(validate_key("much-too-long", 4).unwrap_err().code(), "KEY_INVALID");
/// ```
pub const fn validate_key(key: &str, max_len: usize) -> Result<(), StoreError> {
    let max = if max_len < MAX_KEY_LEN {
        max_len
    } else {
        MAX_KEY_LEN
    };
    if key.is_empty() || key.len() > max {
        return Err(StoreError::KeyInvalid {
            len: key.len(),
            max,
        });
    }
    Ok(())
}

/// Checks a value's length against `max_len` (`VALUE_TOO_LARGE` above it).
///
/// ```
/// use lindy::store::validate_value;
/// assert!(validate_value(16, 16).is_ok());
/// assert_eq!(validate_value(17, 16).unwrap_err().code(), "VALUE_TOO_LARGE");
/// ```
pub const fn validate_value(len: usize, max_len: usize) -> Result<(), StoreError> {
    let max = if max_len < MAX_VALUE_LEN {
        max_len
    } else {
        MAX_VALUE_LEN
    };
    if len > max {
        return Err(StoreError::ValueTooLarge { len, max });
    }
    Ok(())
}

/// When a write reaches stable storage.
///
/// ```
/// use lindy::store::{Durability, StoreOptions};
/// let batched = StoreOptions::new().with_durability(Durability::Interval(50)); // fsync every 50 ms
/// assert_eq!(batched.durability(), Durability::Interval(50));
/// assert_eq!(StoreOptions::new().durability(), Durability::Always); // the default
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every push and pull is fsynced before it returns. Concurrent callers share one fsync
    /// (group commit), so throughput grows with concurrency. A crash loses nothing acknowledged.
    #[default]
    Always,
    /// Writes return once they are in the OS page cache; the log is fsynced at most this many
    /// milliseconds later (a background flusher thread in the std store; in the core, the
    /// caller's timer drives [`Queue::poll_timeout`](super::Queue::poll_timeout) /
    /// [`Queue::handle_timeout`](super::Queue::handle_timeout)). A process crash loses nothing; a power
    /// loss may lose the last interval's pushes and resurrect its pulls.
    Interval(u32),
    /// Never fsync (except on [`close`](super::Queue::close)). A process crash loses nothing; a
    /// power loss may lose or resurrect anything since the last close or compaction.
    Never,
}

/// Options for opening a store. Build with [`StoreOptions::new`] and the `with_*` methods.
///
/// ```
/// use lindy::store::{Durability, FaultStorage, Queue, StoreOptions};
/// let opts = StoreOptions::new()
///     .with_durability(Durability::Never)
///     .with_max_value_len(1 << 10)
///     .with_write_buffer(64 << 10);
/// let mut q = Queue::open(FaultStorage::new(), opts)?;
/// assert_eq!(q.push("k", &[0; 2048]).unwrap_err().code(), "VALUE_TOO_LARGE");
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StoreOptions {
    pub(crate) durability: Durability,
    pub(crate) max_key_len: usize,
    pub(crate) max_value_len: usize,
    pub(crate) compact_min_bytes: u64,
    pub(crate) compact_dead_ratio: f64,
    pub(crate) salvage: bool,
    pub(crate) lease_clock: Option<LeaseClock>,
    pub(crate) write_buffer: usize,
}

/// A clock for lease deadlines, in milliseconds (see [`StoreOptions::with_lease_clock`]).
///
/// ```
/// use lindy::store::{FaultStorage, Store, StoreOptions};
/// use std::sync::atomic::{AtomicU64, Ordering};
/// static NOW: AtomicU64 = AtomicU64::new(0);
/// fn clock() -> u64 { NOW.load(Ordering::SeqCst) }
/// let opts = StoreOptions::new().with_lease_clock(clock);
/// let store: Store<FaultStorage> = Store::with_storage(FaultStorage::new(), opts)?;
/// store.push("jobs", b"j1")?;
/// let lease = store.take_leased("jobs", Some(std::time::Duration::from_secs(5)))?.unwrap();
/// assert_eq!(lease.deadline, 5_000);
/// NOW.store(5_000, Ordering::SeqCst); // five seconds pass, on our clock
/// assert_eq!(store.expire_leases(), 1);
/// assert_eq!(store.len("jobs"), 1); // back in the queue
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Clone, Copy)]
pub struct LeaseClock(pub fn() -> u64);

impl core::fmt::Debug for LeaseClock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("LeaseClock(..)")
    }
}

impl PartialEq for LeaseClock {
    fn eq(&self, other: &Self) -> bool {
        // The same function: compared by address.
        self.0 as usize == other.0 as usize
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl StoreOptions {
    /// Defaults: [`Durability::Always`], keys up to [`DEFAULT_MAX_KEY_LEN`], values up to
    /// [`DEFAULT_MAX_VALUE_LEN`], automatic compaction once the log is at least 1 MiB and more than
    /// half of it is dead, no salvage.
    ///
    /// ```
    /// use lindy::store::{Durability, StoreOptions};
    /// const OPTS: StoreOptions = StoreOptions::new(); // usable in a const
    /// assert_eq!(OPTS.durability(), Durability::Always);
    /// assert!(!OPTS.salvage());
    /// ```
    pub const fn new() -> Self {
        StoreOptions {
            durability: Durability::Always,
            max_key_len: DEFAULT_MAX_KEY_LEN,
            max_value_len: DEFAULT_MAX_VALUE_LEN,
            compact_min_bytes: 1 << 20,
            compact_dead_ratio: 0.5,
            salvage: false,
            lease_clock: None,
            write_buffer: 0,
        }
    }

    /// Sets the durability mode.
    ///
    /// ```
    /// use lindy::store::{Durability, StoreOptions};
    /// let o = StoreOptions::new().with_durability(Durability::Never);
    /// assert_eq!(o.durability(), Durability::Never);
    /// ```
    pub const fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Sets the maximum key length in bytes (capped at [`MAX_KEY_LEN`]).
    ///
    /// ```
    /// use lindy::store::StoreOptions;
    /// assert_eq!(StoreOptions::new().with_max_key_len(64).max_key_len(), 64);
    /// ```
    pub const fn with_max_key_len(mut self, max: usize) -> Self {
        self.max_key_len = if max < MAX_KEY_LEN { max } else { MAX_KEY_LEN };
        self
    }

    /// Sets the maximum value length in bytes (capped at [`MAX_VALUE_LEN`]).
    ///
    /// ```
    /// use lindy::store::StoreOptions;
    /// assert_eq!(StoreOptions::new().with_max_value_len(4096).max_value_len(), 4096);
    /// ```
    pub const fn with_max_value_len(mut self, max: usize) -> Self {
        self.max_value_len = if max < MAX_VALUE_LEN {
            max
        } else {
            MAX_VALUE_LEN
        };
        self
    }

    /// Automatic compaction: once the log is at least `min_bytes` long and the dead fraction
    /// (bytes of pulled entries and tombstones over the log length) exceeds `dead_ratio`, the next
    /// pull compacts. A ratio of 1.0 or more (or NaN) turns automatic compaction off.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// // Compact once the log is at least 4 KiB and more than 30 % of it is dead.
    /// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new().with_auto_compact(4096, 0.3))?;
    /// for _ in 0..100 {
    ///     q.push("k", &[7; 64])?;
    ///     q.try_take("k")?;
    /// }
    /// assert!(q.stats().compactions > 0);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn with_auto_compact(mut self, min_bytes: u64, dead_ratio: f64) -> Self {
        self.compact_min_bytes = min_bytes;
        self.compact_dead_ratio = if dead_ratio.is_nan() { 1.0 } else { dead_ratio };
        self
    }

    /// Salvage: open a log with corruption in the middle by skipping the bad bytes (reported in
    /// [`OpenReport::skipped`](super::OpenReport::skipped)) and rewriting the log without them.
    /// Off by default: a corrupt log refuses to open with `STORE_CORRUPT`, so nothing is dropped
    /// without someone deciding to.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Queue, StoreOptions};
    /// let storage = FaultStorage::new();
    /// let mut q = Queue::open(storage.clone(), StoreOptions::new())?;
    /// q.push("k", b"first")?;
    /// q.push("k", b"second")?;
    /// q.push("k", b"third")?;
    /// drop(q);
    /// let mut bytes = storage.contents();
    /// bytes[32 + 32 + 1 + 2] ^= 0xFF; // damage the first record's value
    /// assert_eq!(Queue::open(FaultStorage::from_bytes(bytes.clone()), StoreOptions::new()).unwrap_err().code(), "STORE_CORRUPT");
    /// let q = Queue::open(FaultStorage::from_bytes(bytes), StoreOptions::new().with_salvage(true))?;
    /// assert_eq!(q.len("k"), 2); // the damaged record skipped, and reported
    /// assert_eq!(q.open_report().skipped.len(), 1);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub const fn with_salvage(mut self, salvage: bool) -> Self {
        self.salvage = salvage;
        self
    }

    /// The clock the std store's leases run on, in milliseconds (any origin; it must not go
    /// backwards). The default is monotonic time since the store was opened. A simulated clock
    /// lets a test move lease time without waiting; after moving it, call
    /// [`Store::expire_leases`](super::Store::expire_leases) (the committer thread sleeps on real
    /// time).
    ///
    /// ```
    /// use lindy::store::StoreOptions;
    /// fn frozen() -> u64 { 42 }
    /// let o = StoreOptions::new().with_lease_clock(frozen);
    /// # let _ = o;
    /// ```
    pub const fn with_lease_clock(mut self, clock: fn() -> u64) -> Self {
        self.lease_clock = Some(LeaseClock(clock));
        self
    }

    /// Under [`Durability::Never`] only: records collect in an in-process buffer of up to
    /// `bytes` and reach the log in one `write(2)` when the next one would not fit, and at every
    /// sync point — [`sync`](super::Queue::sync), [`close`](super::Queue::close), a compaction
    /// (which writes the live entries from memory, so the buffer is simply dropped). 0 (the
    /// default) turns it off: one `write(2)` per record. A record larger than the buffer is
    /// written directly (after what is buffered).
    ///
    /// **What it costs.** Without it, a push or pull under `Never` is in the page cache when it
    /// returns, so a process crash (`kill -9`, a panic that aborts) loses nothing. With it, a
    /// process crash — and dropping the store without `close` — loses the records still in the
    /// buffer: at most `bytes` of the newest pushes and pulls, always a suffix of the operations
    /// (the log stays a valid prefix: a pulled entry can come back, an entry pushed after it
    /// cannot survive without it). A failed write of the buffer poisons the store
    /// (`STORE_POISONED`): the entries in memory are then ahead of the log.
    /// Ignored under the other durability modes.
    ///
    /// ```
    /// use lindy::store::{Durability, FaultStorage, Queue, StoreOptions};
    /// let storage = FaultStorage::new();
    /// let opts = StoreOptions::new().with_durability(Durability::Never).with_write_buffer(64 << 10);
    /// let mut q = Queue::open(storage.clone(), opts)?;
    /// let before = storage.contents().len();
    /// q.push("k", b"buffered")?;
    /// assert_eq!(storage.contents().len(), before); // still in the buffer
    /// q.close()?; // a sync point: written and fsynced
    /// assert!(storage.contents().len() > before);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub const fn with_write_buffer(mut self, bytes: usize) -> Self {
        self.write_buffer = bytes;
        self
    }

    /// The write buffer's size in bytes (0: off); see [`with_write_buffer`](Self::with_write_buffer).
    ///
    /// ```
    /// use lindy::store::StoreOptions;
    /// assert_eq!(StoreOptions::new().write_buffer(), 0);
    /// assert_eq!(StoreOptions::new().with_write_buffer(4096).write_buffer(), 4096);
    /// ```
    pub const fn write_buffer(&self) -> usize {
        self.write_buffer
    }

    /// The durability mode.
    ///
    /// ```
    /// use lindy::store::{Durability, StoreOptions};
    /// assert_eq!(StoreOptions::new().durability(), Durability::Always);
    /// ```
    pub const fn durability(&self) -> Durability {
        self.durability
    }

    /// The maximum key length in bytes.
    ///
    /// ```
    /// use lindy::store::StoreOptions;
    /// assert_eq!(StoreOptions::new().with_max_key_len(8).max_key_len(), 8);
    /// ```
    pub const fn max_key_len(&self) -> usize {
        self.max_key_len
    }

    /// The maximum value length in bytes.
    ///
    /// ```
    /// use lindy::store::StoreOptions;
    /// assert_eq!(StoreOptions::new().with_max_value_len(8).max_value_len(), 8);
    /// ```
    pub const fn max_value_len(&self) -> usize {
        self.max_value_len
    }

    /// Whether salvage is on.
    ///
    /// ```
    /// use lindy::store::StoreOptions;
    /// assert!(StoreOptions::new().with_salvage(true).salvage());
    /// ```
    pub const fn salvage(&self) -> bool {
        self.salvage
    }
}

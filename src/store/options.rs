//! Options, durability modes and the size limits (shared with the browser store).

use super::codec;
use super::StoreError;

/// Default maximum key length in bytes.
pub const DEFAULT_MAX_KEY_LEN: usize = 1024;
/// Default maximum value length in bytes (16 MiB).
pub const DEFAULT_MAX_VALUE_LEN: usize = 16 << 20;
/// The largest key the log format can hold (its length is a `u16`).
pub const MAX_KEY_LEN: usize = codec::MAX_KEY_LEN;
/// The largest value the log format can hold: 1 GiB, far below the `u32` record length, so a
/// value never comes near an overflow on a 32-bit target.
pub const MAX_VALUE_LEN: usize = codec::MAX_VALUE_LEN;

/// Checks a key against `max_len` (bytes): it must be non-empty and at most `max_len` long.
///
/// A small public function so every lindy store (file, IndexedDB) rejects the same keys with the
/// same `KEY_INVALID` error.
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
    pub const fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Sets the maximum key length in bytes (capped at [`MAX_KEY_LEN`]).
    pub const fn with_max_key_len(mut self, max: usize) -> Self {
        self.max_key_len = if max < MAX_KEY_LEN { max } else { MAX_KEY_LEN };
        self
    }

    /// Sets the maximum value length in bytes (capped at [`MAX_VALUE_LEN`]).
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
    pub fn with_auto_compact(mut self, min_bytes: u64, dead_ratio: f64) -> Self {
        self.compact_min_bytes = min_bytes;
        self.compact_dead_ratio = if dead_ratio.is_nan() { 1.0 } else { dead_ratio };
        self
    }

    /// Salvage: open a log with corruption in the middle by skipping the bad bytes (reported in
    /// [`OpenReport::skipped`](super::OpenReport::skipped)) and rewriting the log without them.
    /// Off by default: a corrupt log refuses to open with `STORE_CORRUPT`, so nothing is dropped
    /// without someone deciding to.
    pub const fn with_salvage(mut self, salvage: bool) -> Self {
        self.salvage = salvage;
        self
    }

    /// The clock the std store's leases run on, in milliseconds (any origin; it must not go
    /// backwards). The default is monotonic time since the store was opened. A simulated clock
    /// lets a test move lease time without waiting; after moving it, call
    /// [`Store::expire_leases`](super::Store::expire_leases) (the committer thread sleeps on real
    /// time).
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
    pub const fn with_write_buffer(mut self, bytes: usize) -> Self {
        self.write_buffer = bytes;
        self
    }

    /// The write buffer's size in bytes (0: off); see [`with_write_buffer`](Self::with_write_buffer).
    pub const fn write_buffer(&self) -> usize {
        self.write_buffer
    }

    /// The durability mode.
    pub const fn durability(&self) -> Durability {
        self.durability
    }

    /// The maximum key length in bytes.
    pub const fn max_key_len(&self) -> usize {
        self.max_key_len
    }

    /// The maximum value length in bytes.
    pub const fn max_value_len(&self) -> usize {
        self.max_value_len
    }

    /// Whether salvage is on.
    pub const fn salvage(&self) -> bool {
        self.salvage
    }
}

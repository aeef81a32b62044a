//! The single-owner durable queue (documented on [`Queue`]).
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use hashbrown::HashMap;

use super::codec::{self, FileHeader, FILE_HEADER_LEN};
use super::options::{validate_key, validate_value, Durability, StoreOptions};
use super::replay::{replay, Entry, ReplayOptions, Skipped};
use super::storage::{Storage, StorageError, StorageOp};
use super::StoreError;

/// Compaction writes the new file in chunks of about this size.
const COMPACT_CHUNK: usize = 64 << 10;

/// What opening the log found and repaired.
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
    pub fn dead_bytes(&self) -> u64 {
        self.log_bytes.saturating_sub(self.live_bytes)
    }

    /// Dead bytes over the log length, 0.0 for an empty log.
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
pub struct Queue<S: Storage> {
    storage: S,
    opts: StoreOptions,
    salt: u64,
    queues: HashMap<String, VecDeque<Entry>>,
    entries: u64,
    next_seq: u64,
    /// Bytes in the log; every one of them belongs to a good record.
    log_len: u64,
    /// Header plus live out records: the size of a compacted log.
    live_bytes: u64,
    /// Records appended since open (a log sequence number that survives compaction).
    written: u64,
    /// Of `written`, the prefix known durable.
    durable: u64,
    poison: Option<String>,
    closed: bool,
    scratch: Vec<u8>,
    report: OpenReport,
    compactions: u64,
    syncs: u64,
    /// Automatic compaction is not retried below this log length after it failed.
    auto_compact_floor: u64,
    /// Interval mode in the core: when unsynced writes were first seen by `flush_if_due`.
    dirty_since_ms: Option<u64>,
}

impl<S: Storage> core::fmt::Debug for Queue<S> {
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
    pub fn open(mut storage: S, opts: StoreOptions) -> Result<Self, StoreError> {
        let bytes = storage.read_all()?;
        let rep = replay(
            &bytes,
            ReplayOptions {
                salvage: opts.salvage,
            },
        )?;
        drop(bytes);
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
                    storage.sync()?;
                }
                (h.salt, rep.good_len)
            }
        };
        let mut q = Queue {
            storage,
            salt,
            entries: rep.stats.live_entries,
            queues: rep.queues,
            next_seq: rep.next_seq,
            log_len,
            live_bytes: rep.stats.live_bytes.max(FILE_HEADER_LEN as u64),
            written: 0,
            durable: 0,
            poison: None,
            closed: false,
            scratch: Vec::new(),
            report: OpenReport::default(),
            compactions: 0,
            syncs: 0,
            auto_compact_floor: 0,
            dirty_since_ms: None,
            opts,
        };
        if !report.skipped.is_empty() {
            // Salvaged: rewrite now, or the next open would meet the same corruption.
            q.rewrite()?;
        }
        report.live_entries = q.entries;
        q.report = report;
        Ok(q)
    }

    /// Appends `value` under `key`; under [`Durability::Always`] it is durable when this returns.
    ///
    /// Errors: `KEY_INVALID` / `VALUE_TOO_LARGE` (nothing written), `CLOSED`, `STORE_POISONED`,
    /// `IO` (nothing was added; if it was the fsync that failed, the store is now poisoned).
    pub fn push(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let (seq, _) = self.append_push(key, value)?;
        if self.opts.durability == Durability::Always {
            if let Err(e) = self.sync() {
                self.forget(key, seq);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Removes and returns the oldest entry under `key`, or `None` if it has none. Its tombstone
    /// is in the log (durable, under [`Durability::Always`]) before the entry leaves memory.
    ///
    /// Errors: `KEY_INVALID`, `CLOSED`, `STORE_POISONED`, `IO` (the entry stays queued).
    pub fn try_pull(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((entry, _)) = self.append_pull(key)? else {
            return Ok(None);
        };
        if self.opts.durability == Durability::Always {
            if let Err(e) = self.sync() {
                self.restore(key, entry);
                return Err(e);
            }
        }
        let _ = self.maybe_auto_compact();
        Ok(Some(entry.value))
    }

    /// A copy of the oldest entry under `key`. Works after close.
    pub fn peek(&self, key: &str) -> Option<Vec<u8>> {
        self.peek_ref(key).map(<[u8]>::to_vec)
    }

    /// The oldest entry under `key`, borrowed.
    pub fn peek_ref(&self, key: &str) -> Option<&[u8]> {
        self.queues
            .get(key)
            .and_then(VecDeque::front)
            .map(|e| &e.value[..])
    }

    /// Entries queued under `key`. Works after close.
    pub fn len(&self, key: &str) -> usize {
        self.queues.get(key).map_or(0, VecDeque::len)
    }

    /// Whether no key has an entry.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Keys with at least one entry, sorted. Works after close.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.queues.keys().cloned().collect();
        keys.sort_unstable();
        keys
    }

    /// The entries under `key`, oldest first, borrowed (for tools and tests).
    pub fn entries(&self, key: &str) -> impl Iterator<Item = &Entry> + '_ {
        self.queues.get(key).into_iter().flatten()
    }

    /// Rewrites the log with only the live entries (temp file, fsync, rename, fsync directory),
    /// preserving their order and sequence numbers. Everything written before it is durable after.
    ///
    /// Errors: `CLOSED`, `STORE_POISONED`, `IO` (the old log is intact, unless the error says the
    /// rename could not be made durable, which poisons the store).
    pub fn compact(&mut self) -> Result<(), StoreError> {
        self.check_writable()?;
        self.rewrite()
    }

    /// Makes every write so far durable. Errors: `STORE_POISONED`, `IO` (which poisons).
    pub fn sync(&mut self) -> Result<(), StoreError> {
        if let Some(cause) = &self.poison {
            return Err(StoreError::Poisoned {
                cause: cause.clone(),
            });
        }
        if self.durable == self.written {
            return Ok(());
        }
        let target = self.written;
        self.syncs += 1;
        match self.storage.sync() {
            Ok(()) => {
                self.mark_durable(target);
                Ok(())
            }
            Err(e) => Err(self.poison_with(e)),
        }
    }

    /// [`Durability::Interval`] for a core user without threads: call it after writes and at the
    /// returned deadline (milliseconds, same clock as `now_ms`). Syncs once the unsynced writes
    /// first seen by this call are `interval` old. Returns the next deadline, if writes are pending.
    pub fn flush_if_due(&mut self, now_ms: u64) -> Result<Option<u64>, StoreError> {
        let Durability::Interval(ms) = self.opts.durability else {
            return Ok(None);
        };
        if self.durable == self.written || self.poison.is_some() {
            self.dirty_since_ms = None;
            return Ok(None);
        }
        let since = *self.dirty_since_ms.get_or_insert(now_ms);
        let due = since.saturating_add(u64::from(ms));
        if now_ms < due {
            return Ok(Some(due));
        }
        self.dirty_since_ms = None;
        self.sync().map(|()| None)
    }

    /// Syncs what is pending and closes: later pushes, pulls and compactions fail with `CLOSED`;
    /// `peek`, `len` and `keys` still answer. Idempotent (a second close does nothing).
    pub fn close(&mut self) -> Result<(), StoreError> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        if self.poison.is_some() || self.durable == self.written {
            return Ok(());
        }
        let target = self.written;
        self.syncs += 1;
        match self.storage.sync() {
            Ok(()) => {
                self.mark_durable(target);
                Ok(())
            }
            Err(e) => Err(self.poison_with(e)),
        }
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether a failed fsync (or unrecoverable write) poisoned the store.
    pub fn is_poisoned(&self) -> bool {
        self.poison.is_some()
    }

    /// What opening found and repaired.
    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// Sizes and counters.
    pub fn stats(&self) -> StoreStats {
        StoreStats {
            entries: self.entries,
            keys: self.queues.len(),
            log_bytes: self.log_len,
            live_bytes: self.live_bytes,
            appended: self.written,
            durable: self.durable,
            compactions: self.compactions,
            syncs: self.syncs,
        }
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.opts
    }

    /// The storage, e.g. to inspect a [`FaultStorage`](super::FaultStorage).
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Gives the storage back (without syncing: use [`close`](Self::close) first for that).
    pub fn into_storage(self) -> S {
        self.storage
    }

    // ----- the steps the std store composes into group commit -----

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
        self.scratch.clear();
        codec::encode_out(&mut self.scratch, self.salt, seq, key, value)?;
        let lsn = self.append_scratch()?;
        self.next_seq += 1;
        self.live_bytes += self.scratch.len() as u64;
        self.entries += 1;
        self.queues.entry_ref(key).or_default().push_back(Entry {
            seq,
            value: value.to_vec(),
        });
        Ok((seq, lsn))
    }

    /// Appends a tombstone for the oldest entry under `key` and takes the entry out of memory.
    pub(crate) fn append_pull(&mut self, key: &str) -> Result<Option<(Entry, u64)>, StoreError> {
        self.check_writable()?;
        validate_key(key, self.opts.max_key_len)?;
        let Some(seq) = self.queues.get(key).and_then(|q| q.front()).map(|e| e.seq) else {
            return Ok(None);
        };
        self.scratch.clear();
        codec::encode_tombstone(&mut self.scratch, self.salt, seq, key)?;
        let lsn = self.append_scratch()?;
        let q = self.queues.get_mut(key).expect("checked above");
        let entry = q.pop_front().expect("checked above");
        if q.is_empty() {
            self.queues.remove(key);
        }
        self.entries -= 1;
        self.live_bytes -= codec::record_len(key.len(), entry.value.len()) as u64;
        Ok(Some((entry, lsn)))
    }

    /// Puts back an entry whose pull failed to become durable (in sequence order).
    pub(crate) fn restore(&mut self, key: &str, entry: Entry) {
        let q = self.queues.entry_ref(key).or_default();
        let at = q.partition_point(|e| e.seq < entry.seq);
        self.live_bytes += codec::record_len(key.len(), entry.value.len()) as u64;
        self.entries += 1;
        q.insert(at, entry);
    }

    /// Drops an entry whose push failed to become durable (if no one pulled it meanwhile).
    pub(crate) fn forget(&mut self, key: &str, seq: u64) {
        let Some(q) = self.queues.get_mut(key) else {
            return;
        };
        if let Some(at) = q.iter().rposition(|e| e.seq == seq) {
            let e = q.remove(at).expect("index from rposition");
            self.entries -= 1;
            self.live_bytes -= codec::record_len(key.len(), e.value.len()) as u64;
            if q.is_empty() {
                self.queues.remove(key);
            }
        }
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

    pub(crate) fn mark_durable(&mut self, lsn: u64) {
        self.durable = self.durable.max(lsn);
    }

    /// Poisons the store with `e` and returns the error for the caller that hit it.
    pub(crate) fn poison_with(&mut self, e: StorageError) -> StoreError {
        if self.poison.is_none() {
            self.poison = Some(e.to_string());
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
        let ratio = self.opts.compact_dead_ratio;
        if self.check_writable().is_err()
            || ratio >= 1.0
            || self.log_len < self.opts.compact_min_bytes.max(self.auto_compact_floor)
        {
            return Ok(false);
        }
        let dead = self.log_len.saturating_sub(self.live_bytes);
        if (dead as f64) <= ratio * self.log_len as f64 {
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

    /// Appends `scratch`; on failure cuts the log back so nothing is ever written behind garbage.
    fn append_scratch(&mut self) -> Result<u64, StoreError> {
        match self.storage.append(&self.scratch) {
            Ok(()) => {
                self.log_len += self.scratch.len() as u64;
                self.written += 1;
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

    /// Writes the live entries, in sequence order, as a new log and swaps it in.
    fn rewrite(&mut self) -> Result<(), StoreError> {
        let mut live: Vec<(u64, &str, &[u8])> = Vec::with_capacity(self.entries as usize);
        for (key, q) in &self.queues {
            live.extend(q.iter().map(|e| (e.seq, key.as_str(), &e.value[..])));
        }
        live.sort_unstable_by_key(|&(seq, ..)| seq);
        let header = codec::encode_header(FileHeader {
            salt: self.salt,
            base_seq: self.next_seq,
        });
        // No bigger than the new log: a 64 KiB buffer does not fit a small microcontroller's heap.
        let new_log = usize::try_from(self.live_bytes).unwrap_or(usize::MAX);
        let mut chunk = Vec::with_capacity(new_log.min(COMPACT_CHUNK + 1024));
        chunk.extend_from_slice(&header);
        let mut new_len = 0u64;
        let result = (|| {
            self.storage.begin_replace()?;
            for (seq, key, value) in live {
                // Live entries passed these checks when they were pushed or replayed.
                codec::encode_out(&mut chunk, self.salt, seq, key, value)
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
                self.log_len = new_len;
                self.live_bytes = new_len;
                self.durable = self.written;
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

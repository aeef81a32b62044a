//! Rebuilding the queues from the log's bytes.
//!
//! The algorithm (also in `docs/log-format.md`):
//! 1. An empty input is a new log. Otherwise the 32-byte header must be intact (magic, version,
//!    CRC): a damaged header is `STORE_CORRUPT` at offset 0.
//! 2. Records are decoded one after another. An out record appends its entry to its key's FIFO;
//!    a tombstone removes the entry it names, which must be a live entry of that key (the oldest,
//!    unless leases were acknowledged out of order).
//!    Sequence numbers of out records strictly increase. A restore puts a pulled entry back at
//!    its place in sequence order (a pull cancelled after its tombstone was written).
//! 3. At the first record that does not decode (short, bad header, bad CRC), the rest of the
//!    input is searched for a valid record whose `durable` field is beyond the bad offset: a
//!    record written *after* the bad bytes were known durable. None: the bad bytes can be the
//!    unsynced end of the log at a crash (torn, reordered or garbage sectors, and records behind
//!    them that no fsync covered), so they are a **torn tail**: replay stops there and reports how
//!    many bytes to drop. Some: the bytes were durable and then damaged, which no crash does, so
//!    replay fails with `STORE_CORRUPT` naming the offset. Salvage instead skips to the next
//!    valid record (any) and reports the gap.
//!    The search is linear: a candidate offset costs a few structural checks and at most one
//!    constant-size header CRC, and a valid record is skipped whole.
//! 4. A record with a valid CRC that breaks the rules of step 2 is corrupt wherever it is.
//!
//! Replay allocates only what the input holds: every length is checked against the remaining
//! bytes before anything is sliced or copied.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use hashbrown::HashMap;

use super::codec::{self, Decoded, FileHeader, Op, Record, FILE_HEADER_LEN, RECORD_HEADER_LEN};
use super::storage::Storage;
use super::StoreError;

/// A live entry: its sequence number and payload.
///
/// ```
/// # use lindy::store::{codec::*, replay, ReplayOptions};
/// let mut log = encode_header(FileHeader { salt: 7, base_seq: 0 }).to_vec();
/// for (seq, value) in [(0, b"a"), (1, b"b")] {
///     let at = log.len() as u64;
///     encode_out(&mut log, Frame { salt: 7, offset: at, durable: at }, seq, "k", value)?;
/// }
/// let at = log.len() as u64;
/// encode_tombstone(&mut log, Frame { salt: 7, offset: at, durable: at }, 0, "k")?;
/// let r = replay(&log, ReplayOptions::default())?;
/// let e = &r.queues["k"][0];
/// assert_eq!((e.seq, &e.value[..]), (1, &b"b"[..]));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry's sequence number (unique in the log, increasing in push order).
    pub seq: u64,
    /// The payload.
    pub value: Vec<u8>,
}

/// A region skipped by salvage.
///
/// ```
/// # use lindy::store::{codec::*, replay, ReplayOptions};
/// let mut log = encode_header(FileHeader { salt: 7, base_seq: 0 }).to_vec();
/// for (seq, value) in [(0, b"a"), (1, b"b")] {
///     let at = log.len() as u64;
///     encode_out(&mut log, Frame { salt: 7, offset: at, durable: at }, seq, "k", value)?;
/// }
/// let at = log.len() as u64;
/// encode_tombstone(&mut log, Frame { salt: 7, offset: at, durable: at }, 0, "k")?;
/// let first = 32 + 32 + 1; // the first record's value byte
/// log[first] ^= 0xFF;
/// let r = replay(&log, ReplayOptions { salvage: true })?;
/// assert_eq!(r.skipped[0].offset, 32);
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Byte offset where the skipped region starts.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
    /// Why it was skipped.
    pub reason: &'static str,
}

/// Counters gathered during replay.
///
/// ```
/// # use lindy::store::{codec::*, replay, ReplayOptions};
/// let mut log = encode_header(FileHeader { salt: 7, base_seq: 0 }).to_vec();
/// for (seq, value) in [(0, b"a"), (1, b"b")] {
///     let at = log.len() as u64;
///     encode_out(&mut log, Frame { salt: 7, offset: at, durable: at }, seq, "k", value)?;
/// }
/// let at = log.len() as u64;
/// encode_tombstone(&mut log, Frame { salt: 7, offset: at, durable: at }, 0, "k")?;
/// let s = replay(&log, ReplayOptions::default())?.stats;
/// assert_eq!((s.records, s.outs, s.tombstones, s.live_entries), (3, 2, 1, 1));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Valid records read.
    pub records: u64,
    /// Out records among them.
    pub outs: u64,
    /// Tombstones among them.
    pub tombstones: u64,
    /// Restores among them (cancelled pulls whose entries went back).
    pub restores: u64,
    /// Live entries at the end.
    pub live_entries: u64,
    /// Bytes a compacted log would need: the header plus every live out record.
    pub live_bytes: u64,
    /// Bytes fed to CRC-32C: replay's work, linear in the log's size whatever it holds.
    pub crc_bytes: u64,
}

/// What replay found.
///
/// ```
/// # use lindy::store::{codec::*, replay, ReplayOptions};
/// let mut log = encode_header(FileHeader { salt: 7, base_seq: 0 }).to_vec();
/// for (seq, value) in [(0, b"a"), (1, b"b")] {
///     let at = log.len() as u64;
///     encode_out(&mut log, Frame { salt: 7, offset: at, durable: at }, seq, "k", value)?;
/// }
/// let at = log.len() as u64;
/// encode_tombstone(&mut log, Frame { salt: 7, offset: at, durable: at }, 0, "k")?;
/// let r = replay(&log, ReplayOptions::default())?;
/// assert_eq!((r.next_seq, r.good_len, r.torn_tail), (2, log.len() as u64, 0));
/// let torn = replay(&log[..log.len() - 3], ReplayOptions::default())?;
/// assert_eq!(torn.torn_tail, 30); // the cut tombstone: dropped, reported
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// The file header; `None` for an empty input (a log that was never written).
    pub header: Option<FileHeader>,
    /// Live entries per key, oldest first. Keys without live entries are absent.
    pub queues: HashMap<String, VecDeque<Entry>>,
    /// The sequence number the next push gets.
    pub next_seq: u64,
    /// The end of the last good record: where the next append goes.
    pub good_len: u64,
    /// Bytes after `good_len` that form a torn tail (to be truncated before appending).
    pub torn_tail: u64,
    /// Regions skipped by salvage (empty unless salvage is on).
    pub skipped: Vec<Skipped>,
    /// Counters.
    pub stats: ReplayStats,
}

impl Replay {
    /// Bytes of the log that a compaction would reclaim (pulled entries, tombstones, skipped
    /// regions; the torn tail is not counted).
    ///
    /// ```
    /// # use lindy::store::{codec::*, replay, ReplayOptions};
    /// let mut log = encode_header(FileHeader { salt: 7, base_seq: 0 }).to_vec();
    /// for (seq, value) in [(0, b"a"), (1, b"b")] {
    ///     let at = log.len() as u64;
    ///     encode_out(&mut log, Frame { salt: 7, offset: at, durable: at }, seq, "k", value)?;
    /// }
    /// let at = log.len() as u64;
    /// encode_tombstone(&mut log, Frame { salt: 7, offset: at, durable: at }, 0, "k")?;
    /// let r = replay(&log, ReplayOptions::default())?;
    /// assert_eq!(r.dead_bytes(), (record_len(1, 1) + record_len(1, 0)) as u64);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn dead_bytes(&self) -> u64 {
        self.good_len.saturating_sub(self.stats.live_bytes)
    }
}

/// Replay options.
///
/// ```
/// use lindy::store::ReplayOptions;
/// assert!(!ReplayOptions::default().salvage); // corruption refuses to open
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Skip corrupt regions in the middle instead of failing.
    pub salvage: bool,
}

/// Replays a whole log image. See the [module docs](self) for the algorithm.
///
/// ```
/// # use lindy::store::{codec::*, replay, ReplayOptions};
/// let mut log = encode_header(FileHeader { salt: 7, base_seq: 0 }).to_vec();
/// for (seq, value) in [(0, b"a"), (1, b"b")] {
///     let at = log.len() as u64;
///     encode_out(&mut log, Frame { salt: 7, offset: at, durable: at }, seq, "k", value)?;
/// }
/// let at = log.len() as u64;
/// encode_tombstone(&mut log, Frame { salt: 7, offset: at, durable: at }, 0, "k")?;
/// let r = replay(&log, ReplayOptions::default())?;
/// assert_eq!(r.queues["k"].len(), 1);
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
pub fn replay(bytes: &[u8], opts: ReplayOptions) -> Result<Replay, StoreError> {
    let mut queues = HashMap::new();
    let mut out = replay_into(bytes, opts, &mut queues)?;
    out.queues = queues;
    Ok(out)
}

/// Where replay puts the live entries it finds. [`replay`] keeps a FIFO per key; the store
/// builds its map of live entries directly, so opening a big log makes no intermediate copy of
/// its entries. Each method either applies the record or says which rule it breaks (and changes
/// nothing).
pub(crate) trait LiveSet {
    /// An out record (its sequence number is above every earlier one).
    fn push(&mut self, key: &str, seq: u64, value: &[u8]);
    /// A restore of an earlier entry `seq` of `key`.
    fn restore(&mut self, key: &str, seq: u64, value: &[u8]) -> Result<(), &'static str>;
    /// A tombstone: removes entry `seq` of `key`, returning its payload's length.
    fn remove(&mut self, key: &str, seq: u64) -> Result<usize, &'static str>;
}

impl LiveSet for HashMap<String, VecDeque<Entry>> {
    fn push(&mut self, key: &str, seq: u64, value: &[u8]) {
        self.entry_ref(key).or_default().push_back(Entry {
            seq,
            value: value.to_vec(),
        });
    }

    fn restore(&mut self, key: &str, seq: u64, value: &[u8]) -> Result<(), &'static str> {
        let q = self.entry_ref(key).or_default();
        match q.binary_search_by_key(&seq, |e| e.seq) {
            Ok(_) => Err("restore of an entry that is live"),
            Err(at) => {
                q.insert(
                    at,
                    Entry {
                        seq,
                        value: value.to_vec(),
                    },
                );
                Ok(())
            }
        }
    }

    fn remove(&mut self, key: &str, seq: u64) -> Result<usize, &'static str> {
        let Some(q) = self.get_mut(key) else {
            return Err("tombstone for a key with no live entry");
        };
        // Usually the head; any live entry of the key once leases are acknowledged out of
        // order. Entries of a key are in sequence order.
        let gone = match q.binary_search_by_key(&seq, |e| e.seq) {
            Ok(0) => q.pop_front().map_or(0, |e| e.value.len()),
            Ok(at) => q.remove(at).map_or(0, |e| e.value.len()),
            Err(_) => return Err("tombstone for an entry that is not live under its key"),
        };
        if q.is_empty() {
            self.remove(key);
        }
        Ok(gone)
    }
}

/// [`replay`] into `live`; the returned [`Replay`]'s `queues` stay empty.
pub(crate) fn replay_into(
    bytes: &[u8],
    opts: ReplayOptions,
    live: &mut impl LiveSet,
) -> Result<Replay, StoreError> {
    let mut out = Replay::default();
    if bytes.is_empty() {
        return Ok(out);
    }
    let header = codec::decode_header(bytes).map_err(|r| StoreError::corrupt(0, r))?;
    let mut run = Run::new(&mut out, header);
    run.slice(bytes, 0, FILE_HEADER_LEN, opts, live)?;
    run.finish();
    Ok(out)
}

/// Replay reads the log in chunks of this many bytes (a record longer than that is read whole).
///
/// ```
/// use lindy::store::replay::REPLAY_CHUNK;
/// assert_eq!(REPLAY_CHUNK, 1 << 20);
/// ```
pub const REPLAY_CHUNK: usize = 1 << 20;

/// [`replay_into`] reading `storage` through [`Storage::read_at`] in [`REPLAY_CHUNK`]s, decoding
/// each record in place: memory holds one chunk, not the log. Only a log with a bad record
/// (a torn tail, or damage) has the rest of it read into memory from that record on, for the
/// forward search of step 3 — the same bytes at the same offsets, so the outcome is
/// [`replay_into`]'s on the whole image.
pub(crate) fn replay_storage<S: Storage>(
    storage: &mut S,
    opts: ReplayOptions,
    live: &mut impl LiveSet,
) -> Result<Replay, StoreError> {
    replay_chunked(storage, opts, live, REPLAY_CHUNK)
}

/// [`replay_storage`] with chunks of `chunk` bytes (the tests use tiny ones, so records straddle
/// chunk boundaries everywhere).
fn replay_chunked<S: Storage>(
    storage: &mut S,
    opts: ReplayOptions,
    live: &mut impl LiveSet,
    chunk: usize,
) -> Result<Replay, StoreError> {
    let mut out = Replay::default();
    let file_len = storage.size()?;
    if file_len == 0 {
        return Ok(out);
    }
    let mut r = Chunks::new(file_len, chunk.max(1));
    r.fill(storage, 0, FILE_HEADER_LEN)?;
    let header = codec::decode_header(r.at(0)).map_err(|e| StoreError::corrupt(0, e))?;
    let mut run = Run::new(&mut out, header);
    let mut pos = FILE_HEADER_LEN as u64;
    loop {
        let bytes = r.at(pos);
        if bytes.is_empty() && r.eof() {
            break;
        }
        match codec::decode_record_counted(bytes, header.salt, pos, &mut run.out.stats.crc_bytes) {
            Decoded::Record(rec, len) => {
                run.record(rec, pos, len, opts, live)?;
                pos += len as u64;
                run.out.good_len = pos;
            }
            Decoded::Truncated { needed } if !r.eof() => {
                let needed = usize::try_from(needed).unwrap_or(usize::MAX);
                r.fill(storage, pos, needed)?;
            }
            _ => {
                // A bad record: the search after it needs the rest of the log.
                let rest = r.rest(storage, pos)?;
                run.slice(&rest, pos, 0, opts, live)?;
                break;
            }
        }
    }
    run.finish();
    Ok(out)
}

/// A window on the log: `buf[..filled]` holds the bytes at `base..`. Allocated once (one chunk,
/// or a record longer than that) and refilled in place.
struct Chunks {
    buf: Vec<u8>,
    filled: usize,
    base: u64,
    file_len: u64,
    chunk: usize,
}

impl Chunks {
    fn new(file_len: u64, chunk: usize) -> Self {
        Chunks {
            buf: Vec::new(),
            filled: 0,
            base: 0,
            file_len,
            chunk,
        }
    }

    /// Whether the window reaches the end of the log.
    fn eof(&self) -> bool {
        self.base + self.filled as u64 >= self.file_len
    }

    /// The bytes in hand from offset `pos` (inside the window) on.
    fn at(&self, pos: u64) -> &[u8] {
        let from = usize::try_from(pos - self.base).map_or(self.filled, |p| p.min(self.filled));
        &self.buf[from..self.filled]
    }

    /// Moves the window to start at `pos` and reads until it holds `needed` bytes from there
    /// (at least a chunk), or the log ends.
    fn fill<S: Storage>(
        &mut self,
        storage: &mut S,
        pos: u64,
        needed: usize,
    ) -> Result<(), StoreError> {
        let keep = self.at(pos).len();
        let from = self.filled - keep;
        self.buf.copy_within(from..self.filled, 0);
        self.base = pos;
        self.filled = keep;
        let left = usize::try_from(self.file_len - pos).unwrap_or(usize::MAX);
        let want = needed.max(self.chunk).min(left);
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        while self.filled < want {
            let at = self.base + self.filled as u64;
            let n = storage.read_at(at, &mut self.buf[self.filled..want])?;
            if n == 0 {
                // The log is shorter than its size said: what was read is all there is.
                self.file_len = at;
                break;
            }
            self.filled += n;
        }
        Ok(())
    }

    /// Everything from `pos` to the end of the log.
    fn rest<S: Storage>(&mut self, storage: &mut S, pos: u64) -> Result<Vec<u8>, StoreError> {
        let left = usize::try_from(self.file_len - pos).unwrap_or(usize::MAX);
        let mut rest = Vec::with_capacity(left);
        rest.extend_from_slice(self.at(pos));
        let mut at = rest.len();
        rest.resize(left, 0);
        while at < left {
            let n = storage.read_at(pos + at as u64, &mut rest[at..])?;
            if n == 0 {
                break;
            }
            at += n;
        }
        rest.truncate(at);
        Ok(rest)
    }
}

/// The state of one replay: the result so far and the rule state that spans records.
struct Run<'o> {
    out: &'o mut Replay,
    header: FileHeader,
    after_last_out: u64,
}

impl<'o> Run<'o> {
    fn new(out: &'o mut Replay, header: FileHeader) -> Self {
        out.header = Some(header);
        out.stats.live_bytes = FILE_HEADER_LEN as u64;
        out.good_len = FILE_HEADER_LEN as u64;
        Run {
            out,
            header,
            after_last_out: 0,
        }
    }

    fn finish(self) {
        self.out.good_len = self.out.good_len.max(FILE_HEADER_LEN as u64);
        self.out.next_seq = self.header.base_seq.max(self.after_last_out);
    }

    /// A valid record at offset `pos`: applied, or (breaking the rules) corrupt or skipped.
    fn record(
        &mut self,
        rec: Record<'_>,
        pos: u64,
        len: usize,
        opts: ReplayOptions,
        live: &mut impl LiveSet,
    ) -> Result<(), StoreError> {
        if let Err(reason) = apply(self.out, live, &mut self.after_last_out, rec, len) {
            if !opts.salvage {
                return Err(StoreError::corrupt(pos, reason));
            }
            self.out.skipped.push(Skipped {
                offset: pos,
                len: len as u64,
                reason,
            });
        }
        Ok(())
    }

    /// Replays the records of `bytes` — the log from offset `base` to its end — starting at
    /// `bytes[start..]`, including the search after a bad record (step 3 of the module docs).
    fn slice(
        &mut self,
        bytes: &[u8],
        base: u64,
        start: usize,
        opts: ReplayOptions,
        live: &mut impl LiveSet,
    ) -> Result<(), StoreError> {
        let salt = self.header.salt;
        let mut pos = start;
        while pos < bytes.len() {
            let at = base + pos as u64;
            let crc = &mut self.out.stats.crc_bytes;
            match codec::decode_record_counted(&bytes[pos..], salt, at, crc) {
                Decoded::Record(rec, len) => {
                    self.record(rec, at, len, opts, live)?;
                    pos += len;
                }
                bad => {
                    let reason = match bad {
                        Decoded::Invalid(r) => r,
                        _ => "record cut short",
                    };
                    // Salvage keeps every valid record it can find; a normal open asks whether
                    // the bad bytes can be the unsynced tail of a crash: only a record written
                    // after they were durable proves they cannot (docs/log-format.md §3).
                    let durable_after = |r: &Record<'_>| r.durable > at;
                    let crc = &mut self.out.stats.crc_bytes;
                    let found = if opts.salvage {
                        scan(bytes, base, pos + 1, salt, crc, |_| true)
                    } else {
                        scan(bytes, base, pos + 1, salt, crc, durable_after)
                    };
                    match found {
                        None => {
                            self.out.torn_tail = (bytes.len() - pos) as u64;
                            break;
                        }
                        Some(next) if opts.salvage => {
                            self.out.skipped.push(Skipped {
                                offset: at,
                                len: (next - pos) as u64,
                                reason,
                            });
                            pos = next;
                        }
                        Some(next) => {
                            let next = base + next as u64;
                            return Err(StoreError::corrupt(
                                at,
                                format!(
                                    "{reason}, followed by the record at offset {next}, written \
                                     after offset {at} was durable"
                                ),
                            ));
                        }
                    }
                }
            }
            self.out.good_len = base + pos as u64;
        }
        Ok(())
    }
}

/// Applies one valid record; an error means the record breaks the log's rules.
fn apply(
    out: &mut Replay,
    live: &mut impl LiveSet,
    after_last_out: &mut u64,
    rec: Record<'_>,
    len: usize,
) -> Result<(), &'static str> {
    match rec.op {
        Op::Out => {
            // Out records' sequence numbers strictly increase through the file (compaction keeps
            // them); the header's base_seq is only a floor for the next one.
            if rec.seq < *after_last_out {
                return Err("sequence number goes backwards");
            }
            let next = rec.seq.checked_add(1).ok_or("sequence number overflow")?;
            live.push(rec.key, rec.seq, rec.value);
            *after_last_out = next;
            out.stats.outs += 1;
            out.stats.live_entries += 1;
            out.stats.live_bytes += len as u64;
        }
        Op::Restore => {
            if rec.seq >= *after_last_out {
                return Err("restore of an entry that was never pushed");
            }
            live.restore(rec.key, rec.seq, rec.value)?;
            out.stats.restores += 1;
            out.stats.live_entries += 1;
            out.stats.live_bytes += len as u64;
        }
        Op::Tombstone => {
            let gone = live.remove(rec.key, rec.seq)?;
            out.stats.tombstones += 1;
            out.stats.live_entries -= 1;
            out.stats.live_bytes -= codec::record_len(rec.key.len(), gone) as u64;
        }
    }
    out.stats.records += 1;
    Ok(())
}

/// The index of the first valid record at or after `from` in `bytes` (the log from offset
/// `base` on) for which `wanted` holds. Each candidate offset costs the cheap structural checks
/// and at most one header CRC; a valid record that is not wanted is skipped whole (its header is
/// this log's, written at that offset, so nothing else starts inside it). The work is therefore
/// linear in `bytes.len() - from`, whatever the bytes hold; `hashed` counts the bytes fed to the
/// CRC.
fn scan(
    bytes: &[u8],
    base: u64,
    from: usize,
    salt: u64,
    hashed: &mut u64,
    wanted: impl Fn(&Record<'_>) -> bool,
) -> Option<usize> {
    let mut p = from;
    while p + RECORD_HEADER_LEN <= bytes.len() {
        match codec::decode_record_counted(&bytes[p..], salt, base + p as u64, hashed) {
            Decoded::Record(r, _) if wanted(&r) => return Some(p),
            Decoded::Record(_, len) => p += len,
            _ => p += 1,
        }
    }
    None
}

/// The offset of the first valid record at or after `from`, if any (linear time: see the
/// module docs).
///
/// ```
/// # use lindy::store::{codec::*, replay, ReplayOptions};
/// let mut log = encode_header(FileHeader { salt: 7, base_seq: 0 }).to_vec();
/// for (seq, value) in [(0, b"a"), (1, b"b")] {
///     let at = log.len() as u64;
///     encode_out(&mut log, Frame { salt: 7, offset: at, durable: at }, seq, "k", value)?;
/// }
/// let at = log.len() as u64;
/// encode_tombstone(&mut log, Frame { salt: 7, offset: at, durable: at }, 0, "k")?;
/// let second = 32 + record_len(1, 1);
/// assert_eq!(lindy::store::replay::find_next_record(&log, 33, 7), Some(second));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
pub fn find_next_record(bytes: &[u8], from: usize, salt: u64) -> Option<usize> {
    scan(bytes, 0, from, salt, &mut 0, |_| true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{encode_header, encode_out, encode_restore, encode_tombstone, Frame};
    use alloc::vec;

    const SALT: u64 = 99;

    /// A log whose every record was written after everything before it was durable.
    fn log(records: &[(Op, u64, &str, &[u8])]) -> (Vec<u8>, Vec<usize>) {
        log_durable_at(records, |at| at)
    }

    /// A log whose record at offset `at` says `durable(at)` was durable when it was written.
    fn log_durable_at(
        records: &[(Op, u64, &str, &[u8])],
        durable: impl Fn(u64) -> u64,
    ) -> (Vec<u8>, Vec<usize>) {
        let mut b = encode_header(FileHeader {
            salt: SALT,
            base_seq: 0,
        })
        .to_vec();
        let mut starts = vec![];
        for &(op, seq, key, value) in records {
            starts.push(b.len());
            let at = b.len() as u64;
            let f = Frame {
                salt: SALT,
                offset: at,
                durable: durable(at),
            };
            match op {
                Op::Out => encode_out(&mut b, f, seq, key, value).unwrap(),
                Op::Tombstone => encode_tombstone(&mut b, f, seq, key).unwrap(),
                Op::Restore => encode_restore(&mut b, f, seq, key, value).unwrap(),
            }
        }
        (b, starts)
    }

    fn values(r: &Replay, key: &str) -> Vec<Vec<u8>> {
        r.queues
            .get(key)
            .map(|q| q.iter().map(|e| e.value.clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn live_entries_are_outs_without_tombstones() {
        let (b, _) = log(&[
            (Op::Out, 0, "a", b"1"),
            (Op::Out, 1, "a", b"2"),
            (Op::Out, 2, "b", b"3"),
            (Op::Tombstone, 0, "a", b""),
        ]);
        let r = replay(&b, ReplayOptions::default()).unwrap();
        assert_eq!(values(&r, "a"), [b"2".to_vec()]);
        assert_eq!(values(&r, "b"), [b"3".to_vec()]);
        assert_eq!(r.next_seq, 3);
        assert_eq!(r.good_len, b.len() as u64);
        assert_eq!((r.stats.records, r.stats.live_entries), (4, 2));
        assert_eq!(
            r.stats.live_bytes,
            (FILE_HEADER_LEN + 2 * codec::record_len(1, 1)) as u64
        );
    }

    #[test]
    fn a_torn_tail_is_reported_not_fatal() {
        let (b, starts) = log(&[(Op::Out, 0, "a", b"1"), (Op::Out, 1, "a", b"22")]);
        for cut in starts[1]..b.len() {
            let r = replay(&b[..cut], ReplayOptions::default()).unwrap();
            assert_eq!(values(&r, "a"), [b"1".to_vec()]);
            assert_eq!(r.good_len, starts[1] as u64);
            assert_eq!(r.torn_tail, (cut - starts[1]) as u64);
        }
    }

    #[test]
    fn corruption_in_the_middle_refuses_or_salvages() {
        let (mut b, starts) = log(&[
            (Op::Out, 0, "a", b"1"),
            (Op::Out, 1, "a", b"2"),
            (Op::Out, 2, "a", b"3"),
        ]);
        b[starts[1] + 33] ^= 0xFF; // the value byte of the middle record
        let e = replay(&b, ReplayOptions::default()).unwrap_err();
        assert_eq!(e.corrupt_offset(), Some(starts[1] as u64));
        let r = replay(&b, ReplayOptions { salvage: true }).unwrap();
        assert_eq!(values(&r, "a"), [b"1".to_vec(), b"3".to_vec()]);
        assert_eq!(r.skipped.len(), 1);
        assert_eq!(r.skipped[0].offset, starts[1] as u64);
        assert_eq!(r.skipped[0].len, (starts[2] - starts[1]) as u64);
    }

    #[test]
    fn a_damaged_header_is_corrupt_at_zero() {
        let (mut b, _) = log(&[(Op::Out, 0, "a", b"1")]);
        b[3] ^= 1;
        assert_eq!(
            replay(&b, ReplayOptions::default())
                .unwrap_err()
                .corrupt_offset(),
            Some(0)
        );
    }

    #[test]
    fn rule_breaking_records_are_corrupt() {
        let (b, s) = log(&[(Op::Out, 5, "a", b"1"), (Op::Out, 4, "a", b"2")]);
        assert_eq!(
            replay(&b, ReplayOptions::default())
                .unwrap_err()
                .corrupt_offset(),
            Some(s[1] as u64)
        );
        // A tombstone must name a live entry of its key (any one: leases are acknowledged in
        // any order).
        for bad in [(3, "a"), (0, "b")] {
            let (b, s) = log(&[
                (Op::Out, 0, "a", b"1"),
                (Op::Out, 1, "a", b"2"),
                (Op::Tombstone, bad.0, bad.1, b""),
            ]);
            assert_eq!(
                replay(&b, ReplayOptions::default())
                    .unwrap_err()
                    .corrupt_offset(),
                Some(s[2] as u64)
            );
        }
        let (b, _) = log(&[
            (Op::Out, 0, "a", b"1"),
            (Op::Out, 1, "a", b"2"),
            (Op::Tombstone, 1, "a", b""),
        ]);
        let r = replay(&b, ReplayOptions::default()).unwrap();
        assert_eq!(values(&r, "a"), [b"1".to_vec()], "an out-of-order ack");
    }

    #[test]
    fn empty_input_is_a_new_log() {
        let r = replay(&[], ReplayOptions::default()).unwrap();
        assert!(r.header.is_none() && r.queues.is_empty());
    }

    #[test]
    fn a_restore_puts_a_pulled_entry_back_in_sequence_order() {
        let (b, _) = log(&[
            (Op::Out, 0, "a", b"1"),
            (Op::Out, 1, "a", b"2"),
            (Op::Tombstone, 0, "a", b""),
            (Op::Restore, 0, "a", b"1"),
        ]);
        let r = replay(&b, ReplayOptions::default()).unwrap();
        assert_eq!(values(&r, "a"), [b"1".to_vec(), b"2".to_vec()]);
        assert_eq!(
            r.stats.live_bytes,
            (FILE_HEADER_LEN + 2 * codec::record_len(1, 1)) as u64
        );
        for bad in [
            &[
                (Op::Out, 0, "a", b"1" as &[u8]),
                (Op::Restore, 0, "a", b"1"),
            ][..],
            &[
                (Op::Out, 0, "a", b"1" as &[u8]),
                (Op::Restore, 5, "a", b"1"),
            ][..],
        ] {
            let (b, s) = log(bad);
            assert_eq!(
                replay(&b, ReplayOptions::default())
                    .unwrap_err()
                    .corrupt_offset(),
                Some(s[1] as u64)
            );
        }
    }

    #[test]
    fn bad_bytes_followed_only_by_unsynced_records_are_a_torn_tail() {
        // A crash that reordered an unsynced batch: the middle record never reached the disk,
        // the one after it did. Both were written while only the first record was durable.
        let first_end = (FILE_HEADER_LEN + codec::record_len(1, 1)) as u64;
        let (mut b, starts) = log_durable_at(
            &[
                (Op::Out, 0, "a", b"1"),
                (Op::Out, 1, "a", b"2"),
                (Op::Out, 2, "a", b"3"),
            ],
            |at| at.min(first_end),
        );
        b[starts[1]..starts[2]].fill(0);
        let r = replay(&b, ReplayOptions::default()).unwrap();
        assert_eq!(values(&r, "a"), [b"1".to_vec()]);
        assert_eq!(r.good_len, starts[1] as u64);
        assert_eq!(r.torn_tail, (b.len() - starts[1]) as u64);
    }

    /// Issue 16, defect 1: a value of little-endian integers torn by one byte made every aligned
    /// offset look like a record length and cost a CRC over the rest: quadratic. Recovery is now
    /// linear; asserted on the work done (bytes hashed), not on time.
    #[test]
    fn a_torn_megabyte_of_integers_is_recovered_in_linear_work() {
        let value: Vec<u8> = core::iter::repeat_n(400_000u32.to_le_bytes(), 1 << 18)
            .flatten()
            .collect();
        let (b, starts) = log(&[(Op::Out, 0, "a", b"1"), (Op::Out, 1, "a", &value)]);
        let torn = &b[..b.len() - 1];
        let r = replay(torn, ReplayOptions::default()).unwrap();
        assert_eq!(values(&r, "a"), [b"1".to_vec()]);
        assert_eq!(r.good_len, starts[1] as u64);
        assert!(
            r.stats.crc_bytes < 2 * torn.len() as u64,
            "{} bytes hashed for a {}-byte log",
            r.stats.crc_bytes,
            torn.len()
        );
    }

    /// The worst case for the search: a payload built of fake record headers that pass every
    /// structural check. Each offset still costs one constant-size header CRC.
    #[test]
    fn a_payload_of_plausible_headers_costs_a_header_crc_per_offset_at_most() {
        let mut fake = [0u8; 32];
        fake[8] = 1; // op out
        fake[10] = 1; // key_len 1
        fake[12] = 4; // value_len 4
        let value: Vec<u8> = core::iter::repeat_n(fake, 1 << 13).flatten().collect();
        let (b, _) = log(&[(Op::Out, 0, "a", b"1"), (Op::Out, 1, "a", &value)]);
        let torn = &b[..b.len() - 1];
        let r = replay(torn, ReplayOptions::default()).unwrap();
        assert_eq!(r.stats.records, 1);
        // Two offsets in each 32-byte fake pass the structural checks: 2 x 40 bytes per 32.
        assert!(
            r.stats.crc_bytes < 3 * torn.len() as u64,
            "{} bytes hashed for a {}-byte log",
            r.stats.crc_bytes,
            torn.len()
        );
    }

    /// Issue 16, defect 2: a log pushed into itself as a payload, torn. Its embedded records were
    /// written for other offsets, so they never validate here and the tear is a tear.
    #[test]
    fn a_log_forwarded_through_itself_and_torn_is_a_torn_tail() {
        let (inner, _) = log(&[
            (Op::Out, 0, "a", b"1"),
            (Op::Out, 1, "b", b"2"),
            (Op::Tombstone, 0, "a", b""),
        ]);
        let (b, starts) = log(&[(Op::Out, 0, "a", b"1"), (Op::Out, 1, "a", &inner)]);
        for cut in starts[1] + 1..b.len() {
            let r = replay(&b[..cut], ReplayOptions::default()).unwrap();
            assert_eq!(values(&r, "a"), [b"1".to_vec()], "cut at {cut}");
            assert_eq!(r.good_len, starts[1] as u64);
        }
        let r = replay(&b, ReplayOptions::default()).unwrap();
        assert_eq!(values(&r, "a"), [b"1".to_vec(), inner.clone()]);
    }

    /// Replays `bytes` whole and through a storage in chunks of every size from 1 to 97 bytes
    /// (records straddle every boundary): the outcomes must be the same.
    fn same_in_chunks(bytes: &[u8], opts: ReplayOptions) {
        let whole = replay(bytes, opts);
        // Under Miri (interpreted, `make miri`) a few sizes stand for all of them.
        let sizes: Vec<usize> = if cfg!(miri) {
            vec![1, 7, 32, 33, 4096]
        } else {
            (1..=97).chain([4096]).collect()
        };
        for chunk in sizes {
            let mut storage = crate::store::FaultStorage::from_bytes(bytes.to_vec());
            let mut queues = HashMap::new();
            let chunked = replay_chunked(&mut storage, opts, &mut queues, chunk).map(|mut r| {
                r.queues = queues;
                r
            });
            match (&whole, &chunked) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.queues, b.queues, "chunk {chunk}");
                    // A record cut by a chunk boundary has its header checked again once the
                    // window holds it: at most two more header CRCs per record.
                    let (mut sa, mut sb) = (a.stats, b.stats);
                    let extra = sb.crc_bytes - sa.crc_bytes;
                    assert!(extra <= 2 * 40 * (sa.records + 1), "chunk {chunk}: {extra}");
                    (sa.crc_bytes, sb.crc_bytes) = (0, 0);
                    assert_eq!(
                        (
                            a.header,
                            a.next_seq,
                            a.good_len,
                            a.torn_tail,
                            &a.skipped,
                            sa
                        ),
                        (
                            b.header,
                            b.next_seq,
                            b.good_len,
                            b.torn_tail,
                            &b.skipped,
                            sb
                        ),
                        "chunk {chunk}"
                    );
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "chunk {chunk}"),
                _ => panic!("chunk {chunk}: {whole:?} vs {chunked:?}"),
            }
        }
    }

    #[test]
    fn chunked_replay_matches_the_whole_image() {
        let (b, starts) = log(&[
            (Op::Out, 0, "a", b"1"),
            (Op::Out, 1, "bb", &[7; 150]),
            (Op::Out, 2, "a", b"3"),
            (Op::Tombstone, 0, "a", b""),
            (Op::Restore, 0, "a", b"1"),
        ]);
        for opts in [ReplayOptions::default(), ReplayOptions { salvage: true }] {
            same_in_chunks(&b, opts);
            // Every cut (torn tails) and every damaged byte (corruption, salvage).
            for cut in (0..b.len()).step_by(if cfg!(miri) { 13 } else { 1 }) {
                same_in_chunks(&b[..cut], opts);
            }
            let step = if cfg!(miri) { 41 } else { 7 };
            for at in (0..b.len()).step_by(step).chain(starts.iter().copied()) {
                let mut d = b.clone();
                d[at] ^= 0x5A;
                same_in_chunks(&d, opts);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn chunked_replay_of_arbitrary_tails_matches(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300), salvage: bool) {
            let (mut b, _) = log(&[(Op::Out, 0, "a", b"1"), (Op::Out, 1, "a", b"22")]);
            b.extend_from_slice(&bytes);
            same_in_chunks(&b, ReplayOptions { salvage });
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512), salvage: bool) {
            let _ = replay(&bytes, ReplayOptions { salvage });
            // With a valid header in front, the record decoder sees the arbitrary bytes.
            let mut b = encode_header(FileHeader { salt: SALT, base_seq: 0 }).to_vec();
            b.extend_from_slice(&bytes);
            let _ = replay(&b, ReplayOptions { salvage });
        }
    }
}

//! Rebuilding the queues from the log's bytes.
//!
//! The algorithm (also in `docs/log-format.md`):
//! 1. An empty input is a new log. Otherwise the 32-byte header must be intact (magic, version,
//!    CRC): a damaged header is `STORE_CORRUPT` at offset 0.
//! 2. Records are decoded one after another. An out record appends its entry to its key's FIFO;
//!    a tombstone removes the entry it names, which must be the oldest live entry of that key.
//!    Sequence numbers of out records strictly increase.
//! 3. At the first record that does not decode (short, bad length, bad CRC), the rest of the input
//!    is searched for any valid record. None: the bytes from there to the end are a **torn tail**
//!    (a write cut short by a crash); replay stops there and reports how many bytes to drop.
//!    Some: the bad record sits **in the middle** of the log, where no crash can put it (the store
//!    truncates a torn tail before it appends again), so replay fails with `STORE_CORRUPT` naming
//!    the offset, unless salvage is on, which skips to the next valid record and reports the gap.
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
use super::StoreError;

/// A live entry: its sequence number and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The entry's sequence number (unique in the log, increasing in push order).
    pub seq: u64,
    /// The payload.
    pub value: Vec<u8>,
}

/// A region skipped by salvage.
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Valid records read.
    pub records: u64,
    /// Out records among them.
    pub outs: u64,
    /// Tombstones among them.
    pub tombstones: u64,
    /// Live entries at the end.
    pub live_entries: u64,
    /// Bytes a compacted log would need: the header plus every live out record.
    pub live_bytes: u64,
}

/// What replay found.
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
    pub fn dead_bytes(&self) -> u64 {
        self.good_len.saturating_sub(self.stats.live_bytes)
    }
}

/// Replay options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Skip corrupt regions in the middle instead of failing.
    pub salvage: bool,
}

/// Replays a whole log image. See the [module docs](self) for the algorithm.
pub fn replay(bytes: &[u8], opts: ReplayOptions) -> Result<Replay, StoreError> {
    let mut out = Replay::default();
    if bytes.is_empty() {
        return Ok(out);
    }
    let header = codec::decode_header(bytes).map_err(|r| StoreError::corrupt(0, r))?;
    out.header = Some(header);
    let mut after_last_out = 0u64;
    out.stats.live_bytes = FILE_HEADER_LEN as u64;
    let mut pos = FILE_HEADER_LEN;
    while pos < bytes.len() {
        match codec::decode_record(&bytes[pos..], header.salt) {
            Decoded::Record(rec, len) => {
                if let Err(reason) = apply(&mut out, &mut after_last_out, rec, len) {
                    if !opts.salvage {
                        return Err(StoreError::corrupt(pos as u64, reason));
                    }
                    out.skipped.push(Skipped {
                        offset: pos as u64,
                        len: len as u64,
                        reason,
                    });
                }
                pos += len;
            }
            bad => {
                let reason = match bad {
                    Decoded::Invalid(r) => r,
                    _ => "record cut short",
                };
                match find_next_record(bytes, pos + 1, header.salt) {
                    None => {
                        out.torn_tail = (bytes.len() - pos) as u64;
                        break;
                    }
                    Some(next) if opts.salvage => {
                        out.skipped.push(Skipped {
                            offset: pos as u64,
                            len: (next - pos) as u64,
                            reason,
                        });
                        pos = next;
                    }
                    Some(next) => {
                        return Err(StoreError::corrupt(
                            pos as u64,
                            format!("{reason}, followed by a valid record at offset {next}"),
                        ))
                    }
                }
            }
        }
        out.good_len = pos as u64;
    }
    out.good_len = out.good_len.max(FILE_HEADER_LEN as u64);
    out.next_seq = header.base_seq.max(after_last_out);
    Ok(out)
}

/// Applies one valid record; an error means the record breaks the log's rules.
fn apply(
    out: &mut Replay,
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
            let q = out.queues.entry_ref(rec.key).or_default();
            q.push_back(Entry {
                seq: rec.seq,
                value: rec.value.to_vec(),
            });
            *after_last_out = rec.seq.checked_add(1).ok_or("sequence number overflow")?;
            out.stats.outs += 1;
            out.stats.live_entries += 1;
            out.stats.live_bytes += len as u64;
        }
        Op::Tombstone => {
            let Some(q) = out.queues.get_mut(rec.key) else {
                return Err("tombstone for a key with no live entry");
            };
            let idx = match q.front() {
                Some(head) if head.seq == rec.seq => 0,
                _ => return Err("tombstone does not name the oldest live entry of its key"),
            };
            let gone = q.remove(idx).map(|e| e.value.len()).unwrap_or(0);
            if q.is_empty() {
                out.queues.remove(rec.key);
            }
            out.stats.tombstones += 1;
            out.stats.live_entries -= 1;
            out.stats.live_bytes -= codec::record_len(rec.key.len(), gone) as u64;
        }
    }
    out.stats.records += 1;
    Ok(())
}

/// The offset of the first valid record at or after `from`, if any. Header checks reject almost
/// every offset before the CRC is computed, so a zero-filled or random tail is scanned in linear
/// time.
pub fn find_next_record(bytes: &[u8], from: usize, salt: u64) -> Option<usize> {
    let last = bytes.len().checked_sub(RECORD_HEADER_LEN)?;
    (from..=last).find(|&p| matches!(codec::decode_record(&bytes[p..], salt), Decoded::Record(..)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::codec::{encode_header, encode_out, encode_tombstone};
    use alloc::vec;

    const SALT: u64 = 99;

    fn log(records: &[(Op, u64, &str, &[u8])]) -> (Vec<u8>, Vec<usize>) {
        let mut b = encode_header(FileHeader {
            salt: SALT,
            base_seq: 0,
        })
        .to_vec();
        let mut starts = vec![];
        for &(op, seq, key, value) in records {
            starts.push(b.len());
            match op {
                Op::Out => encode_out(&mut b, SALT, seq, key, value).unwrap(),
                Op::Tombstone => encode_tombstone(&mut b, SALT, seq, key).unwrap(),
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
        b[starts[1] + 21] ^= 0xFF; // the value byte of the middle record
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
        let (b, s) = log(&[
            (Op::Out, 0, "a", b"1"),
            (Op::Out, 1, "a", b"2"),
            (Op::Tombstone, 1, "a", b""),
        ]);
        assert_eq!(
            replay(&b, ReplayOptions::default())
                .unwrap_err()
                .corrupt_offset(),
            Some(s[2] as u64)
        );
    }

    #[test]
    fn empty_input_is_a_new_log() {
        let r = replay(&[], ReplayOptions::default()).unwrap();
        assert!(r.header.is_none() && r.queues.is_empty());
    }

    proptest::proptest! {
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

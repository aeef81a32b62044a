//! The log's byte format: a file header, then records. See `docs/log-format.md`.
//!
//! ```text
//! file header (32 bytes)
//!   0..8    magic      b"LINDYLOG"
//!   8..10   version    u16 LE = 1
//!   10..12  reserved   u16 = 0
//!   12..20  salt       u64 LE, random per log: seeds every record CRC
//!   20..28  base_seq   u64 LE, the next sequence number when the file was written
//!   28..32  crc        u32 LE, CRC-32C of bytes 0..28
//!
//! record (20 + key + value bytes)
//!   0..4    body_len   u32 LE = 12 + key_len + value_len (the bytes from offset 8 to the end)
//!   4..8    crc        u32 LE = CRC-32C(salt LE ++ bytes 0..4 ++ bytes 8..end)
//!   8       op         1 = out (an entry), 2 = tombstone (the entry `seq` of `key` was pulled)
//!   9       flags      0
//!   10..12  key_len    u16 LE
//!   12..20  seq        u64 LE
//!   20..    key        key_len bytes of UTF-8
//!   ..end   value      body_len - 12 - key_len bytes (always 0 for a tombstone)
//! ```
//!
//! All integers are little-endian. Every length is checked against the bytes actually present
//! before anything is sliced or allocated, so decoding arbitrary input never panics and never
//! allocates.

use alloc::vec::Vec;
use crc::{Crc, Table, CRC_32_ISCSI};

use super::options::{validate_key, validate_value};
use super::StoreError;

/// CRC-32C (Castagnoli, the iSCSI polynomial), slice-by-16 tables computed at compile time.
static CRC32C: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);

/// The file magic.
pub const MAGIC: [u8; 8] = *b"LINDYLOG";
/// The format version this code writes and reads.
pub const VERSION: u16 = 1;
/// Length of the file header.
pub const FILE_HEADER_LEN: usize = 32;
/// Length of a record's fixed header (before the key).
pub const RECORD_HEADER_LEN: usize = 20;
/// The body's fixed part (op, flags, key_len, seq), counted in `body_len`.
const BODY_FIXED: usize = 12;
/// The largest key the format can hold.
pub const MAX_KEY_LEN: usize = u16::MAX as usize;
/// The largest value the format accepts (1 GiB).
pub const MAX_VALUE_LEN: usize = 1 << 30;

/// What a record does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// An entry pushed under a key.
    Out,
    /// The entry with this sequence number was pulled.
    Tombstone,
}

impl Op {
    const fn byte(self) -> u8 {
        match self {
            Op::Out => 1,
            Op::Tombstone => 2,
        }
    }
}

/// The decoded file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHeader {
    /// Seeds every record's CRC, so a record copied from another log (say, inside a payload)
    /// never validates in this one.
    pub salt: u64,
    /// The next sequence number at the time the file was written (kept across compactions, so
    /// sequence numbers never repeat even when the log is emptied).
    pub base_seq: u64,
}

/// One decoded record, borrowing from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Out or tombstone.
    pub op: Op,
    /// For an out record, the entry's sequence number; for a tombstone, the pulled entry's.
    pub seq: u64,
    /// The queue's key.
    pub key: &'a str,
    /// The payload (empty for a tombstone).
    pub value: &'a [u8],
}

/// The result of decoding a record at some offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A valid record of `len` bytes.
    Record(Record<'a>, usize),
    /// The input ends inside the record: fewer than `needed` bytes are present.
    Truncated {
        /// The bytes the record would need.
        needed: u64,
    },
    /// The bytes are not a valid record.
    Invalid(&'static str),
}

/// The encoded size of a record.
pub const fn record_len(key_len: usize, value_len: usize) -> usize {
    RECORD_HEADER_LEN + key_len + value_len
}

/// Encodes the file header.
pub fn encode_header(header: FileHeader) -> [u8; FILE_HEADER_LEN] {
    let mut b = [0u8; FILE_HEADER_LEN];
    b[0..8].copy_from_slice(&MAGIC);
    b[8..10].copy_from_slice(&VERSION.to_le_bytes());
    b[12..20].copy_from_slice(&header.salt.to_le_bytes());
    b[20..28].copy_from_slice(&header.base_seq.to_le_bytes());
    let crc = CRC32C.checksum(&b[0..28]);
    b[28..32].copy_from_slice(&crc.to_le_bytes());
    b
}

/// Decodes the file header at the start of `bytes`.
pub fn decode_header(bytes: &[u8]) -> Result<FileHeader, &'static str> {
    let Some(b) = bytes.get(..FILE_HEADER_LEN) else {
        return Err("file shorter than the 32-byte header");
    };
    if b[0..8] != MAGIC {
        return Err("bad magic: not a lindy log");
    }
    if CRC32C.checksum(&b[0..28]) != u32_at(b, 28) {
        return Err("file header checksum mismatch");
    }
    if u16::from_le_bytes([b[8], b[9]]) != VERSION {
        return Err("unsupported log format version");
    }
    if b[10..12] != [0, 0] {
        return Err("reserved header bytes are not zero");
    }
    Ok(FileHeader {
        salt: u64_at(b, 12),
        base_seq: u64_at(b, 20),
    })
}

/// Appends an out record to `buf`. Fails (writing nothing) if the key is empty or the key or
/// value is beyond the format's limits ([`MAX_KEY_LEN`], [`MAX_VALUE_LEN`]).
pub fn encode_out(
    buf: &mut Vec<u8>,
    salt: u64,
    seq: u64,
    key: &str,
    value: &[u8],
) -> Result<(), StoreError> {
    encode(buf, salt, Op::Out, seq, key, value)
}

/// Appends a tombstone for entry `seq` of `key` to `buf` (same key checks as [`encode_out`]).
pub fn encode_tombstone(
    buf: &mut Vec<u8>,
    salt: u64,
    seq: u64,
    key: &str,
) -> Result<(), StoreError> {
    encode(buf, salt, Op::Tombstone, seq, key, &[])
}

fn encode(
    buf: &mut Vec<u8>,
    salt: u64,
    op: Op,
    seq: u64,
    key: &str,
    value: &[u8],
) -> Result<(), StoreError> {
    validate_key(key, MAX_KEY_LEN)?;
    validate_value(value.len(), MAX_VALUE_LEN)?;
    let start = buf.len();
    let body_len = (BODY_FIXED + key.len() + value.len()) as u32;
    buf.reserve(record_len(key.len(), value.len()));
    buf.extend_from_slice(&body_len.to_le_bytes());
    buf.extend_from_slice(&[0; 4]); // crc, filled below
    buf.push(op.byte());
    buf.push(0);
    buf.extend_from_slice(&(key.len() as u16).to_le_bytes());
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(key.as_bytes());
    buf.extend_from_slice(value);
    let crc = record_crc(salt, &buf[start..]);
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// CRC of a whole record (its crc field is skipped).
fn record_crc(salt: u64, rec: &[u8]) -> u32 {
    let mut d = CRC32C.digest();
    d.update(&salt.to_le_bytes());
    d.update(&rec[0..4]);
    d.update(&rec[8..]);
    d.finalize()
}

/// Decodes the record at the start of `bytes` (a log's records, after the header).
pub fn decode_record(bytes: &[u8], salt: u64) -> Decoded<'_> {
    if bytes.len() < 8 {
        return Decoded::Truncated {
            needed: RECORD_HEADER_LEN as u64,
        };
    }
    let body_len = u32_at(bytes, 0) as u64;
    if body_len < BODY_FIXED as u64 {
        return Decoded::Invalid("record length below the minimum");
    }
    if body_len > (BODY_FIXED + MAX_KEY_LEN + MAX_VALUE_LEN) as u64 {
        return Decoded::Invalid("record length above the format maximum");
    }
    let total = 8 + body_len;
    if (bytes.len() as u64) < total {
        return Decoded::Truncated { needed: total };
    }
    // `total` fits in usize: it is at most the input length.
    let rec = &bytes[..total as usize];
    if record_crc(salt, rec) != u32_at(rec, 4) {
        return Decoded::Invalid("record checksum mismatch");
    }
    // From here on the bytes are what a writer wrote: a failure is a bug or tampering, not a tear.
    let op = match rec[8] {
        1 => Op::Out,
        2 => Op::Tombstone,
        _ => return Decoded::Invalid("unknown record op"),
    };
    if rec[9] != 0 {
        return Decoded::Invalid("unknown record flags");
    }
    let key_len = u16::from_le_bytes([rec[10], rec[11]]) as usize;
    let seq = u64_at(rec, 12);
    let Some(key) = rec.get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + key_len) else {
        return Decoded::Invalid("key length beyond the record");
    };
    let Ok(key) = core::str::from_utf8(key) else {
        return Decoded::Invalid("key is not UTF-8");
    };
    if key.is_empty() {
        return Decoded::Invalid("empty key");
    }
    let value = &rec[RECORD_HEADER_LEN + key_len..];
    if op == Op::Tombstone && !value.is_empty() {
        return Decoded::Invalid("tombstone with a payload");
    }
    Decoded::Record(
        Record {
            op,
            seq,
            key,
            value,
        },
        rec.len(),
    )
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn crc32c_is_the_castagnoli_polynomial() {
        // The check value of CRC-32C (RFC 3720, appendix B.4).
        assert_eq!(CRC32C.checksum(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn header_round_trips_and_rejects_damage() {
        let h = FileHeader {
            salt: 0xDEAD_BEEF,
            base_seq: 42,
        };
        let b = encode_header(h);
        assert_eq!(decode_header(&b), Ok(h));
        for i in 0..FILE_HEADER_LEN {
            let mut bad = b;
            bad[i] ^= 0x01;
            assert!(decode_header(&bad).is_err(), "flip at byte {i} accepted");
        }
        assert!(decode_header(&b[..31]).is_err());
    }

    #[test]
    fn records_round_trip() {
        let mut buf = vec![];
        encode_out(&mut buf, 7, 1, "jobs", b"hello").unwrap();
        encode_tombstone(&mut buf, 7, 1, "jobs").unwrap();
        assert_eq!(buf.len(), record_len(4, 5) + record_len(4, 0));
        let Decoded::Record(r, n) = decode_record(&buf, 7) else {
            panic!()
        };
        assert_eq!(
            (r.op, r.seq, r.key, r.value, n),
            (Op::Out, 1, "jobs", &b"hello"[..], 29)
        );
        let Decoded::Record(t, m) = decode_record(&buf[n..], 7) else {
            panic!()
        };
        assert_eq!(
            (t.op, t.seq, t.key, t.value, m),
            (Op::Tombstone, 1, "jobs", &b""[..], 24)
        );
    }

    #[test]
    fn every_bit_flip_and_every_cut_is_detected() {
        let mut buf = vec![];
        encode_out(&mut buf, 7, 9, "k", b"value").unwrap();
        for i in 0..buf.len() {
            for bit in 0..8 {
                let mut bad = buf.clone();
                bad[i] ^= 1 << bit;
                assert!(
                    !matches!(decode_record(&bad, 7), Decoded::Record(..)),
                    "flip of bit {bit} at byte {i} accepted"
                );
            }
        }
        for cut in 0..buf.len() {
            assert!(matches!(
                decode_record(&buf[..cut], 7),
                Decoded::Truncated { .. } | Decoded::Invalid(_)
            ));
        }
    }

    #[test]
    fn a_record_from_another_log_does_not_validate() {
        let mut buf = vec![];
        encode_out(&mut buf, 1, 1, "k", b"v").unwrap();
        assert!(matches!(decode_record(&buf, 2), Decoded::Invalid(_)));
    }

    #[test]
    fn out_of_format_inputs_are_refused_not_truncated() {
        let mut buf = vec![];
        let long = "k".repeat(MAX_KEY_LEN + 1);
        assert!(encode_out(&mut buf, 0, 0, &long, b"").is_err());
        assert!(encode_tombstone(&mut buf, 0, 0, "").is_err());
        assert!(buf.is_empty(), "nothing written");
    }

    #[test]
    fn zeros_are_never_a_record() {
        assert!(matches!(decode_record(&[0; 64], 0), Decoded::Invalid(_)));
    }
}

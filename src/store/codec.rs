//! The log's byte format: a file header, then records. See `docs/log-format.md`.
//!
//! ```text
//! file header (32 bytes)
//!   0..8    magic      b"LINDYLOG"
//!   8..10   version    u16 LE = 2
//!   10..12  reserved   u16 = 0
//!   12..20  salt       u64 LE, random per log: seeds every record CRC
//!   20..28  base_seq   u64 LE, the next sequence number when the file was written
//!   28..32  crc        u32 LE, CRC-32C of bytes 0..28
//!
//! record (32 + key + value bytes), written at file offset `at`
//!   0..4    head_crc   u32 LE = CRC-32C(salt LE ‖ at LE ‖ bytes 8..32)
//!   4..8    body_crc   u32 LE = CRC-32C(salt LE ‖ at LE ‖ head_crc LE ‖ key ‖ value)
//!   8       op         1 = out (an entry), 2 = tombstone (the entry `seq` of `key` was pulled),
//!                      3 = restore (entry `seq` of `key` is back: a cancelled pull)
//!   9       flags      0
//!   10..12  key_len    u16 LE, at least 1
//!   12..16  value_len  u32 LE, 0 for a tombstone
//!   16..24  seq        u64 LE
//!   24..32  durable    u64 LE: the log length the writer knew to be durable when it wrote this
//!                      record (at most `at`)
//!   32..    key        key_len bytes of UTF-8
//!   ..end   value      value_len bytes
//! ```
//!
//! Why this shape (the argument is in `docs/log-format.md` §2.3):
//! * the **header CRC** lets a reader check a candidate record in constant time, so searching
//!   damaged bytes for the next record is linear in their length, whatever a payload holds;
//! * both CRCs are **seeded with the record's own file offset** (and the log's salt): a record
//!   copied anywhere else — a log pushed as a payload into itself, say — never validates;
//! * `durable` tells replay whether bytes that fail to decode can be the unsynced tail of a crash
//!   (every valid record after them was written before they were known durable) or not.
//!
//! All integers are little-endian. Every length is checked against the bytes actually present
//! before anything is sliced or allocated, so decoding arbitrary input never panics and never
//! allocates.

use alloc::vec::Vec;
#[cfg(not(feature = "std"))]
use crc::Digest;
use crc::{Crc, Table, CRC_32_ISCSI};

use super::options::{validate_key, validate_value};
use super::StoreError;

/// CRC-32C (Castagnoli, the iSCSI polynomial), slice-by-16 tables computed at compile time.
static CRC32C: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);

/// The file magic.
///
/// ```
/// use lindy::store::codec::{encode_header, FileHeader, MAGIC};
/// let h = encode_header(FileHeader { salt: 1, base_seq: 0 });
/// assert_eq!(h[..8], MAGIC);
/// ```
pub const MAGIC: [u8; 8] = *b"LINDYLOG";
/// The format version this code writes and reads.
///
/// ```
/// use lindy::store::codec::{encode_header, FileHeader, VERSION};
/// let h = encode_header(FileHeader { salt: 1, base_seq: 0 });
/// assert_eq!(u16::from_le_bytes([h[8], h[9]]), VERSION);
/// ```
pub const VERSION: u16 = 2;
/// Length of the file header.
///
/// ```
/// use lindy::store::codec::{encode_header, FileHeader, FILE_HEADER_LEN};
/// assert_eq!(encode_header(FileHeader { salt: 1, base_seq: 0 }).len(), FILE_HEADER_LEN);
/// ```
pub const FILE_HEADER_LEN: usize = 32;
/// Length of a record's fixed header (before the key).
///
/// ```
/// use lindy::store::codec::{record_len, RECORD_HEADER_LEN};
/// assert_eq!(record_len(0, 0), RECORD_HEADER_LEN);
/// ```
pub const RECORD_HEADER_LEN: usize = 32;
/// The largest key the format can hold.
///
/// ```
/// use lindy::store::codec::{encode_out, Frame, MAX_KEY_LEN};
/// let key = "k".repeat(MAX_KEY_LEN + 1);
/// let f = Frame { salt: 1, offset: 32, durable: 32 };
/// assert!(encode_out(&mut Vec::new(), f, 0, &key, b"").is_err());
/// ```
pub const MAX_KEY_LEN: usize = u16::MAX as usize;
/// The largest value the format accepts (1 GiB).
///
/// ```
/// use lindy::store::codec::MAX_VALUE_LEN;
/// assert_eq!(MAX_VALUE_LEN, 1 << 30); // far below the u32 length field
/// ```
pub const MAX_VALUE_LEN: usize = 1 << 30;

/// What a record does.
///
/// ```
/// # use lindy::store::codec::*;
/// let header = FileHeader { salt: 7, base_seq: 0 };
/// let mut log = encode_header(header).to_vec();
/// encode_tombstone(&mut log, Frame { salt: 7, offset: 32, durable: 32 }, 0, "k")?;
/// let Decoded::Record(r, _) = decode_record(&log[32..], 7, 32) else { panic!() };
/// assert_eq!(r.op, Op::Tombstone);
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// An entry pushed under a key.
    Out,
    /// The entry with this sequence number was pulled.
    Tombstone,
    /// The entry with this (earlier) sequence number is back in its queue, at its place in
    /// sequence order, with this payload: a pull whose tombstone was written was cancelled
    /// before it handed the entry out.
    Restore,
}

impl Op {
    const fn byte(self) -> u8 {
        match self {
            Op::Out => 1,
            Op::Tombstone => 2,
            Op::Restore => 3,
        }
    }
}

/// The decoded file header.
///
/// ```
/// use lindy::store::codec::{decode_header, encode_header, FileHeader};
/// let h = FileHeader { salt: 0xFEED, base_seq: 10 };
/// assert_eq!(decode_header(&encode_header(h)), Ok(h));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHeader {
    /// Seeds every record's CRC, so a record copied from another log (say, inside a payload)
    /// never validates in this one.
    pub salt: u64,
    /// The next sequence number at the time the file was written (kept across compactions, so
    /// sequence numbers never repeat even when the log is emptied).
    pub base_seq: u64,
}

/// Where a record goes: what binds its CRCs to one log and one place in it.
///
/// ```
/// # use lindy::store::codec::*;
/// let header = FileHeader { salt: 7, base_seq: 0 };
/// let mut log = encode_header(header).to_vec();
/// let at = log.len() as u64;
/// encode_out(&mut log, Frame { salt: 7, offset: at, durable: at }, 0, "k", b"v")?;
/// // The CRCs bind the record to its salt and offset: elsewhere it does not validate.
/// assert!(matches!(decode_record(&log[32..], 7, 33), Decoded::Invalid(_)));
/// assert!(matches!(decode_record(&log[32..], 8, 32), Decoded::Invalid(_)));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    /// The log's salt (from its [`FileHeader`]).
    pub salt: u64,
    /// The file offset the record starts at.
    pub offset: u64,
    /// The log length known durable when the record is written (at most `offset`).
    pub durable: u64,
}

/// One decoded record, borrowing from the input.
///
/// ```
/// # use lindy::store::codec::*;
/// let header = FileHeader { salt: 7, base_seq: 0 };
/// let mut log = encode_header(header).to_vec();
/// encode_out(&mut log, Frame { salt: 7, offset: 32, durable: 32 }, 5, "jobs", b"payload")?;
/// let Decoded::Record(r, len) = decode_record(&log[32..], 7, 32) else { panic!() };
/// assert_eq!((r.op, r.seq, r.key, r.value), (Op::Out, 5, "jobs", &b"payload"[..]));
/// assert_eq!(len, record_len(4, 7));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Out or tombstone.
    pub op: Op,
    /// For an out record, the entry's sequence number; for a tombstone, the pulled entry's.
    pub seq: u64,
    /// The log length its writer knew to be durable when it wrote this record.
    pub durable: u64,
    /// The queue's key.
    pub key: &'a str,
    /// The payload (empty for a tombstone).
    pub value: &'a [u8],
}

/// The result of decoding a record at some offset.
///
/// ```
/// # use lindy::store::codec::*;
/// let header = FileHeader { salt: 7, base_seq: 0 };
/// let mut log = encode_header(header).to_vec();
/// encode_out(&mut log, Frame { salt: 7, offset: 32, durable: 32 }, 0, "k", b"value")?;
/// let torn = &log[32..log.len() - 1];
/// assert_eq!(decode_record(torn, 7, 32), Decoded::Truncated { needed: record_len(1, 5) as u64 });
/// assert!(matches!(decode_record(&[0; 40], 7, 32), Decoded::Invalid(_)));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A valid record of `len` bytes.
    Record(Record<'a>, usize),
    /// The input ends inside the record: fewer than `needed` bytes are present. Either the
    /// input is shorter than a record header, or the header is intact (its CRC matches) and
    /// declares a record longer than what is left.
    Truncated {
        /// The bytes the record would need.
        needed: u64,
    },
    /// The bytes are not a valid record.
    Invalid(&'static str),
}

/// The encoded size of a record.
///
/// ```
/// use lindy::store::codec::record_len;
/// assert_eq!(record_len(1, 128), 161); // 32-byte header, key, value
/// ```
pub const fn record_len(key_len: usize, value_len: usize) -> usize {
    RECORD_HEADER_LEN + key_len + value_len
}

/// Encodes the file header.
///
/// ```
/// use lindy::store::codec::{encode_header, FileHeader};
/// let bytes = encode_header(FileHeader { salt: 3, base_seq: 0 });
/// assert_eq!(&bytes[..8], b"LINDYLOG");
/// ```
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
///
/// ```
/// use lindy::store::codec::{decode_header, encode_header, FileHeader};
/// let mut b = encode_header(FileHeader { salt: 3, base_seq: 9 });
/// assert_eq!(decode_header(&b).unwrap().base_seq, 9);
/// b[20] ^= 1; // any damaged byte is caught by the header CRC
/// assert!(decode_header(&b).is_err());
/// ```
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
    match u16::from_le_bytes([b[8], b[9]]) {
        VERSION => {}
        1 => return Err("log format version 1 (lindy before the offset-bound records): compact it with the lindy-log of that release, or replay it with that release and push the entries again"),
        _ => return Err("unsupported log format version"),
    }
    if b[10..12] != [0, 0] {
        return Err("reserved header bytes are not zero");
    }
    Ok(FileHeader {
        salt: u64_at(b, 12),
        base_seq: u64_at(b, 20),
    })
}

/// Appends an out record for `frame` to `buf`. Fails (writing nothing) if the key is empty or
/// the key or value is beyond the format's limits ([`MAX_KEY_LEN`], [`MAX_VALUE_LEN`]).
///
/// ```
/// # use lindy::store::codec::*;
/// let header = FileHeader { salt: 7, base_seq: 0 };
/// let mut log = encode_header(header).to_vec();
/// encode_out(&mut log, Frame { salt: 7, offset: 32, durable: 32 }, 0, "k", b"v")?;
/// assert_eq!(log.len(), 32 + record_len(1, 1));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
pub fn encode_out(
    buf: &mut Vec<u8>,
    frame: Frame,
    seq: u64,
    key: &str,
    value: &[u8],
) -> Result<(), StoreError> {
    encode(buf, frame, Op::Out, seq, key, value)
}

/// Appends a restore record (entry `seq` of `key` is back, with `value`) to `buf` (same checks
/// as [`encode_out`]).
///
/// ```
/// # use lindy::store::codec::*;
/// let header = FileHeader { salt: 7, base_seq: 0 };
/// let mut log = encode_header(header).to_vec();
/// encode_restore(&mut log, Frame { salt: 7, offset: 32, durable: 32 }, 0, "k", b"back")?;
/// let Decoded::Record(r, _) = decode_record(&log[32..], 7, 32) else { panic!() };
/// assert_eq!((r.op, r.value), (Op::Restore, &b"back"[..]));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
pub fn encode_restore(
    buf: &mut Vec<u8>,
    frame: Frame,
    seq: u64,
    key: &str,
    value: &[u8],
) -> Result<(), StoreError> {
    encode(buf, frame, Op::Restore, seq, key, value)
}

/// Appends a tombstone for entry `seq` of `key` to `buf` (same key checks as [`encode_out`]).
///
/// ```
/// # use lindy::store::codec::*;
/// let header = FileHeader { salt: 7, base_seq: 0 };
/// let mut log = encode_header(header).to_vec();
/// encode_tombstone(&mut log, Frame { salt: 7, offset: 32, durable: 32 }, 4, "k")?;
/// assert_eq!(log.len(), 32 + record_len(1, 0));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
pub fn encode_tombstone(
    buf: &mut Vec<u8>,
    frame: Frame,
    seq: u64,
    key: &str,
) -> Result<(), StoreError> {
    encode(buf, frame, Op::Tombstone, seq, key, &[])
}

fn encode(
    buf: &mut Vec<u8>,
    frame: Frame,
    op: Op,
    seq: u64,
    key: &str,
    value: &[u8],
) -> Result<(), StoreError> {
    validate_key(key, MAX_KEY_LEN)?;
    validate_value(value.len(), MAX_VALUE_LEN)?;
    // The fixed header is assembled on the stack and its CRCs computed before anything is
    // copied: three copies into `buf`, no patching afterwards.
    let mut h = [0u8; RECORD_HEADER_LEN];
    h[8] = op.byte();
    h[10..12].copy_from_slice(&(key.len() as u16).to_le_bytes());
    h[12..16].copy_from_slice(&(value.len() as u32).to_le_bytes());
    h[16..24].copy_from_slice(&seq.to_le_bytes());
    h[24..32].copy_from_slice(&frame.durable.min(frame.offset).to_le_bytes());
    let (head, body) = record_crcs(frame.salt, frame.offset, &h, key.as_bytes(), value);
    h[0..4].copy_from_slice(&head.to_le_bytes());
    h[4..8].copy_from_slice(&body.to_le_bytes());
    buf.reserve(record_len(key.len(), value.len()));
    buf.extend_from_slice(&h);
    buf.extend_from_slice(key.as_bytes());
    buf.extend_from_slice(value);
    Ok(())
}

/// A running CRC-32C. With std, hardware instructions (SSE 4.2 inline on x86-64, the `crc32c`
/// crate's for aarch64's CRC extension, detected at run time, its table fallback elsewhere); without,
/// the `crc` crate's slice-by-16 table. Same polynomial, same values (tested below).
#[cfg(feature = "std")]
#[derive(Clone)]
struct Seed(u32);

#[cfg(feature = "std")]
impl Seed {
    fn new() -> Self {
        Seed(0)
    }

    fn update(&mut self, bytes: &[u8]) {
        // `crc32c_append(crc32c(a), b) == crc32c(a ‖ b)`.
        self.0 = crc32c_append(self.0, bytes);
    }

    fn finalize(self) -> u32 {
        self.0
    }
}

/// `crc32c::crc32c_append`, with SSE 4.2's `crc32` instruction inline on x86-64. A record's
/// CRCs are a few short updates (16, 24, 4 bytes, the key, the value), where the crate's
/// per-call set-up and its three-way parallel kernel cost more than the bytes themselves
/// (≈ 640 instructions per 128-byte record in callgrind, against ≈ 60 for a plain loop).
#[cfg(all(feature = "std", target_arch = "x86_64", not(miri)))]
fn crc32c_append(crc: u32, bytes: &[u8]) -> u32 {
    if std::is_x86_feature_detected!("sse4.2") {
        // Safety: the CPU has SSE 4.2 (checked just above; the answer is cached by std).
        unsafe { crc32c_sse42(crc, bytes) }
    } else {
        crc32c::crc32c_append(crc, bytes)
    }
}

/// Elsewhere (aarch64's CRC extension, the table fallback, and under Miri) the crate decides.
#[cfg(all(feature = "std", not(all(target_arch = "x86_64", not(miri)))))]
fn crc32c_append(crc: u32, bytes: &[u8]) -> u32 {
    crc32c::crc32c_append(crc, bytes)
}

/// A record's header CRC and body CRC (`docs/log-format.md` §3) for header bytes `h` (its
/// bytes 8.. are read), written at `offset` of a log salted with `salt`.
#[inline]
fn record_crcs(
    salt: u64,
    offset: u64,
    h: &[u8; RECORD_HEADER_LEN],
    key: &[u8],
    value: &[u8],
) -> (u32, u32) {
    #[cfg(all(feature = "std", target_arch = "x86_64", not(miri)))]
    if std::is_x86_feature_detected!("sse4.2") {
        // Safety: the CPU has SSE 4.2 (checked just above; the answer is cached by std).
        return unsafe { record_crcs_sse42(salt, offset, h, key, value) };
    }
    let seed = seeded(salt, offset);
    let head = head_crc(seed.clone(), h);
    (head, body_crc2(seed, head, key, value))
}

/// The header CRC of record header `h` at `offset` (replay checks it before it trusts the
/// lengths, then the body with [`body_crc_at`]).
#[inline]
fn head_crc_at(salt: u64, offset: u64, h: &[u8]) -> u32 {
    #[cfg(all(feature = "std", target_arch = "x86_64", not(miri)))]
    if std::is_x86_feature_detected!("sse4.2") {
        // Safety: the CPU has SSE 4.2 (checked just above).
        return unsafe {
            !(crc32c_sse42_raw(seed_sse42(salt, offset), &h[8..RECORD_HEADER_LEN]) as u32)
        };
    }
    head_crc(seeded(salt, offset), h)
}

/// The body CRC of a record at `offset` whose header CRC is `head`; `body` is its key and value.
#[inline]
fn body_crc_at(salt: u64, offset: u64, head: u32, body: &[u8]) -> u32 {
    #[cfg(all(feature = "std", target_arch = "x86_64", not(miri)))]
    if std::is_x86_feature_detected!("sse4.2") {
        // Safety: the CPU has SSE 4.2 (checked just above).
        return unsafe { body_crc_sse42(seed_sse42(salt, offset), head, body) };
    }
    body_crc(seeded(salt, offset), head, body)
}

/// The inverted CRC register after the seed (`salt ‖ offset`).
///
/// # Safety
///
/// The CPU must support SSE 4.2.
#[cfg(all(feature = "std", target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "sse4.2")]
#[allow(unused_unsafe)] // see crc32c_sse42
#[inline]
unsafe fn seed_sse42(salt: u64, offset: u64) -> u64 {
    use core::arch::x86_64::_mm_crc32_u64;
    // Safety: SSE 4.2 is enabled for this function (the caller's promise).
    unsafe { _mm_crc32_u64(_mm_crc32_u64(0xFFFF_FFFF, salt), offset) }
}

/// The body CRC from the seed register `seed`.
///
/// # Safety
///
/// The CPU must support SSE 4.2.
#[cfg(all(feature = "std", target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "sse4.2")]
#[allow(unused_unsafe)] // see crc32c_sse42
#[inline]
unsafe fn body_crc_sse42(seed: u64, head: u32, body: &[u8]) -> u32 {
    use core::arch::x86_64::_mm_crc32_u32;
    // Safety: SSE 4.2 is enabled for this function (the caller's promise).
    let c = unsafe { _mm_crc32_u32(seed as u32, head) };
    !(unsafe { crc32c_sse42_raw(u64::from(c), body) } as u32)
}

/// [`record_crcs`] with SSE 4.2: one feature check per record instead of one per piece, and the
/// pieces chained in one register (a record is five short updates; their per-call overhead was
/// a third of the CRC work).
///
/// # Safety
///
/// The CPU must support SSE 4.2.
#[cfg(all(feature = "std", target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "sse4.2")]
#[allow(unused_unsafe)] // see crc32c_sse42
unsafe fn record_crcs_sse42(
    salt: u64,
    offset: u64,
    h: &[u8; RECORD_HEADER_LEN],
    key: &[u8],
    value: &[u8],
) -> (u32, u32) {
    use core::arch::x86_64::_mm_crc32_u32;
    // Safety (every block below): SSE 4.2 is enabled for this function (the caller's promise).
    let seed = unsafe { seed_sse42(salt, offset) };
    let head = !(unsafe { crc32c_sse42_raw(seed, &h[8..]) } as u32);
    let body = unsafe { _mm_crc32_u32(seed as u32, head) };
    let body = unsafe { crc32c_sse42_raw(crc32c_sse42_raw(u64::from(body), key), value) };
    (head, !(body as u32))
}

/// CRC-32C by SSE 4.2, eight bytes per instruction. The register holds the inverted CRC (the
/// usual pre- and post-inversion), so `crc` chains like `crc32c_append`'s.
///
/// # Safety
///
/// The CPU must support SSE 4.2.
#[cfg(all(feature = "std", target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "sse4.2")]
// The intrinsics are safe to call in a function with the feature from Rust 1.87 on; the MSRV
// (1.85) still needs the `unsafe` blocks.
#[allow(unused_unsafe)]
unsafe fn crc32c_sse42(crc: u32, bytes: &[u8]) -> u32 {
    // Safety: SSE 4.2 is enabled for this function (the caller's promise).
    !(unsafe { crc32c_sse42_raw(u64::from(!crc), bytes) } as u32)
}

/// The SSE 4.2 loop on the inverted CRC register `c` (upper half zero), without the inversions,
/// so pieces chain without undoing them.
///
/// # Safety
///
/// The CPU must support SSE 4.2.
#[cfg(all(feature = "std", target_arch = "x86_64", not(miri)))]
#[target_feature(enable = "sse4.2")]
#[allow(unused_unsafe)] // see crc32c_sse42
#[inline]
unsafe fn crc32c_sse42_raw(mut c: u64, bytes: &[u8]) -> u64 {
    use core::arch::x86_64::{_mm_crc32_u64, _mm_crc32_u8};
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let word = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
        // Safety: SSE 4.2 is enabled for this function (the caller's promise).
        c = unsafe { _mm_crc32_u64(c, word) };
    }
    // The instruction leaves the upper half zero.
    let mut c = c as u32;
    for &b in words.remainder() {
        // Safety: as above.
        c = unsafe { _mm_crc32_u8(c, b) };
    }
    u64::from(c)
}

#[cfg(not(feature = "std"))]
type Seed = Digest<'static, u32, Table<16>>;

#[cfg(not(feature = "std"))]
fn new_seed() -> Seed {
    CRC32C.digest()
}

#[cfg(feature = "std")]
fn new_seed() -> Seed {
    Seed::new()
}

/// The CRC state after the log's salt and the record's offset: what binds a record to its place.
fn seeded(salt: u64, offset: u64) -> Seed {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&salt.to_le_bytes());
    bytes[8..].copy_from_slice(&offset.to_le_bytes());
    let mut d = new_seed();
    d.update(&bytes);
    d
}

fn head_crc(mut seed: Seed, rec: &[u8]) -> u32 {
    seed.update(&rec[8..RECORD_HEADER_LEN]);
    seed.finalize()
}

/// [`body_crc`] with the body in its two pieces (the key, the value).
fn body_crc2(mut seed: Seed, head: u32, key: &[u8], value: &[u8]) -> u32 {
    seed.update(&head.to_le_bytes());
    seed.update(key);
    seed.update(value);
    seed.finalize()
}

fn body_crc(mut seed: Seed, head: u32, body: &[u8]) -> u32 {
    seed.update(&head.to_le_bytes());
    seed.update(body);
    seed.finalize()
}

/// Decodes the record at the start of `bytes`, which sits at file `offset` of a log salted with
/// `salt`.
///
/// ```
/// # use lindy::store::codec::*;
/// let header = FileHeader { salt: 7, base_seq: 0 };
/// let mut log = encode_header(header).to_vec();
/// encode_out(&mut log, Frame { salt: 7, offset: 32, durable: 32 }, 0, "k", b"v")?;
/// assert!(matches!(decode_record(&log[32..], 7, 32), Decoded::Record(..)));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
pub fn decode_record(bytes: &[u8], salt: u64, offset: u64) -> Decoded<'_> {
    decode_record_counted(bytes, salt, offset, &mut 0)
}

/// [`decode_record`], adding the number of bytes fed to CRC-32C to `hashed` — the measure of
/// replay's work that the linear-recovery tests assert on.
///
/// ```
/// # use lindy::store::codec::*;
/// let header = FileHeader { salt: 7, base_seq: 0 };
/// let mut log = encode_header(header).to_vec();
/// encode_out(&mut log, Frame { salt: 7, offset: 32, durable: 32 }, 0, "k", b"v")?;
/// let mut hashed = 0;
/// let _ = decode_record_counted(&log[32..], 7, 32, &mut hashed);
/// assert!(hashed > 0 && hashed < 100); // two CRCs over one small record
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
pub fn decode_record_counted<'a>(
    bytes: &'a [u8],
    salt: u64,
    offset: u64,
    hashed: &mut u64,
) -> Decoded<'a> {
    let Some(h) = bytes.get(..RECORD_HEADER_LEN) else {
        return Decoded::Truncated {
            needed: RECORD_HEADER_LEN as u64,
        };
    };
    // Cheap structural checks first: they reject zero fill and almost all garbage without a CRC.
    let op = match h[8] {
        1 => Op::Out,
        2 => Op::Tombstone,
        3 => Op::Restore,
        _ => return Decoded::Invalid("unknown record op"),
    };
    if h[9] != 0 {
        return Decoded::Invalid("unknown record flags");
    }
    let key_len = u16::from_le_bytes([h[10], h[11]]) as usize;
    let value_len = u32_at(h, 12) as usize;
    let seq = u64_at(h, 16);
    let durable = u64_at(h, 24);
    if key_len == 0 {
        return Decoded::Invalid("empty key");
    }
    if value_len > MAX_VALUE_LEN {
        return Decoded::Invalid("value length above the format maximum");
    }
    if op == Op::Tombstone && value_len != 0 {
        return Decoded::Invalid("tombstone with a payload");
    }
    if durable > offset {
        return Decoded::Invalid("durable length beyond the record's own offset");
    }
    // Then the header CRC: constant work per candidate offset.
    *hashed += 16 + (RECORD_HEADER_LEN - 8) as u64;
    let head = head_crc_at(salt, offset, h);
    if head != u32_at(h, 0) {
        return Decoded::Invalid("record header checksum mismatch");
    }
    // The header is this log's, written at this offset: its lengths can be trusted.
    let total = record_len(key_len, value_len);
    let Some(rec) = bytes.get(..total) else {
        return Decoded::Truncated {
            needed: total as u64,
        };
    };
    *hashed += 16 + 4 + (total - RECORD_HEADER_LEN) as u64;
    if body_crc_at(salt, offset, head, &rec[RECORD_HEADER_LEN..]) != u32_at(h, 4) {
        return Decoded::Invalid("record checksum mismatch");
    }
    let Ok(key) = core::str::from_utf8(&rec[RECORD_HEADER_LEN..RECORD_HEADER_LEN + key_len]) else {
        return Decoded::Invalid("key is not UTF-8");
    };
    Decoded::Record(
        Record {
            op,
            seq,
            durable,
            key,
            value: &rec[RECORD_HEADER_LEN + key_len..],
        },
        total,
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

    const AT: Frame = Frame {
        salt: 7,
        offset: 32,
        durable: 32,
    };

    #[test]
    fn the_running_crc_matches_the_table_crc_over_split_inputs() {
        // The std build's hardware CRC and the no_std table must give the same bytes on disk.
        let data: Vec<u8> = (0..600u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for split in [0, 1, 7, 8, 31, 64, 255, 599, 600] {
            for end in [split, 600] {
                let mut seed = new_seed();
                seed.update(&data[..split]);
                seed.update(&data[split..end]);
                assert_eq!(
                    seed.finalize(),
                    CRC32C.checksum(&data[..end]),
                    "split {split}..{end}"
                );
            }
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn the_inline_crc_is_the_crates_for_every_length_and_start() {
        let data: Vec<u8> = (0..80u32).map(|i| (i * 37 + 11) as u8).collect();
        for start in [0, 1, 0xFFFF_FFFF, 0xE306_9283] {
            for len in 0..data.len() {
                assert_eq!(
                    crc32c_append(start, &data[..len]),
                    crc32c::crc32c_append(start, &data[..len]),
                    "start {start:#x}, {len} bytes"
                );
            }
        }
    }

    #[cfg(all(feature = "std", target_arch = "x86_64", not(miri)))]
    #[test]
    fn the_one_pass_record_crcs_are_the_piecewise_ones() {
        if !std::is_x86_feature_detected!("sse4.2") {
            return; // record_crcs takes the piecewise path itself: nothing to compare
        }
        let data: Vec<u8> = (0..300u32).map(|i| (i * 53 + 7) as u8).collect();
        let mut h = [0u8; RECORD_HEADER_LEN];
        h.iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (i * 29 + 3) as u8);
        for (salt, offset) in [(0, 32), (u64::MAX, 1 << 40), (0x0123_4567_89AB_CDEF, 161)] {
            for key_len in [1, 7, 8, 9, 24] {
                for value_len in [0, 1, 7, 8, 15, 128, 255] {
                    let (key, value) = (&data[..key_len], &data[key_len..key_len + value_len]);
                    let seed = seeded(salt, offset);
                    let head = head_crc(seed.clone(), &h);
                    let body = body_crc2(seed, head, key, value);
                    // Safety: SSE 4.2 is present (checked above).
                    let fast = unsafe { record_crcs_sse42(salt, offset, &h, key, value) };
                    assert_eq!(fast, (head, body), "key {key_len}, value {value_len}");
                    let both = [key, value].concat();
                    assert_eq!(head_crc_at(salt, offset, &h), head);
                    assert_eq!(body_crc_at(salt, offset, head, &both), body);
                }
            }
        }
    }

    #[test]
    fn record_crcs_are_the_documented_checksums() {
        // head_crc = CRC-32C(salt ‖ at ‖ bytes 8..32), body_crc = CRC-32C(salt ‖ at ‖ head_crc
        // ‖ key ‖ value), computed here in one pass each with the table CRC.
        let mut buf = vec![];
        encode_out(&mut buf, AT, 5, "jobs", b"payload").unwrap();
        let mut prefix = vec![];
        prefix.extend_from_slice(&AT.salt.to_le_bytes());
        prefix.extend_from_slice(&AT.offset.to_le_bytes());
        let head = CRC32C.checksum(&[&prefix[..], &buf[8..32]].concat());
        let body = CRC32C.checksum(&[&prefix[..], &head.to_le_bytes(), &buf[32..]].concat());
        assert_eq!(u32_at(&buf, 0), head);
        assert_eq!(u32_at(&buf, 4), body);
    }

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
        encode_out(&mut buf, AT, 1, "jobs", b"hello").unwrap();
        let second = Frame {
            offset: AT.offset + buf.len() as u64,
            ..AT
        };
        encode_tombstone(&mut buf, second, 1, "jobs").unwrap();
        assert_eq!(buf.len(), record_len(4, 5) + record_len(4, 0));
        let Decoded::Record(r, n) = decode_record(&buf, 7, AT.offset) else {
            panic!()
        };
        assert_eq!(
            (r.op, r.seq, r.durable, r.key, r.value, n),
            (Op::Out, 1, 32, "jobs", &b"hello"[..], 41)
        );
        let Decoded::Record(t, m) = decode_record(&buf[n..], 7, second.offset) else {
            panic!()
        };
        assert_eq!(
            (t.op, t.seq, t.key, t.value, m),
            (Op::Tombstone, 1, "jobs", &b""[..], 36)
        );
    }

    #[test]
    fn every_bit_flip_and_every_cut_is_detected() {
        let mut buf = vec![];
        encode_out(&mut buf, AT, 9, "k", b"value").unwrap();
        for i in 0..buf.len() {
            for bit in 0..8 {
                let mut bad = buf.clone();
                bad[i] ^= 1 << bit;
                assert!(
                    !matches!(decode_record(&bad, 7, AT.offset), Decoded::Record(..)),
                    "flip of bit {bit} at byte {i} accepted"
                );
            }
        }
        for cut in 0..buf.len() {
            assert!(matches!(
                decode_record(&buf[..cut], 7, AT.offset),
                Decoded::Truncated { .. }
            ));
        }
    }

    #[test]
    fn a_record_from_another_log_or_another_offset_does_not_validate() {
        let mut buf = vec![];
        encode_out(&mut buf, AT, 1, "k", b"v").unwrap();
        assert!(matches!(
            decode_record(&buf, 2, AT.offset),
            Decoded::Invalid(_)
        ));
        // The same log, one record further on: a log pushed into itself as a payload.
        assert!(matches!(
            decode_record(&buf, 7, AT.offset + 64),
            Decoded::Invalid(_)
        ));
    }

    #[test]
    fn out_of_format_inputs_are_refused_not_truncated() {
        let mut buf = vec![];
        let long = "k".repeat(MAX_KEY_LEN + 1);
        assert!(encode_out(&mut buf, AT, 0, &long, b"").is_err());
        assert!(encode_tombstone(&mut buf, AT, 0, "").is_err());
        assert!(buf.is_empty(), "nothing written");
    }

    #[test]
    fn zeros_are_never_a_record_and_cost_no_crc() {
        let mut hashed = 0;
        for at in 0..64 {
            let d = decode_record_counted(&[0; 64], 0, at, &mut hashed);
            assert!(matches!(d, Decoded::Invalid(_)));
        }
        assert_eq!(hashed, 0);
    }

    #[test]
    fn a_record_never_claims_more_durable_than_its_offset() {
        let mut buf = vec![];
        let f = Frame {
            durable: 1000,
            ..AT
        };
        encode_out(&mut buf, f, 1, "k", b"v").unwrap();
        let Decoded::Record(r, _) = decode_record(&buf, 7, AT.offset) else {
            panic!()
        };
        assert_eq!(r.durable, AT.offset, "clamped at encode");
    }
}

//! The storage seam: where the log's bytes live.
//!
//! A [`Storage`] is one append-only byte file with the few operations a log needs. The std file
//! backend is [`FileStorage`](super::FileStorage); the in-memory [`FaultStorage`](super::FaultStorage)
//! injects failures, tears and power losses for tests.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Which storage operation failed.
///
/// ```
/// use lindy::store::StorageOp;
/// assert_eq!(StorageOp::Sync.to_string(), "sync");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageOp {
    /// Opening or creating the log.
    Open,
    /// Reading the log.
    Read,
    /// Appending to the log.
    Append,
    /// Making the log durable (fsync).
    Sync,
    /// Truncating the log.
    Truncate,
    /// Writing the replacement file during compaction.
    Replace,
}

impl fmt::Display for StorageOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StorageOp::Open => "open",
            StorageOp::Read => "read",
            StorageOp::Append => "append",
            StorageOp::Sync => "sync",
            StorageOp::Truncate => "truncate",
            StorageOp::Replace => "replace",
        })
    }
}

/// A storage failure: which operation, what the backend said, and whether the log's state on
/// disk is now unknown (`fatal`: the store poisons itself).
///
/// ```
/// use lindy::store::{StorageError, StorageOp};
/// let e = StorageError::new(StorageOp::Append, "disk full");
/// assert_eq!(e.to_string(), "append failed: disk full");
/// assert!(!e.fatal);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    /// The failed operation.
    pub op: StorageOp,
    /// The backend's message (for files: the path and the OS error).
    pub message: String,
    /// The storage may now hold something the store cannot account for (e.g. a compaction's
    /// rename happened but could not be made durable): the store must stop writing.
    pub fatal: bool,
}

impl StorageError {
    /// A non-fatal failure of `op`.
    ///
    /// ```
    /// use lindy::store::{StorageError, StorageOp};
    /// assert!(!StorageError::new(StorageOp::Read, "EIO").fatal);
    /// ```
    pub fn new(op: StorageOp, message: impl Into<String>) -> Self {
        StorageError {
            op,
            message: message.into(),
            fatal: false,
        }
    }

    /// A fatal failure of `op` (see [`fatal`](StorageError::fatal)).
    ///
    /// ```
    /// use lindy::store::{StorageError, StorageOp};
    /// let e = StorageError::fatal(StorageOp::Replace, "directory fsync failed after the rename");
    /// assert!(e.fatal); // the store poisons itself
    /// ```
    pub fn fatal(op: StorageOp, message: impl Into<String>) -> Self {
        StorageError {
            fatal: true,
            ..Self::new(op, message)
        }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: {}", self.op, self.message)
    }
}

impl core::error::Error for StorageError {}

/// A handle that makes everything appended so far durable, usable *while another thread appends*
/// through the [`Storage`] itself. Group commit runs the fsync through it outside the store's
/// lock, so writers keep appending while one of them waits for the disk.
///
/// ```
/// use lindy::store::{FaultStorage, Storage, SyncHandle};
/// let mut storage = FaultStorage::new();
/// let syncer = storage.syncer(); // may move to another thread
/// storage.append(b"record")?;
/// syncer.sync()?;
/// assert_eq!(storage.power_loss(), b"record"); // durable
/// # Ok::<(), lindy::store::StorageError>(())
/// ```
pub trait SyncHandle {
    /// Makes every byte appended before this call durable (`fdatasync`).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage, SyncHandle};
    /// let mut storage = FaultStorage::new();
    /// storage.append(b"abc")?;
    /// storage.syncer().sync()?;
    /// assert_eq!(storage.unsynced_len(), 0);
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn sync(&self) -> Result<(), StorageError>;
}

/// One append-only log file.
///
/// Contract (what the crash-safety argument in `docs/log-format.md` relies on):
/// * [`append`](Storage::append) writes at the end. On error some prefix of the bytes may have
///   been written; the caller truncates back.
/// * After [`sync`](Storage::sync) (or a [`SyncHandle::sync`]) returns `Ok`, every byte appended
///   and every truncation made before the call survives a power loss.
/// * Replacement is atomic: [`begin_replace`](Storage::begin_replace) starts a new file,
///   [`write_replacement`](Storage::write_replacement) fills it,
///   [`commit_replace`](Storage::commit_replace) makes it durable and puts it in the log's place
///   (temp file, fsync, rename, fsync the directory). After a crash the log is entirely the old
///   file or entirely the new one. On a non-fatal error the old file is untouched.
///
/// ```
/// use lindy::store::{FaultStorage, Storage};
/// // Any storage works under a `Queue`; here the in-memory one, through the trait.
/// fn log_len(s: &mut impl Storage) -> u64 { s.size().unwrap_or(0) }
/// let mut s = FaultStorage::new();
/// s.append(b"12345")?;
/// assert_eq!(log_len(&mut s), 5);
/// # Ok::<(), lindy::store::StorageError>(())
/// ```
pub trait Storage {
    /// The out-of-lock sync handle (see [`SyncHandle`]).
    type Syncer: SyncHandle;

    /// Reads up to `buf.len()` bytes of the log at `offset` (a `pread`); returns how many, 0 at
    /// or past the end. Replay reads through this in large chunks, so opening a log holds one
    /// chunk of it in memory, not the whole file.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::from_bytes(b"hello, log".to_vec());
    /// let mut buf = [0u8; 3];
    /// assert_eq!(s.read_at(7, &mut buf)?, 3);
    /// assert_eq!(&buf, b"log");
    /// assert_eq!(s.read_at(10, &mut buf)?, 0); // the end
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, StorageError>;
    /// The log's whole contents (through [`read_at`](Storage::read_at)).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::from_bytes(b"whole".to_vec());
    /// assert_eq!(s.read_all()?, b"whole");
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn read_all(&mut self) -> Result<Vec<u8>, StorageError> {
        const STEP: usize = 64 << 10;
        let mut buf = Vec::new();
        let mut at = 0;
        loop {
            if buf.len() - at < STEP {
                buf.resize(at + STEP, 0);
            }
            let n = self.read_at(at as u64, &mut buf[at..])?;
            if n == 0 {
                buf.truncate(at);
                return Ok(buf);
            }
            at += n;
        }
    }
    /// The log's length in bytes.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::from_bytes(vec![0; 10]);
    /// assert_eq!(s.size()?, 10);
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn size(&mut self) -> Result<u64, StorageError>;
    /// Appends `bytes` at the end.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.append(b"ab")?;
    /// s.append(b"cd")?;
    /// assert_eq!(s.contents(), b"abcd");
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn append(&mut self, bytes: &[u8]) -> Result<(), StorageError>;
    /// Makes everything appended (and truncated) so far durable.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.append(b"durable")?;
    /// s.sync()?;
    /// s.append(b" and not")?;
    /// assert_eq!(s.power_loss(), b"durable");
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn sync(&mut self) -> Result<(), StorageError>;
    /// A handle syncing the current file from another thread.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage, SyncHandle};
    /// let mut s = FaultStorage::new();
    /// let h = s.syncer();
    /// s.append(b"x")?;
    /// std::thread::spawn(move || h.sync()).join().unwrap()?;
    /// assert_eq!(s.unsynced_len(), 0);
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn syncer(&self) -> Self::Syncer;
    /// Cuts the log to `len` bytes.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::from_bytes(b"good|torn".to_vec());
    /// s.truncate(4)?;
    /// assert_eq!(s.contents(), b"good");
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn truncate(&mut self, len: u64) -> Result<(), StorageError>;
    /// Starts writing a replacement for the whole log.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::from_bytes(b"old log".to_vec());
    /// s.begin_replace()?;
    /// s.write_replacement(b"new ")?;
    /// s.write_replacement(b"log")?;
    /// s.commit_replace()?;
    /// assert_eq!(s.power_loss(), b"new log"); // atomic and durable
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn begin_replace(&mut self) -> Result<(), StorageError>;
    /// Appends to the replacement.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// assert!(s.write_replacement(b"x").is_err()); // no replacement started
    /// s.begin_replace()?;
    /// s.write_replacement(b"x")?;
    /// s.commit_replace()?;
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn write_replacement(&mut self, bytes: &[u8]) -> Result<(), StorageError>;
    /// Makes the replacement durable and atomically puts it in place of the log.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::from_bytes(b"old".to_vec());
    /// s.begin_replace()?;
    /// s.write_replacement(b"new")?;
    /// assert_eq!(s.contents(), b"old"); // not in place until committed
    /// s.commit_replace()?;
    /// assert_eq!(s.contents(), b"new");
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn commit_replace(&mut self) -> Result<(), StorageError>;
    /// Discards an unfinished replacement (best effort; never fails).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::from_bytes(b"old".to_vec());
    /// s.begin_replace()?;
    /// s.write_replacement(b"half")?;
    /// s.abort_replace();
    /// assert_eq!(s.contents(), b"old");
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    fn abort_replace(&mut self);
    /// Releases the log (its file and lock) after a clean close; later calls may fail. The
    /// default does nothing.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.close(); // the default does nothing; a file storage releases its file and lock
    /// ```
    fn close(&mut self) {}
    /// A fresh random salt for a new log's header (see [`FileHeader::salt`](super::codec::FileHeader::salt)).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// let _salt: u64 = s.fresh_salt(); // written into a new log's header
    /// ```
    fn fresh_salt(&mut self) -> u64;
}

//! The store's error type.

use alloc::string::String;
use core::fmt;

use super::storage::{StorageError, StorageOp};
use crate::error::{codes, ErrorCode};

/// Why a store operation failed. Match on [`code`](ErrorCode::code) for a stable, cross-language
/// answer; the variants carry the details for messages.
///
/// ```
/// use lindy::store::{FaultStorage, Queue, StoreError, StoreOptions};
/// let mut q = Queue::open(FaultStorage::new(), StoreOptions::new())?;
/// match q.push("", b"x") {
///     Err(e @ StoreError::KeyInvalid { .. }) => assert_eq!(e.code(), "KEY_INVALID"),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The key is empty or longer than the configured maximum (`KEY_INVALID`). Nothing was written.
    KeyInvalid {
        /// The key's length in bytes.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The value is larger than the configured maximum (`VALUE_TOO_LARGE`). Nothing was written.
    ValueTooLarge {
        /// The value's length in bytes.
        len: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The log is corrupt before its tail (`STORE_CORRUPT`): the store refuses to open rather than
    /// silently drop acknowledged data. `salvage` skips the bad region (see
    /// [`StoreOptions::salvage`](super::StoreOptions::salvage)).
    Corrupt {
        /// Byte offset of the first bad byte (0 is the file header).
        offset: u64,
        /// What is wrong there.
        reason: String,
    },
    /// An earlier fsync (or an unrecoverable write) failed, so what is on disk is unknown
    /// (`STORE_POISONED`). Every later write fails; reopen the store to recover from the disk.
    Poisoned {
        /// The failure that poisoned the store.
        cause: String,
    },
    /// The storage backend failed (`IO`).
    Io(StorageError),
    /// The store was closed (`CLOSED`). Reads (`peek`, `len`, `keys`) still answer.
    Closed,
    /// Every sequence number has been used (`SEQUENCE_EXHAUSTED`): the push is refused before
    /// anything is written. (2^64 - 1 pushes; reachable only from a log whose header was written
    /// with a huge `base_seq`.)
    SequenceExhausted,
    /// A lease operation failed (`LEASE_LOST`: no such lease — settled, expired or never issued;
    /// `LEASE_INVALID`: a lease length of 0 or above the maximum). Nothing changed.
    Lease(crate::queue::LeaseError),
}

impl StoreError {
    pub(crate) fn corrupt(offset: u64, reason: impl Into<String>) -> Self {
        StoreError::Corrupt {
            offset,
            reason: reason.into(),
        }
    }

    /// The byte offset of a [`Corrupt`](StoreError::Corrupt) error.
    ///
    /// ```
    /// use lindy::store::{replay, ReplayOptions};
    /// let e = replay(b"not a lindy log at all, 32 bytes", ReplayOptions::default()).unwrap_err();
    /// assert_eq!(e.code(), "STORE_CORRUPT");
    /// assert_eq!(e.corrupt_offset(), Some(0)); // the file header is damaged
    /// ```
    pub fn corrupt_offset(&self) -> Option<u64> {
        match self {
            StoreError::Corrupt { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// The failed storage operation of an [`Io`](StoreError::Io) error.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Queue, StorageOp, StoreOptions};
    /// let storage = FaultStorage::new();
    /// let mut q = Queue::open(storage.clone(), StoreOptions::new())?;
    /// storage.fail_io(0); // the next I/O fails: the push's append
    /// let e = q.push("k", b"v").unwrap_err();
    /// assert_eq!((e.code(), e.storage_op()), ("IO", Some(StorageOp::Append)));
    /// assert_eq!(q.len("k"), 0); // nothing added
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn storage_op(&self) -> Option<StorageOp> {
        match self {
            StoreError::Io(e) => Some(e.op),
            _ => None,
        }
    }
}

impl From<StorageError> for StoreError {
    fn from(e: StorageError) -> Self {
        StoreError::Io(e)
    }
}

impl StoreError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// use lindy::store::{StoreError, MAX_VALUE_LEN};
    /// let e = StoreError::ValueTooLarge { len: MAX_VALUE_LEN + 1, max: MAX_VALUE_LEN };
    /// assert_eq!(e.code(), "VALUE_TOO_LARGE"); // no trait import needed
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::KeyInvalid { .. } => codes::KEY_INVALID,
            StoreError::ValueTooLarge { .. } => codes::VALUE_TOO_LARGE,
            StoreError::Corrupt { .. } => codes::STORE_CORRUPT,
            StoreError::Poisoned { .. } => codes::STORE_POISONED,
            StoreError::Io(_) => codes::IO,
            StoreError::Closed => codes::CLOSED,
            StoreError::SequenceExhausted => codes::SEQUENCE_EXHAUSTED,
            StoreError::Lease(e) => e.code(),
        }
    }
}

impl ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        StoreError::code(self)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::KeyInvalid { len: 0, .. } => f.write_str("store key is empty"),
            StoreError::KeyInvalid { len, max } => {
                write!(f, "store key is {len} bytes, above the maximum of {max}")
            }
            StoreError::ValueTooLarge { len, max } => {
                write!(
                    f,
                    "store value is {len} bytes, above the maximum of {max}; nothing was written"
                )
            }
            StoreError::Corrupt { offset, reason } => {
                write!(f, "store log is corrupt at byte offset {offset}: {reason}")
            }
            StoreError::Poisoned { cause } => write!(
                f,
                "store is poisoned by an earlier failure ({cause}); reopen it to recover"
            ),
            StoreError::Io(e) => write!(f, "store I/O failed: {e}"),
            StoreError::Closed => f.write_str("store is closed"),
            StoreError::Lease(e) => write!(f, "store lease: {e}"),
            StoreError::SequenceExhausted => f.write_str(
                "store sequence numbers are exhausted (the log's next sequence number is 2^64 - 1); nothing was written",
            ),
        }
    }
}

impl core::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            StoreError::Io(e) => Some(e),
            StoreError::Lease(e) => Some(e),
            _ => None,
        }
    }
}

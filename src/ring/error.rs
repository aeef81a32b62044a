//! The ring's errors. Value-carrying ones hand the value back: nothing is lost silently.

use core::fmt;

use crate::error::{codes, ErrorCode};

/// A [`LockingRing::try_push`](super::LockingRingBase::try_push) that could not push: the ring
/// was full (`BUFFER_FULL`) or closed (`CLOSED`). Either way the value comes back.
///
/// ```
/// use lindy::ring::{LockingRing, TryPushError};
///
/// let ring: LockingRing<u8, 1> = LockingRing::new();
/// ring.try_push(1)?;
/// assert!(matches!(ring.try_push(2), Err(TryPushError::Full(2))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryPushError<T> {
    /// No room right now; try again later or `push(..).await` to wait for room.
    Full(T),
    /// The ring was closed; nothing will ever be pushed again.
    Closed(T),
}

impl<T> TryPushError<T> {
    /// Takes the value back.
    ///
    /// ```
    /// let ring: lindy::ring::LockingRing<u8, 1> = lindy::ring::LockingRing::new();
    /// ring.close();
    /// assert_eq!(ring.try_push(7).unwrap_err().into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TryPushError::Full(v) | TryPushError::Closed(v) => v,
        }
    }

    /// Whether the ring was closed (as opposed to full).
    ///
    /// ```
    /// let ring: lindy::ring::LockingRing<u8, 1> = lindy::ring::LockingRing::new();
    /// ring.try_push(1)?;
    /// assert!(!ring.try_push(2).unwrap_err().is_closed()); // full, not closed
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TryPushError::Closed(_))
    }
}

impl<T> fmt::Debug for TryPushError<T> {
    // Values need not be `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryPushError::Full(_) => "Full(..)",
            TryPushError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for TryPushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryPushError::Full(_) => "ring push: buffer full (the value is handed back)",
            TryPushError::Closed(_) => "ring push: ring closed (the value is handed back)",
        })
    }
}

impl<T> TryPushError<T> {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// let ring: lindy::ring::LockingRing<u8, 1> = lindy::ring::LockingRing::new();
    /// ring.try_push(1)?;
    /// assert_eq!(ring.try_push(2).unwrap_err().code(), "BUFFER_FULL");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            TryPushError::Full(_) => codes::BUFFER_FULL,
            TryPushError::Closed(_) => codes::CLOSED,
        }
    }
}

impl<T> ErrorCode for TryPushError<T> {
    fn code(&self) -> &'static str {
        TryPushError::code(self)
    }
}

impl<T> core::error::Error for TryPushError<T> {}

impl<T> From<crate::error::Full<T>> for TryPushError<T> {
    fn from(e: crate::error::Full<T>) -> Self {
        TryPushError::Full(e.0)
    }
}

impl<T> From<crate::error::Closed<T>> for TryPushError<T> {
    fn from(e: crate::error::Closed<T>) -> Self {
        TryPushError::Closed(e.0)
    }
}

/// A [`LockingRing::try_take`](super::LockingRingBase::try_take) that found nothing: the ring was
/// empty (`BUFFER_EMPTY`) or closed and drained (`CLOSED`).
///
/// ```
/// use lindy::ring::{LockingRing, TryTakeError};
///
/// let ring: LockingRing<u8, 1> = LockingRing::new();
/// assert_eq!(ring.try_take(), Err(TryTakeError::Empty));
/// ring.close();
/// assert_eq!(ring.try_take(), Err(TryTakeError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TryTakeError {
    /// Nothing to take right now; try again later or `take().await` to wait for a value.
    Empty,
    /// The ring was closed and every value was taken: nothing will ever arrive.
    Closed,
}

impl fmt::Display for TryTakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryTakeError::Empty => "ring take: buffer empty",
            TryTakeError::Closed => "ring take: ring closed and drained",
        })
    }
}

impl TryTakeError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// use lindy::ring::TryTakeError;
    /// assert_eq!(TryTakeError::Empty.code(), "BUFFER_EMPTY");
    /// assert_eq!(TryTakeError::Closed.code(), "CLOSED");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            TryTakeError::Empty => codes::BUFFER_EMPTY,
            TryTakeError::Closed => codes::CLOSED,
        }
    }
}

impl ErrorCode for TryTakeError {
    fn code(&self) -> &'static str {
        TryTakeError::code(self)
    }
}

impl core::error::Error for TryTakeError {}

/// Renamed [`TryTakeError`].
#[deprecated(since = "0.2.0", note = "renamed to `TryTakeError`")]
pub type TryPopError = TryTakeError;

/// A runtime capacity that cannot make a ring (`INVALID_CONFIG`).
///
/// ```
/// use lindy::ring::{CapacityError, HeapRing};
///
/// assert_eq!(HeapRing::<u8>::with_capacity(0).unwrap_err(), CapacityError::Zero);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CapacityError {
    /// Capacity 0: the ring could never hold a value (and a waiting push would never finish).
    Zero,
    /// The slots could not be allocated (too many bytes, or the allocator refused).
    TooLarge {
        /// The capacity asked for.
        requested: usize,
    },
}

impl fmt::Display for CapacityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapacityError::Zero => f.write_str("ring capacity must be at least 1 (got 0)"),
            CapacityError::TooLarge { requested } => {
                write!(f, "ring capacity {requested} is too large to allocate")
            }
        }
    }
}

impl CapacityError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// let err = lindy::ring::HeapRing::<u8>::with_capacity(0).unwrap_err();
    /// assert_eq!(err.code(), "INVALID_CONFIG");
    /// ```
    pub fn code(&self) -> &'static str {
        codes::INVALID_CONFIG
    }
}

impl ErrorCode for CapacityError {
    fn code(&self) -> &'static str {
        CapacityError::code(self)
    }
}

impl core::error::Error for CapacityError {}

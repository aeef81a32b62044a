//! [`Error`]: every failure of the Redis backends, with lindy's stable codes.

use std::fmt;

use lindy::channels::ChannelError;
use lindy::error::{codes, ErrorCode};

/// Why a Redis-backed operation failed. `err.code()` is one of lindy's stable codes
/// ([`lindy::error`]):
///
/// | variant | code | when |
/// |---|---|---|
/// | [`Config`](Error::Config) | `INVALID_CONFIG` | a bad URL, an empty node list, a zero size limit |
/// | [`Io`](Error::Io) | `IO` | refused connection, the server went away mid-call, a timeout, any server-side failure |
/// | [`KeyInvalid`](Error::KeyInvalid) | `KEY_INVALID` | an empty or over-long key, or a Redis key of the wrong type (`WRONGTYPE`) |
/// | [`ValueTooLarge`](Error::ValueTooLarge) | `VALUE_TOO_LARGE` | a value above the handle's limit: nothing was sent |
/// | [`Closed`](Error::Closed) | `CLOSED` | the space was closed (a `push` hands its value back in [`PushError`]) |
/// | [`LeaseInvalid`](Error::LeaseInvalid) | `LEASE_INVALID` | a lease of 0, above a year, or not whole milliseconds: nothing taken |
/// | [`LeaseLost`](Error::LeaseLost) | `LEASE_LOST` | an `ack`/`nack` of a lease that expired or was settled: the entry was requeued (or dead-lettered) |
/// | [`Channel`](Error::Channel) | the channel's code | a registry rule refused the call (`CHANNEL_NOT_FOUND`, …) |
///
/// An `IO` error on a call that changes state is *ambiguous*: the server may or may not have
/// applied it (the reply was lost). Each operation's rustdoc says what that means for it; the
/// at-least-once argument is in `docs/redis.md`.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
/// match space.take("jobs").await {
///     Ok(job) => println!("{job:?}"),
///     Err(e) if e.code() == "CLOSED" => println!("no more jobs"),
///     Err(e) => return Err(e.into()),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value was refused before anything was sent.
    Config(String),
    /// The connection or the server failed.
    Io(redis::RedisError),
    /// A key was refused: why.
    KeyInvalid(String),
    /// A value was larger than the limit.
    ValueTooLarge {
        /// The value's length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// The space is closed.
    Closed,
    /// The lease was no longer held.
    LeaseLost,
    /// A lease length of zero, above a year, or not whole milliseconds: nothing was taken.
    LeaseInvalid(std::time::Duration),
    /// A channel registry rule refused the call.
    Channel(ChannelError),
}

impl Error {
    /// Maps a redis-rs error: `WRONGTYPE` is a key problem, the scripts' own `LINDY_*` error
    /// replies are lindy errors, everything else is `IO`.
    pub(crate) fn from_redis(e: redis::RedisError) -> Self {
        match e.code() {
            Some("WRONGTYPE") => {
                Error::KeyInvalid(format!("a Redis key holds the wrong type: {e}"))
            }
            Some("LINDY_CLOSED") => Error::Closed,
            Some("LINDY_LEASE_LOST") => Error::LeaseLost,
            _ if e.kind() == redis::ErrorKind::InvalidClientConfig => Error::Config(e.to_string()),
            _ => Error::Io(e),
        }
    }
}

impl From<redis::RedisError> for Error {
    fn from(e: redis::RedisError) -> Self {
        Error::from_redis(e)
    }
}

impl From<ChannelError> for Error {
    fn from(e: ChannelError) -> Self {
        Error::Channel(e)
    }
}

impl Error {
    /// The stable code of this error (see [`lindy::error`](lindy::error)); an inherent method, so it
    /// needs no trait import.
    ///
    /// # Examples
    ///
    /// ```
    /// let e = lindy_redis::Error::Closed;
    /// assert_eq!(e.code(), "CLOSED");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config(_) => codes::INVALID_CONFIG,
            Error::Io(_) => codes::IO,
            Error::KeyInvalid(_) => codes::KEY_INVALID,
            Error::ValueTooLarge { .. } => codes::VALUE_TOO_LARGE,
            Error::Closed => codes::CLOSED,
            Error::LeaseLost => codes::LEASE_LOST,
            Error::LeaseInvalid(_) => codes::LEASE_INVALID,
            Error::Channel(e) => e.code(),
        }
    }
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        Error::code(self)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(why) => write!(f, "invalid configuration: {why}"),
            Error::Io(e) => write!(f, "redis: {e}"),
            Error::KeyInvalid(why) => write!(f, "invalid key: {why}"),
            Error::ValueTooLarge { len, max } => {
                write!(f, "value of {len} bytes is above the limit of {max} bytes")
            }
            Error::Closed => f.write_str("closed"),
            Error::LeaseLost => f.write_str("the lease expired or was already settled"),
            Error::LeaseInvalid(d) => write!(f, "invalid lease length {d:?}"),
            Error::Channel(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            Error::Channel(e) => Some(e),
            _ => None,
        }
    }
}

/// A `push` that failed: the error and the value, handed back (nothing is lost silently).
///
/// After an `IO` error the value may still have been stored (the reply was lost): pushing it again
/// is at-least-once.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
/// if let Err(e) = space.push("resize", "a.png").await {
///     let value = e.into_inner(); // nothing lost
///     println!("kept {value:?}");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PushError {
    /// Why it failed.
    pub error: Error,
    /// The value that was to be stored.
    pub value: bytes::Bytes,
}

/// Renamed [`PushError`].
#[deprecated(since = "0.2.0", note = "renamed to `PushError`")]
pub type OutError = PushError;

impl PushError {
    /// Takes the value back.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// if let Err(e) = space.push("resize", "a.png").await {
    ///     let value = e.into_inner();
    ///     println!("kept {value:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn into_inner(self) -> bytes::Bytes {
        self.value
    }
}

impl PushError {
    /// The stable code of this error (see [`lindy::error`](lindy::error)); an inherent method, so it
    /// needs no trait import.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(space: lindy_redis::RedisSpace) -> Result<(), Box<dyn std::error::Error>> {
    /// if let Err(e) = space.push("resize", "a.png").await {
    ///     eprintln!("{}", e.code()); // e.g. "VALUE_TOO_LARGE"
    /// }
    /// # Ok(()) }
    /// ```
    pub fn code(&self) -> &'static str {
        self.error.code()
    }
}

impl ErrorCode for PushError {
    fn code(&self) -> &'static str {
        PushError::code(self)
    }
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for PushError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Checks a key: non-empty, at most `max` bytes, no NUL (the scripts use it as a separator).
pub(crate) fn check_key(key: &str, max: usize) -> Result<(), Error> {
    if key.is_empty() {
        Err(Error::KeyInvalid("empty key".into()))
    } else if key.len() > max {
        Err(Error::KeyInvalid(format!(
            "key of {} bytes is above the limit of {max}",
            key.len()
        )))
    } else if key.contains('\0') {
        Err(Error::KeyInvalid("key contains NUL".into()))
    } else {
        Ok(())
    }
}

/// Checks a value's length against `max`.
pub(crate) fn check_value(len: usize, max: usize) -> Result<(), Error> {
    if len > max {
        Err(Error::ValueTooLarge { len, max })
    } else {
        Ok(())
    }
}

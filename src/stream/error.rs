//! Errors of the stream hub and its writers.

use alloc::string::String;
use core::fmt;

use bytes::Bytes;

use super::ConfigError;
use crate::error::{codes, Closed, ErrorCode, Full};

/// Why a [`Streams`](super::Streams) call failed.
///
/// ```
/// use lindy::stream::{StreamError, Streams};
/// let hub = Streams::new();
/// drop(hub.writer("p").unwrap()); // the stream on "p" has ended
/// match hub.writer("p") {
///     Err(StreamError::Closed { path, hub: false }) => assert_eq!(path, "p"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamError {
    /// The path is empty (`INVALID_PATH`).
    InvalidPath,
    /// The hub is closed, or (for a writer) the path's stream has ended: every writer closed
    /// it. Delete the path to start a new stream under the same name (`CLOSED`).
    Closed {
        /// The path asked for.
        path: String,
        /// `true` when the whole hub is closed.
        hub: bool,
    },
    /// A configuration value could not be used (`INVALID_CONFIG`).
    InvalidConfig(ConfigError),
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::InvalidPath => f.write_str("invalid stream path: the path is empty"),
            StreamError::Closed { path, hub: true } => {
                write!(f, "stream hub is closed (path `{path}`)")
            }
            StreamError::Closed { path, hub: false } => write!(
                f,
                "stream `{path}` has ended (all its writers closed); delete it to reuse the path"
            ),
            StreamError::InvalidConfig(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl StreamError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// let hub: lindy::stream::Streams = lindy::stream::Streams::new();
    /// assert_eq!(hub.writer("").unwrap_err().code(), "INVALID_PATH");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            StreamError::InvalidPath => codes::INVALID_PATH,
            StreamError::Closed { .. } => codes::CLOSED,
            StreamError::InvalidConfig(_) => codes::INVALID_CONFIG,
        }
    }
}

impl ErrorCode for StreamError {
    fn code(&self) -> &'static str {
        StreamError::code(self)
    }
}

impl core::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            StreamError::InvalidConfig(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ConfigError> for StreamError {
    fn from(e: ConfigError) -> Self {
        StreamError::InvalidConfig(e)
    }
}

/// Why [`Writer::try_write`](super::Writer::try_write) did not write; the message is handed
/// back either way.
///
/// ```
/// use lindy::stream::{Streams, TryWriteError};
/// let hub = Streams::new();
/// let mut w = hub.writer("p").unwrap();
/// w.close();
/// assert!(matches!(w.try_write("late"), Err(TryWriteError::Closed(_))));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum TryWriteError {
    /// The path's buffer is full (`BUFFER_FULL`).
    Full(Full<Bytes>),
    /// The writer, the stream, the path or the hub is closed (`CLOSED`).
    Closed(Closed<Bytes>),
}

impl TryWriteError {
    /// The message that was not written.
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// let mut w = hub.writer("p").unwrap();
    /// w.close();
    /// assert_eq!(w.try_write("kept").unwrap_err().into_inner(), "kept");
    /// ```
    pub fn into_inner(self) -> Bytes {
        match self {
            TryWriteError::Full(Full(m)) | TryWriteError::Closed(Closed(m)) => m,
        }
    }

    /// Whether the buffer was full (as opposed to closed).
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// let mut w = hub.writer("p").unwrap();
    /// w.close();
    /// assert!(!w.try_write("x").unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TryWriteError::Full(_))
    }
}

impl fmt::Debug for TryWriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryWriteError::Full(m) => write!(f, "Full({} bytes)", m.0.len()),
            TryWriteError::Closed(m) => write!(f, "Closed({} bytes)", m.0.len()),
        }
    }
}

impl fmt::Display for TryWriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryWriteError::Full(_) => f.write_str("stream buffer full; message handed back"),
            TryWriteError::Closed(_) => f.write_str("stream closed; message handed back"),
        }
    }
}

impl TryWriteError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// let hub: lindy::stream::Streams = lindy::stream::Streams::from_config([("buffer_size", "1")]).unwrap();
    /// let w = hub.writer("p").unwrap();
    /// w.try_write("a").unwrap();
    /// assert_eq!(w.try_write("b").unwrap_err().code(), "BUFFER_FULL");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            TryWriteError::Full(_) => codes::BUFFER_FULL,
            TryWriteError::Closed(_) => codes::CLOSED,
        }
    }
}

impl ErrorCode for TryWriteError {
    fn code(&self) -> &'static str {
        TryWriteError::code(self)
    }
}

impl core::error::Error for TryWriteError {}

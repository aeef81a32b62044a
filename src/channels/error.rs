//! [`ChannelError`]: what a lifecycle call refused, and for which channel.

use core::fmt;
use core::time::Duration;

use crate::error::{codes, ErrorCode};
use crate::grammar::{GrammarError, Name, Visibility};

/// Why a [`Manager`](super::Manager) (or a [`Registry`](super::Registry)) refused a call.
///
/// Every variant names the channel; [`code`](ErrorCode::code) gives the stable code.
///
/// ```
/// use lindy::channels::{ChannelError, Manager};
/// use lindy::grammar::Name;
/// use lindy::ErrorCode;
///
/// let manager = Manager::with_clock(|| 0);
/// let name = Name::parse("public:chat.rooms")?;
/// let err = manager.touch(&name).unwrap_err();
/// assert_eq!(err.code(), "CHANNEL_NOT_FOUND");
/// assert_eq!(err.to_string(), "channel `public:chat.rooms` not found");
/// assert!(matches!(err, ChannelError::NotFound { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelError {
    /// The name has the wrong visibility for the call (`open_public` with a private name, or
    /// `create_private` with a public one). Code `CHANNEL_INVALID`.
    WrongVisibility {
        /// The channel.
        channel: Name,
        /// The visibility the call needs.
        expected: Visibility,
    },
    /// A string did not parse as a channel name (for callers that parse and manage in one `?`
    /// chain). Code `CHANNEL_INVALID`.
    Grammar(GrammarError),
    /// No such channel, or it was deleted. Code `CHANNEL_NOT_FOUND`.
    NotFound {
        /// The channel.
        channel: Name,
    },
    /// A record with this name already exists (`create_private`). Code `CHANNEL_EXISTS`.
    Exists {
        /// The channel.
        channel: Name,
    },
    /// The public channel is closed; re-open it with `open_public` first. Code `CHANNEL_CLOSED`.
    Closed {
        /// The channel.
        channel: Name,
    },
    /// A private channel's TTL is above [`MAX_PRIVATE_TTL`](super::MAX_PRIVATE_TTL). Code
    /// `CHANNEL_TTL_EXCEEDS_MAX`.
    TtlExceedsMax {
        /// The channel.
        channel: Name,
        /// The TTL asked for.
        ttl: Duration,
        /// The maximum.
        max: Duration,
    },
}

impl ChannelError {
    /// The channel the error is about (`None` only for [`Grammar`](Self::Grammar)).
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// let name = lindy::grammar::Name::parse("public:a.b")?;
    /// assert_eq!(manager.touch(&name).unwrap_err().channel(), Some(&name));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn channel(&self) -> Option<&Name> {
        match self {
            ChannelError::WrongVisibility { channel, .. }
            | ChannelError::NotFound { channel }
            | ChannelError::Exists { channel }
            | ChannelError::Closed { channel }
            | ChannelError::TtlExceedsMax { channel, .. } => Some(channel),
            ChannelError::Grammar(_) => None,
        }
    }

    pub(crate) fn not_found(channel: &Name) -> Self {
        ChannelError::NotFound {
            channel: channel.clone(),
        }
    }
}

impl ChannelError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// use lindy::channels::Manager;
    /// use lindy::grammar::Name;
    ///
    /// let manager = Manager::with_clock(|| 0);
    /// let err = manager.get(&Name::parse("public:a.b").unwrap()).unwrap_err();
    /// assert_eq!(err.code(), "CHANNEL_NOT_FOUND");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            ChannelError::WrongVisibility { .. } | ChannelError::Grammar(_) => {
                codes::CHANNEL_INVALID
            }
            ChannelError::NotFound { .. } => codes::CHANNEL_NOT_FOUND,
            ChannelError::Exists { .. } => codes::CHANNEL_EXISTS,
            ChannelError::Closed { .. } => codes::CHANNEL_CLOSED,
            ChannelError::TtlExceedsMax { .. } => codes::CHANNEL_TTL_EXCEEDS_MAX,
        }
    }
}

impl ErrorCode for ChannelError {
    fn code(&self) -> &'static str {
        ChannelError::code(self)
    }
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelError::WrongVisibility { channel, expected } => write!(
                f,
                "channel `{channel}` is {}, but this call needs a {expected} channel",
                channel.visibility()
            ),
            ChannelError::Grammar(e) => fmt::Display::fmt(e, f),
            ChannelError::NotFound { channel } => write!(f, "channel `{channel}` not found"),
            ChannelError::Exists { channel } => write!(f, "channel `{channel}` already exists"),
            ChannelError::Closed { channel } => {
                write!(f, "channel `{channel}` is closed (re-open it first)")
            }
            ChannelError::TtlExceedsMax { channel, ttl, max } => write!(
                f,
                "channel `{channel}`: TTL {ttl:?} exceeds the private maximum {max:?}"
            ),
        }
    }
}

impl core::error::Error for ChannelError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ChannelError::Grammar(e) => Some(e),
            _ => None,
        }
    }
}

impl From<GrammarError> for ChannelError {
    fn from(e: GrammarError) -> Self {
        ChannelError::Grammar(e)
    }
}

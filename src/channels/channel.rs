//! [`Channel`] (a record's snapshot), its [`State`], and the [`Event`]s its transitions emit.

use core::fmt;
use core::time::Duration;

use crate::grammar::Name;

/// Where a channel is in its life.
///
/// ```text
///            open_public / create_private
///                       │
///                       ▼        sweep (public, idle ≥ ttl)
///                    ┌──────┐ ───────────────────────────► ┌────────┐
///                    │ Open │                              │ Closed │
///                    └──────┘ ◄─────────────────────────── └────────┘
///                       │          open_public (re-open)        │
///         delete, or    │                                       │ delete
///  sweep (private: gone)▼                                       ▼
///                   ┌─────────┐ ◄─────────────────────────────────┘
///                   │ Deleted │  (a tombstone; see the module docs)
///                   └─────────┘
/// ```
///
/// ```
/// use lindy::channels::{Manager, State};
/// let manager = Manager::with_clock(|| 0);
/// let name = lindy::grammar::Name::parse("public:a.b")?;
/// manager.open_public(&name, Some(std::time::Duration::ZERO))?;
/// manager.handle_timeout(0);
/// assert_eq!(manager.get(&name)?.state, State::Closed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum State {
    /// Live: it can be touched, and it expires after `ttl` of inactivity.
    Open,
    /// A public channel that expired: no activity is accepted until it is re-opened; existing
    /// subscribers are not kicked.
    Closed,
    /// Deleted, explicitly or (private channels) by expiry. Subscribers must be kicked.
    Deleted,
}

impl State {
    /// `"open"`, `"closed"` or `"deleted"`.
    ///
    /// ```
    /// assert_eq!(lindy::channels::State::Open.as_str(), "open");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
            State::Deleted => "deleted",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A snapshot of one managed channel.
///
/// Timestamps are milliseconds on the manager's [`Clock`](super::Clock) (the std
/// [`SystemClock`](super::SystemClock) counts from the Unix epoch). Snapshots are copies: changing
/// one changes nothing in the registry.
///
/// ```
/// let manager = lindy::channels::Manager::with_clock(|| 1_000);
/// let channel = manager.open_public(&lindy::grammar::Name::parse("public:a.b")?, None)?;
/// assert_eq!((channel.created_at, channel.last_active, channel.delta), (1_000, 1_000, false));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Channel {
    /// The channel's name.
    pub name: Name,
    /// Open, closed or deleted.
    pub state: State,
    /// How long the channel may stay idle before a sweep expires it.
    pub ttl: Duration,
    /// When the record was created (first open or creation), in ms.
    pub created_at: u64,
    /// The last open, re-open or touch, in ms.
    pub last_active: u64,
    /// Delta encoding for this channel's payloads (off by default; kept across close/re-open).
    pub delta: bool,
}

impl Channel {
    /// The TTL in whole milliseconds, rounded *up* (a TTL is never shorter than asked) and
    /// saturating at `u64::MAX`.
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// let ttl = std::time::Duration::from_micros(1_500);
    /// let channel = manager.open_public(&lindy::grammar::Name::parse("public:a.b")?, Some(ttl))?;
    /// assert_eq!(channel.ttl_ms(), 2); // rounded up
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ttl_ms(&self) -> u64 {
        duration_to_ms(self.ttl)
    }

    /// When an open channel expires unless it is touched again: `last_active + ttl`, in ms;
    /// `None` if that lies beyond `u64::MAX` (it never expires).
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 100);
    /// let ttl = std::time::Duration::from_secs(1);
    /// let channel = manager.open_public(&lindy::grammar::Name::parse("public:a.b")?, Some(ttl))?;
    /// assert_eq!(channel.expires_at(), Some(1_100));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expires_at(&self) -> Option<u64> {
        self.last_active.checked_add(self.ttl_ms())
    }

    /// Whether a sweep at `now` expires it: it is open and `now - last_active >= ttl`.
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// let ttl = std::time::Duration::from_millis(10);
    /// let channel = manager.open_public(&lindy::grammar::Name::parse("public:a.b")?, Some(ttl))?;
    /// assert!(!channel.is_expired(9) && channel.is_expired(10));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_expired(&self, now: u64) -> bool {
        self.state == State::Open && now.saturating_sub(self.last_active) >= self.ttl_ms()
    }

    /// Whether the name is in the private namespace.
    ///
    /// ```
    /// let manager = lindy::channels::Manager::with_clock(|| 0);
    /// let channel = manager.create_private(&lindy::grammar::Name::parse("private:a.b.c")?, None)?;
    /// assert!(channel.is_private());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_private(&self) -> bool {
        self.name.is_private()
    }
}

/// A duration in whole milliseconds, rounded up and saturating (so 1 µs is 1 ms, not 0).
pub(crate) fn duration_to_ms(d: Duration) -> u64 {
    let ms = d.as_millis();
    let ms = if d.subsec_nanos() % 1_000_000 != 0 {
        ms + 1
    } else {
        ms
    };
    u64::try_from(ms).unwrap_or(u64::MAX)
}

/// Which transition a channel made.
///
/// ```
/// use lindy::channels::EventKind;
/// assert_eq!([EventKind::Opened, EventKind::Closed, EventKind::Deleted].map(EventKind::as_str),
///            ["opened", "closed", "deleted"]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum EventKind {
    /// A public channel was opened for the first time or re-opened, or a private one created.
    Opened,
    /// A public channel expired (sweep). Existing subscribers are not kicked.
    Closed,
    /// A channel was deleted, explicitly or because a private channel expired. Subscribers must
    /// be kicked.
    Deleted,
}

impl EventKind {
    /// `"opened"`, `"closed"` or `"deleted"` (the seed's wire words).
    ///
    /// ```
    /// assert_eq!(lindy::channels::EventKind::Deleted.as_str(), "deleted");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Opened => "opened",
            EventKind::Closed => "closed",
            EventKind::Deleted => "deleted",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One lifecycle transition: what happened, to which channel, when (ms).
///
/// ```
/// let manager = lindy::channels::Manager::with_clock(|| 5);
/// let mut events = manager.subscribe(1);
/// manager.open_public(&lindy::grammar::Name::parse("public:a.b")?, None)?;
/// let event = events.try_recv()?;
/// assert_eq!((event.kind, event.at), (lindy::channels::EventKind::Opened, 5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Event {
    /// The transition.
    pub kind: EventKind,
    /// The channel.
    pub name: Name,
    /// When it happened, in ms on the emitting manager's clock.
    pub at: u64,
}

impl Event {
    /// An event of `kind` for `name` at `at`.
    ///
    /// ```
    /// use lindy::channels::{Event, EventKind};
    /// let event = Event::new(EventKind::Opened, lindy::grammar::Name::parse("public:a.b")?, 1);
    /// assert_eq!(event.at, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(kind: EventKind, name: Name, at: u64) -> Self {
        Event { kind, name, at }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} at {}ms", self.name, self.kind, self.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_to_whole_milliseconds_and_saturates() {
        assert_eq!(duration_to_ms(Duration::ZERO), 0);
        assert_eq!(duration_to_ms(Duration::from_micros(1)), 1);
        assert_eq!(duration_to_ms(Duration::from_millis(5)), 5);
        assert_eq!(duration_to_ms(Duration::from_micros(5_001)), 6);
        assert_eq!(duration_to_ms(Duration::MAX), u64::MAX);
    }

    #[test]
    fn expiry_is_inclusive_and_never_overflows() {
        let mut c = Channel {
            name: Name::parse("public:a.b").unwrap(),
            state: State::Open,
            ttl: Duration::from_millis(10),
            created_at: 0,
            last_active: 100,
            delta: false,
        };
        assert!(!c.is_expired(109));
        assert!(c.is_expired(110));
        assert!(!c.is_expired(50), "a clock that went back expires nothing");
        assert_eq!(c.expires_at(), Some(110));
        c.ttl = Duration::MAX;
        assert_eq!(c.expires_at(), None);
        assert!(!c.is_expired(u64::MAX - 1));
        c.state = State::Closed;
        c.ttl = Duration::ZERO;
        assert!(!c.is_expired(u64::MAX), "only open channels expire");
    }
}

//! [`GrammarError`]: what is wrong with a channel name or pattern, and where.

use core::fmt;

use super::{MAX_NAME_LEN, MAX_PATTERN_DEPTH, MAX_SEGMENT_LEN};
use crate::error::{codes, ErrorCode};

/// What was being parsed when the error was found: it decides the [code](ErrorCode::code).
///
/// ```
/// use lindy::grammar::{Name, Pattern, Subject};
///
/// assert_eq!(Name::parse("public:a").unwrap_err().subject(), Subject::Name);
/// assert_eq!(Pattern::parse("public:a*").unwrap_err().subject(), Subject::Pattern);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A channel name ([`Name`](super::Name), [`NameRef`](super::NameRef)): code `CHANNEL_INVALID`.
    Name,
    /// A channel pattern ([`Pattern`](super::Pattern)): code `PATTERN_INVALID`.
    Pattern,
}

/// Which rule the input broke. Match on it to react to one kind of mistake; the position (segment
/// and byte offset) is on the [`GrammarError`] itself.
///
/// ```
/// use lindy::grammar::{GrammarErrorKind, Name};
///
/// // Turn a rule into a message for your own users.
/// fn hint(input: &str) -> &'static str {
///     match Name::parse(input).map_err(|e| e.kind()) {
///         Ok(_) => "ok",
///         Err(GrammarErrorKind::MissingVisibility) => "start with public: or private:",
///         Err(GrammarErrorKind::PrivateWithoutId) => "a private channel needs an id",
///         Err(GrammarErrorKind::InvalidChar { .. }) => "use a-z, 0-9, - and _",
///         Err(_) => "not a channel name",
///     }
/// }
/// assert_eq!(hint("chat.rooms"), "start with public: or private:");
/// assert_eq!(hint("private:chat.dm"), "a private channel needs an id");
/// assert_eq!(hint("public:chat.Rooms"), "use a-z, 0-9, - and _");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GrammarErrorKind {
    /// The input is empty.
    Empty,
    /// The input is longer than [`MAX_NAME_LEN`] bytes (names and patterns alike).
    TooLong {
        /// The input's length in bytes.
        len: usize,
    },
    /// There is no `:`, so no `public:` / `private:` prefix.
    MissingVisibility,
    /// The text before the first `:` is not `public` or `private` (lowercase, exactly).
    UnknownVisibility,
    /// A pattern tried a wildcard visibility (`*:` or `**:`): patterns are bound to one visibility.
    WildcardVisibility,
    /// A segment is empty (`public:a..b`, a leading or trailing `.`, nothing after `:`).
    EmptySegment,
    /// A byte outside `a-z 0-9 - _` (and outside `*` for a pattern's wildcard segments).
    InvalidChar {
        /// The offending character (decoded, so non-ASCII input is shown as the character).
        ch: char,
    },
    /// A segment is longer than [`MAX_SEGMENT_LEN`] bytes.
    SegmentTooLong {
        /// The segment's length in bytes.
        len: usize,
    },
    /// A name has fewer than 2 segments (`app.domain` is the minimum).
    TooFewSegments {
        /// How many segments the name has.
        found: usize,
    },
    /// A name has more than 4 segments, or a pattern more than [`MAX_PATTERN_DEPTH`].
    TooManySegments {
        /// The maximum for this subject (4 for names, [`MAX_PATTERN_DEPTH`] for patterns).
        max: usize,
    },
    /// A private name has no id segment (`private:app.domain` is not addressable).
    PrivateWithoutId,
    /// [`Name::build`](super::Name::build) got a topic but no id: the rendered name would read the
    /// topic as the id, so it would not round-trip.
    TopicWithoutId,
    /// A wildcard that is not a whole segment (`foo*`, `*bar`, `***`).
    PartialWildcard,
    /// `**` anywhere but the last segment of a pattern.
    DoubleStarNotLast,
}

/// A channel name or pattern that breaks the grammar.
///
/// [`code()`](ErrorCode::code) is `"CHANNEL_INVALID"` for names and `"PATTERN_INVALID"` for
/// patterns; [`kind()`](Self::kind) says which rule was broken, [`segment()`](Self::segment) and
/// [`offset()`](Self::offset) say where. The message names all three:
///
/// ```
/// use lindy::grammar::{GrammarErrorKind, Name};
/// use lindy::ErrorCode;
///
/// let err = Name::parse("public:chat.Rooms").unwrap_err();
/// assert_eq!(err.code(), "CHANNEL_INVALID");
/// assert_eq!(err.kind(), GrammarErrorKind::InvalidChar { ch: 'R' });
/// assert_eq!((err.segment(), err.offset()), (Some(1), Some(12)));
/// assert_eq!(
///     err.to_string(),
///     "invalid channel name: segment 1 has 'R' at byte 12; \
///      segments use only a-z, 0-9, '-' and '_'"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GrammarError {
    subject: Subject,
    kind: GrammarErrorKind,
    segment: Option<u8>,
    offset: Option<usize>,
}

impl GrammarError {
    pub(crate) const fn new(subject: Subject, kind: GrammarErrorKind) -> Self {
        GrammarError {
            subject,
            kind,
            segment: None,
            offset: None,
        }
    }

    pub(crate) const fn at(mut self, segment: Option<usize>, offset: usize) -> Self {
        // Segment indices are bounded by MAX_PATTERN_DEPTH + 1 before any error is raised.
        self.segment = match segment {
            Some(s) => Some(s as u8),
            None => None,
        };
        self.offset = Some(offset);
        self
    }

    /// Which rule was broken.
    ///
    /// ```
    /// use lindy::grammar::{GrammarErrorKind, Name};
    ///
    /// let err = Name::parse("public:a.b.c.d.e").unwrap_err();
    /// assert_eq!(err.kind(), GrammarErrorKind::TooManySegments { max: 4 });
    /// ```
    pub const fn kind(&self) -> GrammarErrorKind {
        self.kind
    }

    /// Whether a name or a pattern was being parsed.
    ///
    /// ```
    /// use lindy::grammar::{Pattern, Subject};
    ///
    /// let err = Pattern::parse("public:chat.**.x").unwrap_err();
    /// assert_eq!(err.subject(), Subject::Pattern);
    /// assert_eq!(err.code(), "PATTERN_INVALID");
    /// ```
    pub const fn subject(&self) -> Subject {
        self.subject
    }

    /// The index of the offending segment (0 = the app), when the error is inside one.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// assert_eq!(Name::parse("public:chat..lobby").unwrap_err().segment(), Some(1));
    /// assert_eq!(Name::parse("").unwrap_err().segment(), None); // no segment to point at
    /// ```
    pub const fn segment(&self) -> Option<usize> {
        match self.segment {
            Some(s) => Some(s as usize),
            None => None,
        }
    }

    /// The byte offset in the input (for [`Name::build`](super::Name::build): in the name it
    /// would have rendered) where the problem is, when there is one place to point at.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// let input = "public:chat.r00m$";
    /// let err = Name::parse(input).unwrap_err();
    /// let at = err.offset().unwrap();
    /// assert_eq!(&input[at..], "$"); // point at the culprit
    /// ```
    pub const fn offset(&self) -> Option<usize> {
        self.offset
    }
}

impl GrammarError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// let err = lindy::grammar::Pattern::parse("public:a.**.b").unwrap_err();
    /// assert_eq!(err.code(), "PATTERN_INVALID");
    /// ```
    pub fn code(&self) -> &'static str {
        match self.subject {
            Subject::Name => codes::CHANNEL_INVALID,
            Subject::Pattern => codes::PATTERN_INVALID,
        }
    }
}

impl ErrorCode for GrammarError {
    fn code(&self) -> &'static str {
        GrammarError::code(self)
    }
}

impl fmt::Display for GrammarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.subject {
            Subject::Name => "name",
            Subject::Pattern => "pattern",
        };
        write!(f, "invalid channel {what}: ")?;
        let off = self.offset.unwrap_or(0);
        let seg = self.segment.unwrap_or(0);
        match self.kind {
            GrammarErrorKind::Empty => f.write_str("it is empty"),
            GrammarErrorKind::TooLong { len } => {
                write!(f, "it is {len} bytes long, the maximum is {MAX_NAME_LEN}")
            }
            GrammarErrorKind::MissingVisibility => f.write_str(
                "it has no visibility prefix; it must start with 'public:' or 'private:'",
            ),
            GrammarErrorKind::UnknownVisibility => write!(
                f,
                "the visibility before ':' at byte {off} must be 'public' or 'private' (lowercase)"
            ),
            GrammarErrorKind::WildcardVisibility => f.write_str(
                "the visibility cannot be a wildcard; a pattern is either 'public:' or 'private:'",
            ),
            GrammarErrorKind::EmptySegment => {
                write!(f, "segment {seg} at byte {off} is empty")
            }
            GrammarErrorKind::InvalidChar { ch } => {
                write!(f, "segment {seg} has {ch:?} at byte {off}; ")?;
                match (ch, self.subject) {
                    (':', _) => f.write_str("':' may only follow the visibility"),
                    ('*', Subject::Name) => f.write_str("wildcards are only allowed in patterns"),
                    _ => f.write_str("segments use only a-z, 0-9, '-' and '_'"),
                }
            }
            GrammarErrorKind::SegmentTooLong { len } => write!(
                f,
                "segment {seg} at byte {off} is {len} bytes long, the maximum is {MAX_SEGMENT_LEN}"
            ),
            GrammarErrorKind::TooFewSegments { found } => write!(
                f,
                "it has {found} segment{} after the visibility; a name needs at least 2 (app.domain)",
                if found == 1 { "" } else { "s" }
            ),
            GrammarErrorKind::TooManySegments { max } => match self.subject {
                Subject::Name => write!(
                    f,
                    "segment {seg} at byte {off} is one too many; a name has at most {max} \
                     (app.domain.id.topic)"
                ),
                Subject::Pattern => write!(
                    f,
                    "segment {seg} at byte {off} is one too many; a pattern has at most {max} \
                     (MAX_PATTERN_DEPTH = {MAX_PATTERN_DEPTH})"
                ),
            },
            GrammarErrorKind::PrivateWithoutId => {
                f.write_str("a private name needs an id segment (private:app.domain.id)")
            }
            GrammarErrorKind::TopicWithoutId => {
                f.write_str("a topic needs an id before it (app.domain.id.topic)")
            }
            GrammarErrorKind::PartialWildcard => write!(
                f,
                "segment {seg} at byte {off} mixes '*' with other characters; a wildcard is a \
                 whole segment, '*' or '**'"
            ),
            GrammarErrorKind::DoubleStarNotLast => write!(
                f,
                "'**' in segment {seg} at byte {off} must be the last segment"
            ),
        }
    }
}

impl core::error::Error for GrammarError {}

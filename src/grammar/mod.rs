//! The channel grammar: names, patterns, and an index that routes names to patterns.
//!
//! Every channel in lindy has a name of the form
//!
//! ```text
//! <visibility>:<app>.<domain>[.<id>][.<topic>]
//! ```
//!
//! * `visibility` is `public` or `private`, lowercase, followed by the only `:` in the name;
//! * segments are separated by `.`, are non-empty, and use only `a-z 0-9 - _`;
//! * a name has 2 to 4 segments: `app.domain`, `app.domain.id`, `app.domain.id.topic`;
//! * a private name must have an id (`private:app.domain` is rejected);
//! * a segment is at most [`MAX_SEGMENT_LEN`] bytes, a whole name at most [`MAX_NAME_LEN`].
//!
//! A [`Pattern`] has the same prefix and 1 to [`MAX_PATTERN_DEPTH`] segments, where `*` matches
//! exactly one segment (anywhere) and `**`, only as the last segment, matches one or more.
//!
//! | type | what it is |
//! |---|---|
//! | [`Name`] | an owned, validated name: one allocation, accessors are slices of it |
//! | [`NameRef`] | the same, borrowed from a `&str`: parsing it never allocates |
//! | [`Pattern`] | a validated pattern; [`Pattern::matches`] never allocates |
//! | [`PatternIndex`] | a subscription trie: every value whose pattern matches a name, in O(depth) |
//! | [`GrammarError`] | what is wrong and where; code `CHANNEL_INVALID` or `PATTERN_INVALID` |
//!
//! ```
//! use lindy::grammar::{Name, Pattern, PatternIndex};
//!
//! let name = Name::parse("public:chat.rooms.lobby")?;
//! assert_eq!((name.app(), name.domain(), name.id()), ("chat", "rooms", Some("lobby")));
//!
//! let pattern = Pattern::parse("public:chat.*.lobby")?;
//! assert!(pattern.matches(&name));
//!
//! let mut index = PatternIndex::new();
//! index.insert(&Pattern::parse("public:chat.**")?, "chat-logger");
//! index.insert(&pattern, "lobby-bot");
//! let mut hits = Vec::new();
//! index.for_each_match(name.as_name_ref(), |_id, who| hits.push(*who));
//! hits.sort();
//! assert_eq!(hits, ["chat-logger", "lobby-bot"]);
//! # Ok::<(), lindy::grammar::GrammarError>(())
//! ```
//!
//! # Names, accepted and refused
//!
//! Every refusal is a [`GrammarError`] naming the rule, the segment and the byte offset — never
//! a panic.
//!
//! | input | verdict | why |
//! |---|---|---|
//! | `public:chat.rooms` | ok | app `chat`, domain `rooms` |
//! | `public:chat.rooms.lobby` | ok | id `lobby` |
//! | `private:chat.dm.u-42.typing` | ok | id `u-42`, topic `typing` |
//! | `public:0.-.__.9` | ok | digits, `-` and `_` may be anywhere |
//! | `private:chat.dm` | refused | a private name needs an id |
//! | `public:chat` | refused | 1 segment; at least 2 |
//! | `public:a.b.c.d.e` | refused | segment 4 is one too many |
//! | `public:chat.Rooms` | refused | segment 1 has `'R'` at byte 12 (uppercase) |
//! | `public:chat.réception` | refused | segment 1 has `'é'` at byte 13 (non-ASCII) |
//! | `public:chat..rooms` | refused | segment 1, at byte 12, is empty |
//! | `public:chat.rooms:lobby` | refused | `':'` may only follow the visibility |
//! | `Public:chat.rooms` | refused | the visibility is `public` or `private`, lowercase |
//! | `chat.rooms` | refused | no visibility |
//! | `public:chat.` + 70 × `x` | refused | segment 1 is 70 bytes, the maximum is [`MAX_SEGMENT_LEN`] |
//!
//! ```
//! # use lindy::grammar::Name;
//! // The table above, checked.
//! for ok in ["public:chat.rooms", "private:chat.dm.u-42.typing", "public:0.-.__.9"] {
//!     assert!(Name::parse(ok).is_ok(), "{ok}");
//! }
//! for (bad, segment, offset) in [("public:chat.Rooms", Some(1), Some(12)),
//!                                ("public:chat.réception", Some(1), Some(13)),
//!                                ("public:chat..rooms", Some(1), Some(12))] {
//!     let err = Name::parse(bad).unwrap_err();
//!     assert_eq!((err.code(), err.segment(), err.offset()), ("CHANNEL_INVALID", segment, offset));
//! }
//! let long = format!("public:chat.{}", "x".repeat(70));
//! for bad in ["private:chat.dm", "public:chat", "public:a.b.c.d.e", "public:chat.rooms:lobby",
//!             "Public:chat.rooms", "chat.rooms", &long] {
//!     assert!(Name::parse(bad).is_err(), "{bad}");
//! }
//! ```
//!
//! [`Name::build`] applies the same rules to the parts, and also refuses a topic without an id
//! (it would render as a name whose id is the topic).
//!
//! # What a pattern matches
//!
//! Wildcards are whole segments (`room*`, `*x` and `***` are refused), the visibility is never a
//! wildcard, and a pattern only matches names of its own visibility. Names have at most four
//! segments, so a longer pattern is valid but matches nothing.
//!
//! | pattern | `public:chat.rooms` | `public:chat.rooms.lobby` | `public:chat.rooms.lobby.typing` | `private:chat.rooms.lobby` |
//! |---|:-:|:-:|:-:|:-:|
//! | `public:chat.rooms` | yes | – | – | – |
//! | `public:chat.*` | yes | – | – | – |
//! | `public:chat.*.lobby` | – | yes | – | – |
//! | `public:chat.**` | yes | yes | yes | – |
//! | `public:**` | yes | yes | yes | – |
//! | `private:*.*.lobby` | – | – | – | yes |
//!
//! ```
//! # use lindy::grammar::Pattern;
//! let names = ["public:chat.rooms", "public:chat.rooms.lobby",
//!              "public:chat.rooms.lobby.typing", "private:chat.rooms.lobby"];
//! let row = |p: &str| {
//!     let p = Pattern::parse(p).unwrap();
//!     names.map(|n| p.matches_str(n))
//! };
//! assert_eq!(row("public:chat.*"), [true, false, false, false]);
//! assert_eq!(row("public:chat.*.lobby"), [false, true, false, false]);
//! assert_eq!(row("public:chat.**"), [true, true, true, false]);
//! assert_eq!(row("private:*.*.lobby"), [false, false, false, true]);
//! ```
//!
//! With the `serde` feature, [`Name`], [`Pattern`] and [`Visibility`] serialize as their strings
//! and are validated when deserialized.

use core::fmt;
use core::str::FromStr;

mod error;
mod index;
mod name;
mod pattern;

pub use error::{GrammarError, GrammarErrorKind, Subject};
pub use index::{PatternIndex, SubscriptionId};
pub use name::{Name, NameRef, Segments};
pub use pattern::{Pattern, PatternSegment, PatternSegments};

/// The longest segment, in bytes. Longer segments are rejected (a guard against abuse).
///
/// ```
/// use lindy::grammar::{GrammarErrorKind, Name, MAX_SEGMENT_LEN};
///
/// let long = format!("public:chat.{}", "a".repeat(MAX_SEGMENT_LEN + 1));
/// assert_eq!(
///     Name::parse(&long).unwrap_err().kind(),
///     GrammarErrorKind::SegmentTooLong { len: MAX_SEGMENT_LEN + 1 }
/// );
/// ```
pub const MAX_SEGMENT_LEN: usize = 64;

/// The longest name or pattern, in bytes, visibility prefix included.
///
/// ```
/// use lindy::grammar::{GrammarErrorKind, Name, MAX_NAME_LEN};
///
/// // A key from the outside world: check the length before it reaches storage.
/// let key = format!("public:{}", ["abcdefgh"; 40].join("."));
/// assert!(key.len() > MAX_NAME_LEN);
/// assert!(matches!(Name::parse(&key).unwrap_err().kind(), GrammarErrorKind::TooLong { .. }));
/// ```
pub const MAX_NAME_LEN: usize = 255;

/// The most segments a pattern may have. Deeper patterns are rejected at parse time, so a
/// pathological `**.**.**…` cannot become a denial-of-service vector.
///
/// ```
/// use lindy::grammar::{GrammarErrorKind, Pattern, MAX_PATTERN_DEPTH};
///
/// let deep = format!("public:{}", ["*"; MAX_PATTERN_DEPTH + 1].join("."));
/// assert_eq!(
///     Pattern::parse(&deep).unwrap_err().kind(),
///     GrammarErrorKind::TooManySegments { max: MAX_PATTERN_DEPTH }
/// );
/// ```
pub const MAX_PATTERN_DEPTH: usize = 8;

/// The fewest segments a name has (`app.domain`).
///
/// ```
/// use lindy::grammar::{GrammarErrorKind, Name, MIN_NAME_SEGMENTS};
///
/// assert_eq!(Name::parse("public:chat.rooms").unwrap().segment_count(), MIN_NAME_SEGMENTS);
/// assert_eq!(
///     Name::parse("public:chat").unwrap_err().kind(),
///     GrammarErrorKind::TooFewSegments { found: 1 }
/// );
/// ```
pub const MIN_NAME_SEGMENTS: usize = 2;

/// The most segments a name has (`app.domain.id.topic`).
///
/// ```
/// use lindy::grammar::{GrammarErrorKind, Name, MAX_NAME_SEGMENTS};
///
/// let name = Name::parse("private:chat.dm.u42.typing").unwrap();
/// assert_eq!(name.segment_count(), MAX_NAME_SEGMENTS);
/// assert_eq!(
///     Name::parse("private:chat.dm.u42.typing.extra").unwrap_err().kind(),
///     GrammarErrorKind::TooManySegments { max: MAX_NAME_SEGMENTS }
/// );
/// ```
pub const MAX_NAME_SEGMENTS: usize = 4;

/// The namespace a channel lives in; the prefix before the `:`.
///
/// ```
/// use lindy::grammar::Visibility;
///
/// assert_eq!(Visibility::Private.to_string(), "private");
/// assert_eq!("public".parse::<Visibility>(), Ok(Visibility::Public));
/// assert!("Public".parse::<Visibility>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Visibility {
    /// `public:` — open channels.
    Public,
    /// `private:` — channels that need an id.
    Private,
}

impl Visibility {
    /// `"public"` or `"private"`.
    ///
    /// ```
    /// use lindy::grammar::{Name, Visibility};
    ///
    /// let name: Name = "private:chat.dm.u42".parse().unwrap();
    /// assert_eq!(name.visibility().as_str(), "private");
    /// assert!(name.as_str().starts_with(Visibility::Private.as_str()));
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    /// Length of the prefix including the `:` (`"public:"` is 7 bytes).
    pub(crate) const fn prefix_len(self) -> usize {
        self.as_str().len() + 1
    }

    /// 0 for public, 1 for private: an index into per-visibility tables.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Visibility {
    type Err = GrammarError;

    /// Parses `"public"` or `"private"` (lowercase, nothing else).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(Visibility::Public),
            "private" => Ok(Visibility::Private),
            "" => Err(GrammarError::new(Subject::Name, GrammarErrorKind::Empty)),
            _ => Err(
                GrammarError::new(Subject::Name, GrammarErrorKind::UnknownVisibility).at(None, 0),
            ),
        }
    }
}

/// `a-z 0-9 - _`: a lookup table keeps the hot loop to one load and one branch per byte.
static SEGMENT_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_';
        b += 1;
    }
    t
};

#[inline(always)]
fn is_segment_byte(b: u8) -> bool {
    SEGMENT_BYTE[b as usize]
}

/// Checks the length limit and reads the `public:` / `private:` prefix. Returns the visibility and
/// the offset of the first segment.
#[inline]
fn scan_prefix(s: &str, subject: Subject) -> Result<(Visibility, usize), GrammarError> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Err(GrammarError::new(subject, GrammarErrorKind::Empty));
    }
    if b.len() > MAX_NAME_LEN {
        return Err(GrammarError::new(
            subject,
            GrammarErrorKind::TooLong { len: b.len() },
        ));
    }
    if b.starts_with(b"public:") {
        return Ok((Visibility::Public, 7));
    }
    if b.starts_with(b"private:") {
        return Ok((Visibility::Private, 8));
    }
    let kind = match b.iter().position(|&c| c == b':') {
        None => GrammarErrorKind::MissingVisibility,
        Some(p) if p > 0 && b[..p].iter().all(|&c| c == b'*') => match subject {
            Subject::Pattern => GrammarErrorKind::WildcardVisibility,
            Subject::Name => GrammarErrorKind::UnknownVisibility,
        },
        Some(_) => GrammarErrorKind::UnknownVisibility,
    };
    Err(GrammarError::new(subject, kind).at(None, 0))
}

/// The error for the byte at `at`, which is not a segment byte. Every byte before it is ASCII, so
/// `at` is a char boundary and the character can be decoded for the message.
#[cold]
fn invalid_char(s: &str, subject: Subject, segment: usize, at: usize) -> GrammarError {
    let ch = s[at..].chars().next().unwrap_or('\u{fffd}');
    GrammarError::new(subject, GrammarErrorKind::InvalidChar { ch }).at(Some(segment), at)
}

/// Segment ends (exclusive byte offsets into the full string) of a validated name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct NameLayout {
    pub(crate) visibility: Visibility,
    pub(crate) count: u8,
    pub(crate) ends: [u8; MAX_NAME_SEGMENTS],
}

/// Validates a name; the one implementation behind [`Name::parse`] and [`NameRef::parse`].
/// A segment is non-empty and at most [`MAX_SEGMENT_LEN`] bytes (names and patterns alike).
#[inline]
fn check_segment_len(
    subject: Subject,
    segment: usize,
    start: usize,
    len: usize,
) -> Result<(), GrammarError> {
    let kind = match len {
        0 => GrammarErrorKind::EmptySegment,
        l if l > MAX_SEGMENT_LEN => GrammarErrorKind::SegmentTooLong { len },
        _ => return Ok(()),
    };
    Err(GrammarError::new(subject, kind).at(Some(segment), start))
}

#[inline]
fn scan_name(s: &str) -> Result<NameLayout, GrammarError> {
    let subject = Subject::Name;
    let (visibility, start) = scan_prefix(s, subject)?;
    let b = s.as_bytes();
    let mut ends = [0u8; MAX_NAME_SEGMENTS];
    let mut count = 0usize;
    let mut seg_start = start;
    let mut i = start;
    loop {
        while i < b.len() && is_segment_byte(b[i]) {
            i += 1;
        }
        if i < b.len() && b[i] != b'.' {
            return Err(invalid_char(s, subject, count, i));
        }
        let len = i - seg_start;
        check_segment_len(subject, count, seg_start, len)?;
        if count == MAX_NAME_SEGMENTS {
            return Err(GrammarError::new(
                subject,
                GrammarErrorKind::TooManySegments {
                    max: MAX_NAME_SEGMENTS,
                },
            )
            .at(Some(count), seg_start));
        }
        // `i <= MAX_NAME_LEN` (checked in scan_prefix), so it fits a u8.
        ends[count] = i as u8;
        count += 1;
        if i == b.len() {
            break;
        }
        i += 1;
        seg_start = i;
    }
    if count < MIN_NAME_SEGMENTS {
        return Err(GrammarError::new(
            subject,
            GrammarErrorKind::TooFewSegments { found: count },
        ));
    }
    if visibility == Visibility::Private && count < 3 {
        return Err(GrammarError::new(
            subject,
            GrammarErrorKind::PrivateWithoutId,
        ));
    }
    Ok(NameLayout {
        visibility,
        count: count as u8,
        ends,
    })
}

/// Segment ends and wildcard positions of a validated pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PatternLayout {
    pub(crate) visibility: Visibility,
    pub(crate) count: u8,
    pub(crate) ends: [u8; MAX_PATTERN_DEPTH],
    /// Bit `i` set: segment `i` is `*`.
    pub(crate) stars: u8,
    /// The last segment is `**`.
    pub(crate) tail: bool,
    /// Index of the first wildcard segment (`count` if there is none).
    pub(crate) first_wild: u8,
    /// Byte offset where the first wildcard segment starts: everything before it (visibility and
    /// leading literals, with their trailing `.`) must equal the name's bytes.
    pub(crate) literal_prefix: u8,
}

/// Validates a pattern; the implementation behind [`Pattern::parse`].
fn scan_pattern(s: &str) -> Result<PatternLayout, GrammarError> {
    let subject = Subject::Pattern;
    let (visibility, start) = scan_prefix(s, subject)?;
    let b = s.as_bytes();
    let mut ends = [0u8; MAX_PATTERN_DEPTH];
    let mut count = 0usize;
    let mut stars_mask = 0u8;
    let mut tail = false;
    let mut first_wild = usize::MAX;
    let mut literal_prefix = b.len();
    let mut seg_start = start;
    let mut i = start;
    loop {
        let mut stars = 0usize;
        while i < b.len() {
            let c = b[i];
            if is_segment_byte(c) {
                i += 1;
            } else if c == b'*' {
                stars += 1;
                i += 1;
            } else {
                break;
            }
        }
        if i < b.len() && b[i] != b'.' {
            return Err(invalid_char(s, subject, count, i));
        }
        let len = i - seg_start;
        check_segment_len(subject, count, seg_start, len)?;
        if stars > 0 && (stars != len || len > 2) {
            return Err(
                GrammarError::new(subject, GrammarErrorKind::PartialWildcard)
                    .at(Some(count), seg_start),
            );
        }
        if count == MAX_PATTERN_DEPTH {
            return Err(GrammarError::new(
                subject,
                GrammarErrorKind::TooManySegments {
                    max: MAX_PATTERN_DEPTH,
                },
            )
            .at(Some(count), seg_start));
        }
        if tail {
            // The previous segment was `**` and this one follows it.
            let prev_start = ends[count - 1] as usize - 2;
            return Err(
                GrammarError::new(subject, GrammarErrorKind::DoubleStarNotLast)
                    .at(Some(count - 1), prev_start),
            );
        }
        if stars > 0 && first_wild == usize::MAX {
            first_wild = count;
            literal_prefix = seg_start;
        }
        match stars {
            1 => stars_mask |= 1 << count,
            2 => tail = true,
            _ => {}
        }
        ends[count] = i as u8;
        count += 1;
        if i == b.len() {
            break;
        }
        i += 1;
        seg_start = i;
    }
    Ok(PatternLayout {
        visibility,
        count: count as u8,
        ends,
        stars: stars_mask,
        tail,
        first_wild: first_wild.min(count) as u8,
        literal_prefix: literal_prefix as u8,
    })
}

/// Validates one component handed to [`Name::build`]; `at` is where it would start in the
/// rendered name (for the error offset).
fn check_component(part: &str, segment: usize, at: usize) -> Result<(), GrammarError> {
    let subject = Subject::Name;
    if part.is_empty() {
        return Err(
            GrammarError::new(subject, GrammarErrorKind::EmptySegment).at(Some(segment), at)
        );
    }
    if let Some(p) = part.bytes().position(|c| !is_segment_byte(c)) {
        // Every byte before `p` is ASCII, so `p` is a char boundary.
        let ch = part[p..].chars().next().unwrap_or('\u{fffd}');
        return Err(
            GrammarError::new(subject, GrammarErrorKind::InvalidChar { ch })
                .at(Some(segment), at + p),
        );
    }
    if part.len() > MAX_SEGMENT_LEN {
        return Err(GrammarError::new(
            subject,
            GrammarErrorKind::SegmentTooLong { len: part.len() },
        )
        .at(Some(segment), at));
    }
    Ok(())
}

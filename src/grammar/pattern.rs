//! [`Pattern`]: a channel name with wildcards.

use alloc::string::String;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::iter::FusedIterator;
use core::str::FromStr;

use super::{scan_pattern, GrammarError, Name, NameRef, PatternLayout, Visibility};

/// A validated channel-name pattern: `<visibility>:<seg>[.<seg>]…` with 1 to
/// [`MAX_PATTERN_DEPTH`](super::MAX_PATTERN_DEPTH) segments, each a literal, `*` or `**`.
///
/// * a literal segment matches itself;
/// * `*` matches exactly one segment, in any position;
/// * `**` is allowed only as the last segment and matches **one or more** remaining segments
///   (so `public:chat.**` matches `public:chat.rooms` and `public:chat.rooms.lobby`, but there is
///   no name `public:chat` for it to match);
/// * the visibility is concrete (no `*:`) and must equal the name's.
///
/// Names have 2 to 4 segments, so a pattern of one literal segment, or one that needs more than 4,
/// is valid but matches nothing.
///
/// Matching ([`matches`](Self::matches), [`matches_ref`](Self::matches_ref)) never allocates and
/// uses no regex. [`Display`](fmt::Display) writes the pattern as parsed; it round-trips.
///
/// ```
/// use lindy::grammar::{Name, Pattern};
///
/// let p = Pattern::parse("public:chat.*.lobby")?;
/// assert!(p.matches(&Name::parse("public:chat.rooms.lobby")?));
/// assert!(!p.matches(&Name::parse("public:chat.rooms.hall")?));
/// assert!(!p.matches(&Name::parse("private:chat.rooms.lobby")?)); // other visibility
///
/// let all = Pattern::parse("public:chat.**")?;
/// assert!(all.matches_str("public:chat.rooms"));
/// assert!(all.matches_str("public:chat.rooms.lobby.typing"));
/// assert!(!all.matches_str("public:news.today"));
/// # Ok::<(), lindy::grammar::GrammarError>(())
/// ```
#[derive(Clone)]
pub struct Pattern {
    s: String,
    layout: PatternLayout,
}

/// One segment of a [`Pattern`].
///
/// ```
/// use lindy::grammar::{Pattern, PatternSegment};
///
/// let p = Pattern::parse("public:chat.*.**")?;
/// assert_eq!(
///     p.segments().collect::<Vec<_>>(),
///     [PatternSegment::Literal("chat"), PatternSegment::Star, PatternSegment::DoubleStar]
/// );
/// # Ok::<(), lindy::grammar::GrammarError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PatternSegment<'a> {
    /// Matches exactly this segment.
    Literal(&'a str),
    /// `*`: matches any one segment.
    Star,
    /// `**`: matches one or more segments; always the last.
    DoubleStar,
}

impl Pattern {
    /// Validates `s` as a pattern.
    ///
    /// # Errors
    /// A [`GrammarError`] with code `PATTERN_INVALID` naming the broken rule and where.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::grammar::{GrammarErrorKind, Pattern};
    ///
    /// assert!(Pattern::parse("private:chat.dm.*.**").is_ok());
    /// let kind = |s| Pattern::parse(s).unwrap_err().kind();
    /// assert_eq!(kind("public:chat.**.typing"), GrammarErrorKind::DoubleStarNotLast);
    /// assert_eq!(kind("public:chat.room*"), GrammarErrorKind::PartialWildcard);
    /// assert_eq!(kind("*:chat.rooms"), GrammarErrorKind::WildcardVisibility);
    /// assert_eq!(kind("public:a.b.c.d.e.f.g.h.i"), GrammarErrorKind::TooManySegments { max: 8 });
    /// ```
    pub fn parse(s: &str) -> Result<Self, GrammarError> {
        let layout = scan_pattern(s)?;
        Ok(Pattern {
            s: String::from(s),
            layout,
        })
    }

    /// A pattern that matches exactly `name` and nothing else (every name is a valid pattern).
    ///
    /// ```
    /// use lindy::grammar::{Name, Pattern};
    ///
    /// let name = Name::parse("public:chat.rooms.lobby")?;
    /// let p = Pattern::exact(&name);
    /// assert!(p.is_exact());
    /// assert!(p.matches(&name));
    /// assert!(!p.matches_str("public:chat.rooms.hall"));
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn exact(name: &Name) -> Self {
        let n = name.as_name_ref();
        let mut ends = [0u8; super::MAX_PATTERN_DEPTH];
        let name_ends = n.layout().ends;
        ends[..name_ends.len()].copy_from_slice(&name_ends);
        Pattern {
            s: String::from(name.as_str()),
            layout: PatternLayout {
                visibility: n.visibility(),
                count: n.segment_count() as u8,
                ends,
                stars: 0,
                tail: false,
                first_wild: n.segment_count() as u8,
                literal_prefix: name.as_str().len() as u8,
            },
        }
    }

    /// Whether `name` matches. Never allocates.
    ///
    /// ```
    /// use lindy::grammar::{Name, Pattern};
    ///
    /// let p = Pattern::parse("public:chat.**")?;
    /// assert!(p.matches(&Name::parse("public:chat.rooms")?));
    /// assert!(p.matches(&Name::parse("public:chat.rooms.lobby.typing")?));
    /// assert!(!p.matches(&Name::parse("private:chat.dm.u42")?)); // other visibility
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn matches(&self, name: &Name) -> bool {
        self.matches_ref(name.as_name_ref())
    }

    /// Whether the borrowed `name` matches: the allocation-free hot path for string keys.
    ///
    /// ```
    /// use lindy::grammar::{NameRef, Pattern};
    ///
    /// let p = Pattern::parse("public:chat.*.lobby")?;
    /// let keys = ["public:chat.rooms.lobby", "public:chat.games.lobby", "public:chat.rooms.hall"];
    /// let hits = keys
    ///     .iter()
    ///     .filter(|k| NameRef::parse(k).is_ok_and(|n| p.matches_ref(n)))
    ///     .count();
    /// assert_eq!(hits, 2);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn matches_ref(&self, name: NameRef<'_>) -> bool {
        let l = &self.layout;
        if l.stars == 0 && !l.tail {
            // No wildcard: a match is string equality (the visibility is part of the string).
            return self.s == name.as_str();
        }
        let count = l.count as usize;
        let fixed = count - l.tail as usize;
        let n = name.segment_count();
        let count_ok = if l.tail { n > fixed } else { n == count };
        // One comparison covers the visibility and every literal before the first wildcard: the
        // prefix ends in ':' or '.', so segment boundaries line up when the bytes do.
        let prefix = self
            .s
            .as_bytes()
            .get(..l.literal_prefix as usize)
            .unwrap_or_default();
        if !count_ok || !name.as_str().as_bytes().starts_with(prefix) {
            return false;
        }
        (l.first_wild as usize + 1..fixed)
            .all(|i| l.stars & (1 << i) != 0 || self.literal(i) == name.segment_unchecked(i))
    }

    /// Parses `name` without allocating and matches it; an invalid name matches nothing.
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    ///
    /// let p = Pattern::parse("public:chat.*")?;
    /// assert!(p.matches_str("public:chat.rooms"));
    /// assert!(!p.matches_str("public:chat.Rooms")); // not a valid name: matches nothing
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn matches_str(&self, name: &str) -> bool {
        NameRef::parse(name).is_ok_and(|n| self.matches_ref(n))
    }

    /// The pattern's visibility; it only ever matches names of the same visibility.
    ///
    /// ```
    /// use lindy::grammar::{Pattern, Visibility};
    ///
    /// assert_eq!(Pattern::parse("private:chat.dm.*")?.visibility(), Visibility::Private);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn visibility(&self) -> Visibility {
        self.layout.visibility
    }

    /// The pattern as parsed, e.g. `"public:chat.*.lobby"`.
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    ///
    /// let p = Pattern::parse("public:chat.*.lobby")?;
    /// assert_eq!(p.as_str(), "public:chat.*.lobby");
    /// assert_eq!(p.to_string(), p.as_str());
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.s
    }

    /// The number of segments after the visibility (1 to `MAX_PATTERN_DEPTH`).
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    ///
    /// assert_eq!(Pattern::parse("public:chat.*.lobby")?.segment_count(), 3);
    /// assert_eq!(Pattern::parse("public:**")?.segment_count(), 1);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn segment_count(&self) -> usize {
        self.layout.count as usize
    }

    /// Whether the pattern has no wildcard (it matches at most one name).
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    ///
    /// assert!(Pattern::parse("public:chat.rooms")?.is_exact());
    /// assert!(!Pattern::parse("public:chat.*")?.is_exact());
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn is_exact(&self) -> bool {
        self.layout.stars == 0 && !self.layout.tail
    }

    /// Segment `i`, or `None` past the last one.
    ///
    /// ```
    /// use lindy::grammar::{Pattern, PatternSegment};
    ///
    /// let p = Pattern::parse("public:chat.*.**")?;
    /// assert_eq!(p.segment(0), Some(PatternSegment::Literal("chat")));
    /// assert_eq!(p.segment(1), Some(PatternSegment::Star));
    /// assert_eq!(p.segment(2), Some(PatternSegment::DoubleStar));
    /// assert_eq!(p.segment(3), None);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn segment(&self, i: usize) -> Option<PatternSegment<'_>> {
        if i >= self.segment_count() {
            return None;
        }
        Some(if self.layout.stars & (1 << i) != 0 {
            PatternSegment::Star
        } else if self.layout.tail && i + 1 == self.segment_count() {
            PatternSegment::DoubleStar
        } else {
            PatternSegment::Literal(self.literal(i))
        })
    }

    /// The segments after the visibility, in order.
    ///
    /// ```
    /// use lindy::grammar::{Pattern, PatternSegment};
    ///
    /// let p = Pattern::parse("public:chat.*.lobby")?;
    /// let wildcards = p.segments().filter(|s| *s == PatternSegment::Star).count();
    /// assert_eq!(wildcards, 1);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn segments(&self) -> PatternSegments<'_> {
        PatternSegments {
            pattern: self,
            next: 0,
        }
    }

    /// The text of segment `i` (`i < count`); offsets were validated and the text is ASCII.
    #[inline(always)]
    fn literal(&self, i: usize) -> &str {
        let start = if i == 0 {
            self.layout.visibility.prefix_len()
        } else {
            self.layout.ends[i - 1] as usize + 1
        };
        self.s
            .get(start..self.layout.ends[i] as usize)
            .unwrap_or_default()
    }
}

/// The segments of a [`Pattern`]; see [`Pattern::segments`].
///
/// ```
/// use lindy::grammar::{Pattern, PatternSegment};
///
/// let p = Pattern::parse("public:chat.**")?;
/// let mut segments = p.segments();
/// assert_eq!(segments.len(), 2);
/// assert_eq!(segments.next(), Some(PatternSegment::Literal("chat")));
/// assert_eq!(segments.next(), Some(PatternSegment::DoubleStar));
/// assert_eq!(segments.next(), None);
/// # Ok::<(), lindy::grammar::GrammarError>(())
/// ```
#[derive(Clone, Debug)]
pub struct PatternSegments<'a> {
    pattern: &'a Pattern,
    next: usize,
}

impl<'a> Iterator for PatternSegments<'a> {
    type Item = PatternSegment<'a>;

    fn next(&mut self) -> Option<PatternSegment<'a>> {
        let seg = self.pattern.segment(self.next)?;
        self.next += 1;
        Some(seg)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.pattern.segment_count() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for PatternSegments<'_> {}
impl FusedIterator for PatternSegments<'_> {}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.s == other.s
    }
}

impl Eq for Pattern {}

impl PartialOrd for Pattern {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pattern {
    fn cmp(&self, other: &Self) -> Ordering {
        self.s.cmp(&other.s)
    }
}

impl Hash for Pattern {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.s.as_str().hash(state);
    }
}

impl AsRef<str> for Pattern {
    fn as_ref(&self) -> &str {
        &self.s
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.s)
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.s).finish()
    }
}

impl FromStr for Pattern {
    type Err = GrammarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pattern::parse(s)
    }
}

impl TryFrom<&str> for Pattern {
    type Error = GrammarError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Pattern::parse(s)
    }
}

impl From<&Name> for Pattern {
    fn from(name: &Name) -> Self {
        Pattern::exact(name)
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use super::Pattern;
    use core::fmt;
    use serde::de::{self, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serialized as the pattern string.
    impl Serialize for Pattern {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(self.as_str())
        }
    }

    /// Deserialized from a string, validated: an invalid pattern is a deserialization error.
    impl<'de> Deserialize<'de> for Pattern {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct PatternVisitor;
            impl Visitor<'_> for PatternVisitor {
                type Value = Pattern;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a channel pattern like \"public:app.*.**\"")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Pattern, E> {
                    Pattern::parse(v).map_err(E::custom)
                }
            }
            deserializer.deserialize_str(PatternVisitor)
        }
    }
}

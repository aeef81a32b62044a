//! [`Name`] (owned) and [`NameRef`] (borrowed): validated channel names.

use alloc::string::String;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::iter::FusedIterator;
use core::str::FromStr;

use super::{
    check_component, scan_name, GrammarError, GrammarErrorKind, NameLayout, Subject, Visibility,
    MAX_NAME_LEN, MAX_NAME_SEGMENTS,
};

/// A validated channel name, borrowed from a `&str`: parsing it never allocates.
///
/// It is the hot-path form: a tuple space checking string keys against patterns parses each key
/// into a `NameRef` and hands it to [`Pattern::matches_ref`](super::Pattern::matches_ref). It is
/// `Copy`: a `&str` plus six bytes of layout (visibility, segment count, segment ends).
///
/// Equality, ordering and hashing are those of the string.
///
/// ```
/// use lindy::grammar::{NameRef, Visibility};
///
/// let key = String::from("private:chat.dm.u42.typing");
/// let name = NameRef::parse(&key)?;
/// assert_eq!(name.visibility(), Visibility::Private);
/// assert_eq!(name.segments().collect::<Vec<_>>(), ["chat", "dm", "u42", "typing"]);
/// assert_eq!(name.topic(), Some("typing"));
/// let owned = name.to_owned(); // the one allocation, if you need to keep it
/// assert_eq!(owned.as_str(), key);
/// # Ok::<(), lindy::grammar::GrammarError>(())
/// ```
#[derive(Clone, Copy)]
pub struct NameRef<'a> {
    s: &'a str,
    layout: NameLayout,
}

/// An owned, validated channel name: `<visibility>:<app>.<domain>[.<id>][.<topic>]`.
///
/// Stored as its canonical string plus the segment offsets, so it costs one allocation, the
/// accessors are slices, and [`Display`](fmt::Display) writes the string as is (it round-trips
/// through [`parse`](Self::parse)). Equality, ordering and hashing are those of the string, so a
/// `HashMap<Name, _>` can be queried with a `&str` (through [`Borrow<str>`]).
///
/// ```
/// use lindy::grammar::{Name, Visibility};
///
/// let name: Name = "public:scores.live.match-7".parse()?;
/// assert_eq!(name.app(), "scores");
/// assert_eq!(name.domain(), "live");
/// assert_eq!(name.id(), Some("match-7"));
/// assert_eq!(name.topic(), None);
/// assert!(!name.is_private());
///
/// let built = Name::build(Visibility::Public, "scores", "live", Some("match-7"), None)?;
/// assert_eq!(built, name);
/// assert_eq!(built.to_string(), "public:scores.live.match-7");
/// # Ok::<(), lindy::grammar::GrammarError>(())
/// ```
#[derive(Clone)]
pub struct Name {
    s: String,
    layout: NameLayout,
}

// ---------------------------------------------------------------------------------------------
// NameRef

impl<'a> NameRef<'a> {
    /// Validates `s` as a channel name, without allocating.
    ///
    /// # Errors
    /// A [`GrammarError`] with code `CHANNEL_INVALID` naming the broken rule and where.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::grammar::NameRef;
    ///
    /// assert!(NameRef::parse("public:a.b").is_ok());
    /// assert!(NameRef::parse("public:a").is_err()); // one segment
    /// assert!(NameRef::parse("private:a.b").is_err()); // private needs an id
    /// ```
    #[inline]
    pub fn parse(s: &'a str) -> Result<Self, GrammarError> {
        let layout = scan_name(s)?;
        Ok(NameRef { s, layout })
    }

    /// The whole name, e.g. `"public:chat.rooms"`.
    ///
    /// ```
    /// use lindy::grammar::NameRef;
    ///
    /// let key = "public:chat.rooms";
    /// let name = NameRef::parse(key)?;
    /// assert_eq!(name.as_str(), key); // the same slice, not a copy
    /// assert!(core::ptr::eq(name.as_str(), key));
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub const fn as_str(self) -> &'a str {
        self.s
    }

    /// `public` or `private`.
    ///
    /// ```
    /// use lindy::grammar::{NameRef, Visibility};
    ///
    /// assert_eq!(NameRef::parse("public:chat.rooms")?.visibility(), Visibility::Public);
    /// assert_eq!(NameRef::parse("private:chat.dm.u42")?.visibility(), Visibility::Private);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub const fn visibility(self) -> Visibility {
        self.layout.visibility
    }

    /// Whether the name is in the private namespace.
    ///
    /// ```
    /// use lindy::grammar::NameRef;
    ///
    /// assert!(NameRef::parse("private:chat.dm.u42")?.is_private());
    /// assert!(!NameRef::parse("public:chat.rooms")?.is_private());
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub const fn is_private(self) -> bool {
        matches!(self.layout.visibility, Visibility::Private)
    }

    /// The first segment.
    ///
    /// ```
    /// use lindy::grammar::NameRef;
    ///
    /// assert_eq!(NameRef::parse("public:chat.rooms.lobby")?.app(), "chat");
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn app(self) -> &'a str {
        self.segment_unchecked(0)
    }

    /// The second segment.
    ///
    /// ```
    /// use lindy::grammar::NameRef;
    ///
    /// assert_eq!(NameRef::parse("public:chat.rooms.lobby")?.domain(), "rooms");
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn domain(self) -> &'a str {
        self.segment_unchecked(1)
    }

    /// The third segment, if any (always present on private names).
    ///
    /// ```
    /// use lindy::grammar::NameRef;
    ///
    /// assert_eq!(NameRef::parse("public:chat.rooms.lobby")?.id(), Some("lobby"));
    /// assert_eq!(NameRef::parse("public:chat.rooms")?.id(), None);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn id(self) -> Option<&'a str> {
        self.segment(2)
    }

    /// The fourth segment, if any.
    ///
    /// ```
    /// use lindy::grammar::NameRef;
    ///
    /// assert_eq!(NameRef::parse("private:chat.dm.u42.typing")?.topic(), Some("typing"));
    /// assert_eq!(NameRef::parse("private:chat.dm.u42")?.topic(), None);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn topic(self) -> Option<&'a str> {
        self.segment(3)
    }

    /// The number of segments after the visibility: 2, 3 or 4.
    ///
    /// ```
    /// use lindy::grammar::NameRef;
    ///
    /// assert_eq!(NameRef::parse("public:chat.rooms")?.segment_count(), 2);
    /// assert_eq!(NameRef::parse("private:chat.dm.u42.typing")?.segment_count(), 4);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub const fn segment_count(self) -> usize {
        self.layout.count as usize
    }

    /// Segment `i` (0 = app), or `None` past the last one.
    ///
    /// ```
    /// use lindy::grammar::NameRef;
    ///
    /// let name = NameRef::parse("public:chat.rooms.lobby")?;
    /// assert_eq!(name.segment(0), Some("chat"));
    /// assert_eq!(name.segment(2), Some("lobby"));
    /// assert_eq!(name.segment(3), None);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn segment(self, i: usize) -> Option<&'a str> {
        (i < self.segment_count()).then(|| self.segment_unchecked(i))
    }

    /// The segments after the visibility, in order.
    ///
    /// ```
    /// use lindy::grammar::NameRef;
    ///
    /// let name = NameRef::parse("public:chat.rooms.lobby")?;
    /// assert_eq!(name.segments().collect::<Vec<_>>(), ["chat", "rooms", "lobby"]);
    /// assert_eq!(name.segments().len(), name.segment_count());
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn segments(self) -> Segments<'a> {
        Segments {
            name: self,
            next: 0,
        }
    }

    /// Copies the name into an owned [`Name`] (one allocation, no re-validation).
    ///
    /// ```
    /// use lindy::grammar::{Name, NameRef};
    ///
    /// fn remember(key: &str, seen: &mut Vec<Name>) -> Result<(), lindy::grammar::GrammarError> {
    ///     let name = NameRef::parse(key)?; // validate without allocating
    ///     if !seen.iter().any(|n| n.as_str() == name.as_str()) {
    ///         seen.push(name.to_owned()); // allocate only for what is kept
    ///     }
    ///     Ok(())
    /// }
    /// let mut seen = Vec::new();
    /// remember("public:chat.rooms", &mut seen)?;
    /// remember("public:chat.rooms", &mut seen)?;
    /// assert_eq!(seen.len(), 1);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[allow(clippy::wrong_self_convention, clippy::should_implement_trait)]
    pub fn to_owned(self) -> Name {
        Name {
            s: String::from(self.s),
            layout: self.layout,
        }
    }

    #[inline]
    pub(crate) fn layout(self) -> NameLayout {
        self.layout
    }

    /// `i` must be `< segment_count()`; the offsets were validated, so slicing cannot fail.
    #[inline(always)]
    pub(crate) fn segment_unchecked(self, i: usize) -> &'a str {
        let start = if i == 0 {
            self.layout.visibility.prefix_len()
        } else {
            self.layout.ends[i - 1] as usize + 1
        };
        let end = self.layout.ends[i] as usize;
        // All bytes of a validated name are ASCII, so every offset is a char boundary.
        self.s.get(start..end).unwrap_or_default()
    }
}

impl PartialEq for NameRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.s == other.s
    }
}

impl Eq for NameRef<'_> {}

impl PartialOrd for NameRef<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NameRef<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.s.cmp(other.s)
    }
}

impl Hash for NameRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.s.hash(state);
    }
}

impl PartialEq<str> for NameRef<'_> {
    fn eq(&self, other: &str) -> bool {
        self.s == other
    }
}

impl PartialEq<&str> for NameRef<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.s == *other
    }
}

impl fmt::Display for NameRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.s)
    }
}

impl fmt::Debug for NameRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NameRef").field(&self.s).finish()
    }
}

impl AsRef<str> for NameRef<'_> {
    fn as_ref(&self) -> &str {
        self.s
    }
}

impl<'a> TryFrom<&'a str> for NameRef<'a> {
    type Error = GrammarError;

    fn try_from(s: &'a str) -> Result<Self, Self::Error> {
        NameRef::parse(s)
    }
}

/// The segments of a name after the visibility; see [`NameRef::segments`] and [`Name::segments`].
///
/// ```
/// use lindy::grammar::Name;
///
/// let name: Name = "public:scores.live.match-7".parse()?;
/// let mut segments = name.segments();
/// assert_eq!(segments.next(), Some("scores"));
/// assert_eq!(segments.len(), 2); // an ExactSizeIterator: what is left
/// assert_eq!(segments.collect::<Vec<_>>(), ["live", "match-7"]);
/// # Ok::<(), lindy::grammar::GrammarError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Segments<'a> {
    name: NameRef<'a>,
    next: usize,
}

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let seg = self.name.segment(self.next)?;
        self.next += 1;
        Some(seg)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.name.segment_count() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Segments<'_> {}
impl FusedIterator for Segments<'_> {}

// ---------------------------------------------------------------------------------------------
// Name

impl Name {
    /// Validates `s` and copies it into an owned name (one allocation).
    ///
    /// # Errors
    /// A [`GrammarError`] with code `CHANNEL_INVALID` naming the broken rule and where.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::grammar::{GrammarErrorKind, Name};
    ///
    /// let name = Name::parse("private:chat.dm.u42")?;
    /// assert!(name.is_private());
    ///
    /// let err = Name::parse("public:chat..rooms").unwrap_err();
    /// assert_eq!(err.kind(), GrammarErrorKind::EmptySegment);
    /// assert_eq!(err.segment(), Some(1));
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn parse(s: &str) -> Result<Self, GrammarError> {
        NameRef::parse(s).map(NameRef::to_owned)
    }

    /// Composes a name from its parts, with the same rules as [`parse`](Self::parse).
    ///
    /// # Errors
    /// `CHANNEL_INVALID` if a part is empty, has a byte outside `a-z 0-9 - _` (a `.` or `:` inside
    /// a part included) or is too long; if `visibility` is private and there is no `id`; if there
    /// is a `topic` but no `id` (the rendered name would read the topic as the id); or if the
    /// whole name would exceed [`MAX_NAME_LEN`]. Offsets in the error point into the name as it
    /// would have been rendered.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::grammar::{GrammarErrorKind, Name, Visibility};
    ///
    /// let n = Name::build(Visibility::Private, "chat", "dm", Some("u42"), Some("typing"))?;
    /// assert_eq!(n.as_str(), "private:chat.dm.u42.typing");
    ///
    /// let err = Name::build(Visibility::Public, "chat", "dm", None, Some("typing")).unwrap_err();
    /// assert_eq!(err.kind(), GrammarErrorKind::TopicWithoutId);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn build(
        visibility: Visibility,
        app: &str,
        domain: &str,
        id: Option<&str>,
        topic: Option<&str>,
    ) -> Result<Self, GrammarError> {
        let parts = [Some(app), Some(domain), id, topic];
        let mut at = visibility.prefix_len();
        let mut ends = [0u8; MAX_NAME_SEGMENTS];
        let mut count = 0;
        for (i, part) in parts.iter().enumerate() {
            let Some(part) = part else { continue };
            check_component(part, i, at)?;
            at += part.len();
            ends[i] = at.min(u8::MAX as usize) as u8;
            at += 1; // the '.' that follows
            count = i + 1;
        }
        if topic.is_some() && id.is_none() {
            return Err(GrammarError::new(
                Subject::Name,
                GrammarErrorKind::TopicWithoutId,
            ));
        }
        if visibility == Visibility::Private && id.is_none() {
            return Err(GrammarError::new(
                Subject::Name,
                GrammarErrorKind::PrivateWithoutId,
            ));
        }
        let len = at - 1;
        if len > MAX_NAME_LEN {
            return Err(GrammarError::new(
                Subject::Name,
                GrammarErrorKind::TooLong { len },
            ));
        }
        let mut s = String::with_capacity(len);
        s.push_str(visibility.as_str());
        s.push(':');
        for part in parts.iter().flatten() {
            if s.len() > visibility.prefix_len() {
                s.push('.');
            }
            s.push_str(part);
        }
        debug_assert_eq!(s.len(), len);
        Ok(Name {
            s,
            layout: NameLayout {
                visibility,
                count: count as u8,
                ends,
            },
        })
    }

    /// The borrowed form, for APIs that take a [`NameRef`] (no copy, no re-validation).
    ///
    /// ```
    /// use lindy::grammar::{Name, Pattern};
    ///
    /// let name: Name = "public:chat.rooms.lobby".parse()?;
    /// let pattern = Pattern::parse("public:chat.rooms.*")?;
    /// assert!(pattern.matches_ref(name.as_name_ref()));
    /// assert_eq!(name.as_name_ref().as_str(), name.as_str());
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn as_name_ref(&self) -> NameRef<'_> {
        NameRef {
            s: &self.s,
            layout: self.layout,
        }
    }

    /// The whole name, e.g. `"public:chat.rooms"`.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// let name: Name = "public:chat.rooms".parse()?;
    /// assert_eq!(name.as_str(), "public:chat.rooms");
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.s
    }

    /// Gives the canonical string back.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// let name: Name = "public:chat.rooms".parse()?;
    /// let s: String = name.into_string(); // no copy
    /// assert_eq!(s, "public:chat.rooms");
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn into_string(self) -> String {
        self.s
    }

    /// `public` or `private`.
    ///
    /// ```
    /// use lindy::grammar::{Name, Visibility};
    ///
    /// let name: Name = "private:chat.dm.u42".parse()?;
    /// assert_eq!(name.visibility(), Visibility::Private);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn visibility(&self) -> Visibility {
        self.layout.visibility
    }

    /// Whether the name is in the private namespace.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// assert!("private:chat.dm.u42".parse::<Name>()?.is_private());
    /// assert!(!"public:chat.rooms".parse::<Name>()?.is_private());
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn is_private(&self) -> bool {
        self.as_name_ref().is_private()
    }

    /// The first segment.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// assert_eq!("public:scores.live".parse::<Name>()?.app(), "scores");
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn app(&self) -> &str {
        self.as_name_ref().app()
    }

    /// The second segment.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// assert_eq!("public:scores.live".parse::<Name>()?.domain(), "live");
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn domain(&self) -> &str {
        self.as_name_ref().domain()
    }

    /// The third segment, if any (always present on private names).
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// assert_eq!("private:chat.dm.u42".parse::<Name>()?.id(), Some("u42"));
    /// assert_eq!("public:chat.rooms".parse::<Name>()?.id(), None);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn id(&self) -> Option<&str> {
        self.as_name_ref().id()
    }

    /// The fourth segment, if any.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// assert_eq!("private:chat.dm.u42.typing".parse::<Name>()?.topic(), Some("typing"));
    /// assert_eq!("private:chat.dm.u42".parse::<Name>()?.topic(), None);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn topic(&self) -> Option<&str> {
        self.as_name_ref().topic()
    }

    /// The number of segments after the visibility: 2, 3 or 4.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// assert_eq!("public:scores.live.match-7".parse::<Name>()?.segment_count(), 3);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn segment_count(&self) -> usize {
        self.layout.count as usize
    }

    /// Segment `i` (0 = app), or `None` past the last one.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// let name: Name = "public:scores.live.match-7".parse()?;
    /// assert_eq!(name.segment(1), Some("live"));
    /// assert_eq!(name.segment(3), None);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn segment(&self, i: usize) -> Option<&str> {
        self.as_name_ref().segment(i)
    }

    /// The segments after the visibility, in order.
    ///
    /// ```
    /// use lindy::grammar::Name;
    ///
    /// let name: Name = "public:scores.live.match-7".parse()?;
    /// assert_eq!(name.segments().collect::<Vec<_>>().join("/"), "scores/live/match-7");
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn segments(&self) -> Segments<'_> {
        self.as_name_ref().segments()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.s == other.s
    }
}

impl Eq for Name {}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> Ordering {
        self.s.cmp(&other.s)
    }
}

// Hashes exactly like the `str` it holds, which `Borrow<str>` requires.
impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.s.as_str().hash(state);
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.s
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.s
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.s == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.s == *other
    }
}

impl PartialEq<NameRef<'_>> for Name {
    fn eq(&self, other: &NameRef<'_>) -> bool {
        self.s == other.s
    }
}

impl PartialEq<Name> for NameRef<'_> {
    fn eq(&self, other: &Name) -> bool {
        self.s == other.s
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.s)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Name").field(&self.s).finish()
    }
}

impl FromStr for Name {
    type Err = GrammarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Name::parse(s)
    }
}

impl TryFrom<&str> for Name {
    type Error = GrammarError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Name::parse(s)
    }
}

impl TryFrom<String> for Name {
    type Error = GrammarError;

    /// Validates and keeps the string's allocation.
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let layout = scan_name(&s)?;
        Ok(Name { s, layout })
    }
}

impl From<NameRef<'_>> for Name {
    fn from(name: NameRef<'_>) -> Self {
        name.to_owned()
    }
}

impl<'a> From<&'a Name> for NameRef<'a> {
    fn from(name: &'a Name) -> Self {
        name.as_name_ref()
    }
}

impl From<Name> for String {
    fn from(name: Name) -> Self {
        name.s
    }
}

#[cfg(feature = "serde")]
mod serde_impl {
    use super::Name;
    use core::fmt;
    use serde::de::{self, Visitor};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serialized as its canonical string.
    impl Serialize for Name {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_str(self.as_str())
        }
    }

    /// Deserialized from a string, validated: an invalid name is a deserialization error.
    impl<'de> Deserialize<'de> for Name {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct NameVisitor;
            impl Visitor<'_> for NameVisitor {
                type Value = Name;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a channel name like \"public:app.domain\"")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Name, E> {
                    Name::parse(v).map_err(E::custom)
                }
            }
            deserializer.deserialize_str(NameVisitor)
        }
    }
}

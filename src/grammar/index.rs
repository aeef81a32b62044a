//! [`PatternIndex`]: a subscription trie that finds every pattern matching a name in O(depth).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

use hashbrown::HashMap;

use super::{Name, NameRef, Pattern, PatternSegment};
use crate::id_map::IdMap;

/// The handle [`PatternIndex::insert`] returns; pass it to [`remove`](PatternIndex::remove).
///
/// Ids are never reused within one index, so a stale id cannot remove someone else's entry.
///
/// ```
/// use lindy::grammar::{Pattern, PatternIndex};
///
/// let mut index = PatternIndex::new();
/// let id = index.insert(&Pattern::parse("public:chat.**")?, "audit");
/// assert_eq!(index.remove(id), Some("audit"));
/// assert_eq!(index.remove(id), None); // a stale id removes nothing, ever
/// # Ok::<(), lindy::grammar::GrammarError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriptionId(u64);

impl SubscriptionId {
    /// The id as a number (unique within its index, increasing in insertion order).
    ///
    /// ```
    /// use lindy::grammar::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// let p = Pattern::parse("public:chat.**")?;
    /// let (a, b) = (index.insert(&p, 1), index.insert(&p, 2));
    /// assert!(a.as_u64() < b.as_u64());
    /// assert_eq!(b.to_string(), format!("sub#{}", b.as_u64()));
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SubscriptionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sub#{}", self.0)
    }
}

/// Values filed under [`Pattern`]s, looked up by [`Name`]: "who is subscribed to this channel?".
///
/// A NATS-sublist-style trie with one root per [`Visibility`](super::Visibility). Each level holds
/// a map of literal segments, one `*` child, and the values whose pattern ends in `**` there; so a
/// lookup walks at most the literal and the `*` branch per name segment. Names have at most four
/// segments, so a lookup visits at most 2⁴ nodes whatever the number of patterns, and allocates
/// nothing. Several values may share a pattern; each insert gets its own [`SubscriptionId`].
///
/// [`remove`](Self::remove) prunes nodes left empty, so memory is returned as subscriptions go.
/// Works without `std` (the maps are `hashbrown`).
///
/// ```
/// use lindy::grammar::{Name, Pattern, PatternIndex};
///
/// let mut index = PatternIndex::new();
/// let all = index.insert(&Pattern::parse("public:chat.**")?, "audit");
/// let _lobby = index.insert(&Pattern::parse("public:chat.*.lobby")?, "lobby-bot");
/// let _exact = index.insert(&Pattern::parse("public:chat.rooms.hall")?, "hall-bot");
///
/// let name = Name::parse("public:chat.rooms.lobby")?;
/// let mut hits: Vec<&str> = index.matches(&name).into_iter().map(|(_, v)| *v).collect();
/// hits.sort();
/// assert_eq!(hits, ["audit", "lobby-bot"]);
///
/// assert_eq!(index.remove(all), Some("audit"));
/// assert_eq!(index.matches(&name).len(), 1);
/// assert_eq!(index.len(), 2);
/// # Ok::<(), lindy::grammar::GrammarError>(())
/// ```
#[derive(Clone)]
pub struct PatternIndex<V> {
    roots: [Node<V>; 2],
    /// Where each subscription lives, to find it again on removal (ids come from `next_id`,
    /// so an [`IdMap`] rather than one more hash table type).
    patterns: IdMap<Pattern>,
    next_id: u64,
}

#[derive(Clone)]
struct Node<V> {
    literals: HashMap<Box<str>, Node<V>>,
    star: Option<Box<Node<V>>>,
    /// Patterns that end exactly at this node.
    exact: Vec<(SubscriptionId, V)>,
    /// Patterns whose next (last) segment is `**`: they match any name that goes on from here.
    rest: Vec<(SubscriptionId, V)>,
}

impl<V> Node<V> {
    fn new() -> Self {
        Node {
            literals: HashMap::new(),
            star: None,
            exact: Vec::new(),
            rest: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.literals.is_empty()
            && self.star.is_none()
            && self.exact.is_empty()
            && self.rest.is_empty()
    }

    /// The node at the end of `pattern`'s non-`**` prefix, if it exists, and the list the
    /// pattern's values live in.
    fn find(&self, pattern: &Pattern) -> Option<&Vec<(SubscriptionId, V)>> {
        let mut node = self;
        for seg in pattern.segments() {
            node = match seg {
                PatternSegment::Literal(s) => node.literals.get(s)?,
                PatternSegment::Star => node.star.as_deref()?,
                PatternSegment::DoubleStar => return Some(&node.rest),
            };
        }
        Some(&node.exact)
    }

    fn find_mut(&mut self, pattern: &Pattern) -> Option<&mut Vec<(SubscriptionId, V)>> {
        let mut node = self;
        for seg in pattern.segments() {
            node = match seg {
                PatternSegment::Literal(s) => node.literals.get_mut(s)?,
                PatternSegment::Star => node.star.as_deref_mut()?,
                PatternSegment::DoubleStar => return Some(&mut node.rest),
            };
        }
        Some(&mut node.exact)
    }

    /// Removes `id` from the list `pattern` leads to, from segment `depth` on, pruning the nodes
    /// the removal leaves empty on the way back up.
    fn remove(&mut self, pattern: &Pattern, depth: usize, id: SubscriptionId) -> Option<V> {
        match pattern.segment(depth) {
            None => take(&mut self.exact, id),
            Some(PatternSegment::DoubleStar) => take(&mut self.rest, id),
            Some(PatternSegment::Literal(s)) => {
                let child = self.literals.get_mut(s)?;
                let value = child.remove(pattern, depth + 1, id);
                if child.is_empty() {
                    self.literals.remove(s);
                    shrink_map(&mut self.literals);
                }
                value
            }
            Some(PatternSegment::Star) => {
                let child = self.star.as_deref_mut()?;
                let value = child.remove(pattern, depth + 1, id);
                if child.is_empty() {
                    self.star = None;
                }
                value
            }
        }
    }

    fn walk<'s, F: FnMut(SubscriptionId, &'s V)>(
        &'s self,
        name: NameRef<'_>,
        depth: usize,
        f: &mut F,
    ) {
        if depth == name.segment_count() {
            self.exact.iter().for_each(|(id, v)| f(*id, v));
            return;
        }
        // At least one name segment is left, so every `**` here matches.
        self.rest.iter().for_each(|(id, v)| f(*id, v));
        if let Some(child) = self.literals.get(name.segment_unchecked(depth)) {
            child.walk(name, depth + 1, f);
        }
        if let Some(star) = &self.star {
            star.walk(name, depth + 1, f);
        }
    }

    fn values(&self) -> usize {
        self.exact.len()
            + self.rest.len()
            + self.literals.values().map(Node::values).sum::<usize>()
            + self.star.as_deref().map_or(0, Node::values)
    }
}

/// Takes `id` out of `list`, keeping the others in insertion order, and gives back memory when
/// the list has shrunk well below its capacity.
fn take<V>(list: &mut Vec<(SubscriptionId, V)>, id: SubscriptionId) -> Option<V> {
    let at = list.iter().position(|(i, _)| *i == id)?;
    let (_, value) = list.remove(at);
    if list.is_empty() {
        *list = Vec::new();
    } else if list.len() * 4 < list.capacity() {
        list.shrink_to(list.len() * 2);
    }
    Some(value)
}

/// Maps only grow by themselves; shrink once mostly empty (amortized: at most once per halving).
fn shrink_map<K: Eq + core::hash::Hash, T>(map: &mut HashMap<K, T>) {
    if map.is_empty() {
        *map = HashMap::new();
    } else if map.capacity() > 16 && map.len() * 4 < map.capacity() {
        map.shrink_to(map.len() * 2);
    }
}

impl<V> PatternIndex<V> {
    /// An empty index.
    ///
    /// ```
    /// use lindy::grammar::PatternIndex;
    ///
    /// let index: PatternIndex<&str> = PatternIndex::new();
    /// assert!(index.is_empty());
    /// ```
    pub fn new() -> Self {
        PatternIndex {
            roots: [Node::new(), Node::new()],
            patterns: IdMap::new(),
            next_id: 0,
        }
    }

    /// Files `value` under `pattern` and returns its id. Several values may share a pattern (and
    /// the same value may be inserted under several): each insert is its own subscription.
    ///
    /// ```
    /// use lindy::grammar::{Name, Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// let p = Pattern::parse("public:chat.*.lobby")?;
    /// let first = index.insert(&p, "bot-a");
    /// let second = index.insert(&p, "bot-b"); // same pattern, its own subscription
    /// assert_ne!(first, second);
    /// assert_eq!(index.matches(&Name::parse("public:chat.rooms.lobby")?).len(), 2);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn insert(&mut self, pattern: &Pattern, value: V) -> SubscriptionId {
        let id = SubscriptionId(self.next_id);
        self.next_id += 1;
        let mut node = &mut self.roots[pattern.visibility().index()];
        let mut list = None;
        for seg in pattern.segments() {
            match seg {
                PatternSegment::Literal(s) => {
                    node = node.literals.entry_ref(s).or_insert_with(Node::new);
                }
                PatternSegment::Star => {
                    node = node.star.get_or_insert_with(|| Box::new(Node::new()));
                }
                PatternSegment::DoubleStar => {
                    list = Some(&mut node.rest);
                    break;
                }
            }
        }
        list.unwrap_or(&mut node.exact).push((id, value));
        self.patterns.insert(id.0, pattern.clone());
        id
    }

    /// Removes the subscription and returns its value; `None` if `id` is not in the index (already
    /// removed, or from another index). Nodes left empty are freed.
    ///
    /// ```
    /// use lindy::grammar::{Name, Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// let id = index.insert(&Pattern::parse("public:chat.**")?, "audit");
    /// assert_eq!(index.remove(id), Some("audit"));
    /// assert!(!index.has_match(Name::parse("public:chat.rooms")?.as_name_ref()));
    /// assert!(index.is_empty());
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn remove(&mut self, id: SubscriptionId) -> Option<V> {
        let pattern = self.patterns.remove(id.0)?;
        self.roots[pattern.visibility().index()].remove(&pattern, 0, id)
    }

    /// Calls `f` with the id and value of every subscription whose pattern matches `name`, and
    /// returns how many there were. Allocates nothing; visits each subscription at most once.
    /// The order is unspecified (within one pattern it is insertion order).
    ///
    /// ```
    /// use lindy::grammar::{NameRef, Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// index.insert(&Pattern::parse("public:chat.**")?, 10);
    /// index.insert(&Pattern::parse("public:chat.rooms.*")?, 5);
    /// index.insert(&Pattern::parse("public:news.**")?, 1);
    ///
    /// // A string key, checked without allocating: parse it borrowed, sum what matches.
    /// let mut total = 0;
    /// let hits = index.for_each_match(NameRef::parse("public:chat.rooms.lobby")?, |_, v| total += v);
    /// assert_eq!((hits, total), (2, 15));
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    #[inline]
    pub fn for_each_match<F: FnMut(SubscriptionId, &V)>(
        &self,
        name: NameRef<'_>,
        mut f: F,
    ) -> usize {
        let mut count = 0;
        self.roots[name.visibility().index()].walk(name, 0, &mut |id, v: &V| {
            count += 1;
            f(id, v);
        });
        count
    }

    /// Every matching subscription, collected (see [`for_each_match`](Self::for_each_match) for
    /// the allocation-free form).
    ///
    /// ```
    /// use lindy::grammar::{Name, Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// let id = index.insert(&Pattern::parse("private:chat.dm.*")?, "dm-bot");
    /// index.insert(&Pattern::parse("public:chat.**")?, "public-bot"); // another visibility
    ///
    /// let hits = index.matches(&Name::parse("private:chat.dm.u42")?);
    /// assert_eq!(hits, [(id, &"dm-bot")]);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn matches(&self, name: &Name) -> Vec<(SubscriptionId, &V)> {
        let mut out = Vec::new();
        self.roots[name.visibility().index()]
            .walk(name.as_name_ref(), 0, &mut |id, v| out.push((id, v)));
        out
    }

    /// Whether any subscription matches `name`.
    ///
    /// ```
    /// use lindy::grammar::{NameRef, Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// index.insert(&Pattern::parse("public:chat.*")?, ());
    /// assert!(index.has_match(NameRef::parse("public:chat.rooms")?));
    /// assert!(!index.has_match(NameRef::parse("public:chat.rooms.lobby")?)); // `*` is one segment
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn has_match(&self, name: NameRef<'_>) -> bool {
        // A walk without early exit is still O(depth); the index stays simple.
        self.for_each_match(name, |_, _| {}) > 0
    }

    /// The value of subscription `id`.
    ///
    /// ```
    /// use lindy::grammar::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// let id = index.insert(&Pattern::parse("public:chat.**")?, "audit");
    /// assert_eq!(index.get(id), Some(&"audit"));
    /// index.remove(id);
    /// assert_eq!(index.get(id), None);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn get(&self, id: SubscriptionId) -> Option<&V> {
        let pattern = self.patterns.get(id.0)?;
        let list = self.roots[pattern.visibility().index()].find(pattern)?;
        list.iter().find(|(i, _)| *i == id).map(|(_, v)| v)
    }

    /// The value of subscription `id`, mutably.
    ///
    /// ```
    /// use lindy::grammar::{Name, Pattern, PatternIndex};
    ///
    /// // Per-subscription counters, bumped in place.
    /// let mut index = PatternIndex::new();
    /// let id = index.insert(&Pattern::parse("public:chat.**")?, 0u32);
    /// *index.get_mut(id).unwrap() += 1;
    /// assert_eq!(index.matches(&Name::parse("public:chat.rooms")?), [(id, &1)]);
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn get_mut(&mut self, id: SubscriptionId) -> Option<&mut V> {
        let pattern = self.patterns.get(id.0)?;
        let list = self.roots[pattern.visibility().index()].find_mut(pattern)?;
        list.iter_mut().find(|(i, _)| *i == id).map(|(_, v)| v)
    }

    /// The pattern subscription `id` was inserted with.
    ///
    /// ```
    /// use lindy::grammar::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// let id = index.insert(&Pattern::parse("public:chat.*.lobby")?, ());
    /// assert_eq!(index.pattern(id).map(Pattern::as_str), Some("public:chat.*.lobby"));
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn pattern(&self, id: SubscriptionId) -> Option<&Pattern> {
        self.patterns.get(id.0)
    }

    /// Whether `id` is in the index.
    ///
    /// ```
    /// use lindy::grammar::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// let id = index.insert(&Pattern::parse("public:chat.**")?, ());
    /// assert!(index.contains(id));
    /// index.remove(id);
    /// assert!(!index.contains(id));
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn contains(&self, id: SubscriptionId) -> bool {
        self.patterns.contains(id.0)
    }

    /// The number of subscriptions.
    ///
    /// ```
    /// use lindy::grammar::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// let p = Pattern::parse("public:chat.**")?;
    /// index.insert(&p, 'a');
    /// index.insert(&p, 'b');
    /// assert_eq!(index.len(), 2); // subscriptions, not distinct patterns
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether there are no subscriptions.
    ///
    /// ```
    /// use lindy::grammar::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// assert!(index.is_empty());
    /// index.insert(&Pattern::parse("public:chat.**")?, ());
    /// assert!(!index.is_empty());
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Removes every subscription and frees the trie. Ids keep increasing.
    ///
    /// ```
    /// use lindy::grammar::{Pattern, PatternIndex};
    ///
    /// let mut index = PatternIndex::new();
    /// let p = Pattern::parse("public:chat.**")?;
    /// let old = index.insert(&p, ());
    /// index.clear();
    /// assert!(index.is_empty());
    /// let new = index.insert(&p, ());
    /// assert!(new.as_u64() > old.as_u64()); // ids are never reused
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn clear(&mut self) {
        self.roots = [Node::new(), Node::new()];
        self.patterns = IdMap::new();
    }

    /// Counts the values stored in the trie (for tests: must equal [`len`](Self::len)).
    #[doc(hidden)]
    pub fn trie_values(&self) -> usize {
        self.roots.iter().map(Node::values).sum()
    }

    /// Whether the trie holds no node at all (for tests: true once everything was removed).
    #[doc(hidden)]
    pub fn trie_is_pruned(&self) -> bool {
        self.roots.iter().all(Node::is_empty)
    }
}

impl<V> Default for PatternIndex<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: fmt::Debug> fmt::Debug for PatternIndex<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.patterns
                    .iter()
                    .map(|(id, pattern)| (pattern.as_str(), self.get(SubscriptionId(id)))),
            )
            .finish()
    }
}

//! The engine's waiting pattern takers, behind a trait object.
//!
//! The engine only ever builds the object in
//! [`take_matching_or_wait`](super::Engine::take_matching_or_wait), so a program that never
//! waits on a pattern never references the vtable, and the linker drops the whole
//! [`PatternIndex`] with it (its trie, hash maps and removal paths: about 4 KB of a Cortex-M
//! image). Were the field a concrete `PatternIndex`, every `out` would link the index's lookup
//! and every cancel its removal, whether a pattern taker can exist or not. The price is one
//! indirect call per lookup, paid only while a pattern taker waits.

use alloc::boxed::Box;

use crate::grammar::{NameRef, Pattern, PatternIndex, SubscriptionId};

/// A waiting pattern taker: its arrival ticket and its waiter slot.
pub(super) type Taker = (u64, u32);

/// The index of waiting pattern takers, as the engine uses it.
pub(super) trait PatternTakers: Send + Sync {
    /// Adds a taker waiting on `pattern`.
    fn insert(&mut self, pattern: &Pattern, taker: Taker) -> SubscriptionId;
    /// Removes a taker; returns whether the index is now empty.
    fn remove(&mut self, sub: SubscriptionId) -> bool;
    /// The taker that arrived first among those whose pattern matches `name`.
    fn oldest_matching(&self, name: NameRef<'_>) -> Option<Taker>;
}

/// A new, empty index (the one place the vtable is referenced).
pub(super) fn new_pattern_takers() -> Box<dyn PatternTakers> {
    Box::new(PatternIndex::<Taker>::new())
}

impl PatternTakers for PatternIndex<Taker> {
    fn insert(&mut self, pattern: &Pattern, taker: Taker) -> SubscriptionId {
        PatternIndex::insert(self, pattern, taker)
    }

    fn remove(&mut self, sub: SubscriptionId) -> bool {
        PatternIndex::remove(self, sub);
        self.is_empty()
    }

    fn oldest_matching(&self, name: NameRef<'_>) -> Option<Taker> {
        let mut best: Option<Taker> = None;
        self.for_each_match(name, |_, &(ticket, slot)| {
            if best.is_none_or(|(t, _)| ticket < t) {
                best = Some((ticket, slot));
            }
        });
        best
    }
}

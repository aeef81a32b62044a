//! [`IdMap`]: a map from ids issued in increasing order (lease ids, subscription ids) to values.

use alloc::vec::Vec;

/// Below this many, holes are left for later.
const SLACK: usize = 32;

/// A map keyed by ids that are inserted in increasing order: a vector sorted by id, so an insert
/// is a push and a lookup a binary search. A removal leaves a hole (`None`), popped at once at the
/// end and swept out when holes outnumber the values (plus a small slack), so each removal is
/// amortised O(1) and the vector holds at most about twice the values present.
///
/// It stands in for a hash map or a `BTreeMap` where the ids come from a counter: one small
/// generic type instead of a hash table's or a B-tree's code per value type (each costs kilobytes
/// in the wasm and the firmware), and no hashing.
#[derive(Clone)]
pub(crate) struct IdMap<T> {
    slots: Vec<(u64, Option<T>)>,
    /// `None`s in `slots`.
    holes: usize,
}

impl<T> IdMap<T> {
    pub(crate) const fn new() -> Self {
        IdMap {
            slots: Vec::new(),
            holes: 0,
        }
    }

    /// Values present.
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.holes
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn position(&self, id: u64) -> Option<usize> {
        let i = self.slots.binary_search_by_key(&id, |&(id, _)| id).ok()?;
        self.slots[i].1.is_some().then_some(i)
    }

    pub(crate) fn get(&self, id: u64) -> Option<&T> {
        self.slots[self.position(id)?].1.as_ref()
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        let i = self.position(id)?;
        self.slots[i].1.as_mut()
    }

    pub(crate) fn contains(&self, id: u64) -> bool {
        self.position(id).is_some()
    }

    /// Adds `value` under `id`, which must be above every id inserted before (ids come from a
    /// counter): the map would answer wrongly otherwise.
    pub(crate) fn insert(&mut self, id: u64, value: T) -> &mut T {
        debug_assert!(self.slots.last().is_none_or(|&(last, _)| last < id));
        let i = self.slots.len();
        self.slots.push((id, None));
        self.slots[i].1.insert(value)
    }

    pub(crate) fn remove(&mut self, id: u64) -> Option<T> {
        let i = self.position(id)?;
        let value = self.slots[i].1.take();
        self.holes += 1;
        while matches!(self.slots.last(), Some((_, None))) {
            self.slots.pop();
            self.holes -= 1;
        }
        let oversized =
            self.slots.capacity() > 2 * SLACK && self.slots.len() * 4 < self.slots.capacity();
        if self.holes > self.len() + SLACK || oversized {
            self.sweep();
        }
        value
    }

    /// Drops every hole (O(n)) and the memory the values present do not need.
    #[cold]
    #[inline(never)]
    fn sweep(&mut self) {
        self.slots.retain(|(_, value)| value.is_some());
        self.holes = 0;
        if self.slots.capacity() > 2 * SLACK && self.slots.len() * 4 < self.slots.capacity() {
            self.slots.shrink_to((self.slots.len() * 2).max(SLACK));
        }
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.sweep();
        self.slots.shrink_to_fit();
    }

    /// The values present with their ids, in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        self.slots
            .iter()
            .filter_map(|(id, value)| Some((*id, value.as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use proptest::prelude::*;

    proptest! {
        /// Answers like a `BTreeMap` fed the same increasing ids, and holds at most about twice
        /// its values.
        #[test]
        fn behaves_like_a_btreemap(ops in proptest::collection::vec((any::<bool>(), any::<usize>()), 0..if cfg!(miri) { 40 } else { 600 })) {
            let mut map = IdMap::new();
            let mut model = BTreeMap::new();
            let mut next = 0u64;
            for (insert, pick) in ops {
                if insert || model.is_empty() {
                    next += 1 + (pick % 3) as u64;
                    prop_assert_eq!(*map.insert(next, next * 10), next * 10);
                    model.insert(next, next * 10);
                } else {
                    let id = *model.keys().nth(pick % model.len()).unwrap_or(&0);
                    prop_assert_eq!(map.remove(id), model.remove(&id));
                    prop_assert_eq!(map.remove(id), None);
                }
                let probe = (pick as u64) % (next + 2);
                prop_assert_eq!(map.get(probe), model.get(&probe));
                prop_assert_eq!(map.contains(probe), model.contains_key(&probe));
                prop_assert_eq!(map.len(), model.len());
                prop_assert!(map.slots.len() <= 2 * model.len() + SLACK + 1);
                prop_assert!(map.iter().eq(model.iter().map(|(k, v)| (*k, v))));
            }
            map.shrink_to_fit();
            prop_assert_eq!(map.slots.len(), model.len());
        }
    }

    #[test]
    fn a_drained_map_gives_its_memory_back() {
        let mut map = IdMap::new();
        for id in 0..10_000 {
            map.insert(id, id);
        }
        for id in 0..5_000 {
            assert_eq!(map.remove(id), Some(id)); // oldest first: holes at the front
        }
        for id in (5_000..10_000).rev() {
            assert_eq!(map.remove(id), Some(id)); // newest first: popped at the end
        }
        assert!(map.is_empty());
        assert!(map.slots.capacity() <= 2 * SLACK);
    }
}

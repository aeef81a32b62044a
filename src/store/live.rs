//! The live entries by sequence number: a sorted deque with lazy removal.
//!
//! Pushes arrive in increasing sequence order, so an insert is a `push_back`; a removal (a
//! tombstone, an acknowledged lease) is a binary search that leaves a hole, and holes at either
//! end are popped at once. Holes in the middle — entries of one key consumed while an older
//! entry of another waits — are swept out when they outnumber the live entries, so memory stays
//! within twice the live set and every operation is amortized O(1) or O(log n). It replaced a
//! `BTreeMap`, whose insert was ~18 % of a `Never` push's instructions (issue 18).

use alloc::collections::VecDeque;

/// Holes are swept once there are more than this many and more holes than live entries.
const SWEEP_MIN: usize = 64;

/// Values by sequence number, in sequence order.
#[derive(Debug)]
pub(crate) struct LiveSeq<T> {
    slots: VecDeque<(u64, Option<T>)>,
    live: usize,
}

impl<T> Default for LiveSeq<T> {
    fn default() -> Self {
        LiveSeq {
            slots: VecDeque::new(),
            live: 0,
        }
    }
}

impl<T> LiveSeq<T> {
    /// Live entries.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn find(&self, seq: u64) -> Result<usize, usize> {
        // The usual cases first: the newest and the oldest.
        match self.slots.back() {
            Some(&(s, _)) if s == seq => return Ok(self.slots.len() - 1),
            Some(&(s, _)) if s < seq => return Err(self.slots.len()),
            _ => {}
        }
        self.slots.binary_search_by_key(&seq, |&(s, _)| s)
    }

    pub(crate) fn get(&self, seq: u64) -> Option<&T> {
        let at = self.find(seq).ok()?;
        self.slots[at].1.as_ref()
    }

    pub(crate) fn get_mut(&mut self, seq: u64) -> Option<&mut T> {
        let at = self.find(seq).ok()?;
        self.slots[at].1.as_mut()
    }

    /// The entry with the highest sequence number.
    pub(crate) fn last(&self) -> Option<(u64, &T)> {
        self.slots
            .back()
            .and_then(|(s, v)| v.as_ref().map(|v| (*s, v)))
    }

    /// Inserts `value` at `seq`; gives it back if `seq` is live. Above every sequence number
    /// held (a push) it is O(1); below, O(log n) into a hole, else a shift (a cancelled take's
    /// restore, rare).
    pub(crate) fn insert(&mut self, seq: u64, value: T) -> Result<(), T> {
        match self.find(seq) {
            Ok(at) => match &mut self.slots[at].1 {
                Some(_) => return Err(value),
                hole => *hole = Some(value),
            },
            Err(at) if at == self.slots.len() => self.slots.push_back((seq, Some(value))),
            Err(at) => self.slots.insert(at, (seq, Some(value))),
        }
        self.live += 1;
        Ok(())
    }

    /// Appends `value` at `seq`, which must be above every sequence number held (a push, or
    /// replay's out records, whose numbers strictly increase): O(1), no search.
    #[inline]
    pub(crate) fn push_back(&mut self, seq: u64, value: T) {
        debug_assert!(
            self.slots.back().is_none_or(|&(s, _)| s < seq),
            "push_back below the newest sequence number"
        );
        self.slots.push_back((seq, Some(value)));
        self.live += 1;
    }

    /// Removes and returns the entry at `seq`.
    pub(crate) fn remove(&mut self, seq: u64) -> Option<T> {
        let at = self.find(seq).ok()?;
        let value = self.slots[at].1.take()?;
        self.live -= 1;
        while matches!(self.slots.front(), Some((_, None))) {
            self.slots.pop_front();
        }
        while matches!(self.slots.back(), Some((_, None))) {
            self.slots.pop_back();
        }
        let holes = self.slots.len() - self.live;
        if holes > SWEEP_MIN && holes > self.live {
            self.slots.retain(|(_, v)| v.is_some());
        }
        Some(value)
    }

    /// The live entries in sequence order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &T)> + '_ {
        self.slots
            .iter()
            .filter_map(|(s, v)| v.as_ref().map(|v| (*s, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Push,
        Remove(usize),
        Restore(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => Just(Op::Push),
            3 => (0..64usize).prop_map(Op::Remove),
            1 => (0..64usize).prop_map(Op::Restore),
        ]
    }

    proptest! {
        /// The deque answers like the `BTreeMap` it replaced, and its memory stays within
        /// twice the live set (plus the sweep threshold). Under Miri the programs are short:
        /// the deque holds no `unsafe`, and 600 operations checked after each take many
        /// minutes to interpret.
        #[test]
        fn behaves_like_a_btreemap(ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 600 })) {
            let mut model = BTreeMap::new();
            let mut live = LiveSeq::default();
            let mut next = 0u64;
            let mut removed: Vec<u64> = Vec::new();
            for op in ops {
                match op {
                    Op::Push => {
                        if next % 2 == 0 {
                            live.push_back(next, next * 10);
                        } else {
                            prop_assert!(live.insert(next, next * 10).is_ok());
                        }
                        model.insert(next, next * 10);
                        next += 1;
                    }
                    Op::Remove(i) => {
                        // A live one, or (i beyond the live set) one never pushed.
                        let seq = model.keys().nth(i).copied().unwrap_or(next + 1);
                        prop_assert_eq!(live.remove(seq), model.remove(&seq));
                        if seq < next {
                            removed.push(seq);
                        }
                    }
                    Op::Restore(i) => {
                        if let Some(&seq) = removed.get(i % removed.len().max(1)) {
                            let fresh = !model.contains_key(&seq);
                            prop_assert_eq!(live.insert(seq, seq * 10).is_ok(), fresh);
                            model.insert(seq, seq * 10);
                        }
                    }
                }
                prop_assert_eq!(live.len(), model.len());
                prop_assert!(live.slots.len() <= 2 * live.len() + SWEEP_MIN + 1);
                let got: Vec<_> = live.iter().map(|(s, v)| (s, *v)).collect();
                let want: Vec<_> = model.iter().map(|(s, v)| (*s, *v)).collect();
                prop_assert_eq!(got, want);
                prop_assert_eq!(live.last().map(|(s, v)| (s, *v)), model.last_key_value().map(|(s, v)| (*s, *v)));
            }
            for s in 0..next + 2 {
                prop_assert_eq!(live.get(s), model.get(&s));
            }
        }
    }
}

//! The locked state of a [`LocalSpace`](super::LocalSpace): the key table and every waiter.
//!
//! Everything here runs under the space's one lock. Nothing in this file runs user code except
//! `V::clone` (in reads) and `Waker::clone`; values are never dropped under the lock.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use core::hash::BuildHasher;
use core::task::{Poll, Waker};

use compact_str::CompactString;
use hashbrown::hash_table::{HashTable, OccupiedEntry};
use hashbrown::DefaultHashBuilder;

use super::pattern::{dispatch, PatternWaiters};
use super::waiters::{TicketQueue, WakeList};
use crate::error::Closed;
use crate::sync::{WaitQueue, WaiterSlot};

/// An empty space keeps room for this many keys; beyond it the table shrinks as keys leave.
const RETAINED_KEYS: usize = 16;
/// The recycled key queue keeps an entry buffer up to this capacity, and a key up to this length.
const SPARE_ENTRIES: usize = 16;
const SPARE_KEY_BYTES: usize = 64;

/// Key equality with a fast path for short keys: two overlapping word loads instead of a call to
/// `memcmp` (keys are usually short, and every operation compares one).
#[inline]
fn key_eq(stored: &CompactString, key: &str) -> bool {
    let (a, b) = (stored.as_bytes(), key.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let n = a.len();
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |s: &[u8], at: usize| u32::from_ne_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    match n {
        0 => true,
        1..=3 => a == b,
        4..=8 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        9..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// One value in a key's FIFO, stamped with its space-wide `out` order.
pub(crate) struct Entry<V> {
    /// `out` order across the whole space: pattern take picks the smallest head.
    pub(crate) seq: u64,
    pub(crate) value: V,
}

/// Who waits on one key. Boxed: most keys never have a waiter, and the table stays small.
#[derive(Default)]
pub(crate) struct KeyWaiters {
    pub(crate) takers: TicketQueue,
    pub(crate) readers: WaitQueue,
}

/// One key: its FIFO and its waiters. Lives in the table while it holds entries or waiters.
///
/// 64 bytes on 64-bit targets, aligned to a cache line there, so a hot key is one line and never
/// straddles two (the producer and the consumer both write its queue header).
#[cfg_attr(target_pointer_width = "64", repr(align(64)))]
pub(crate) struct KeyQueue<V> {
    pub(crate) key: CompactString,
    pub(crate) entries: VecDeque<Entry<V>>,
    pub(crate) waiters: Option<Box<KeyWaiters>>,
}

impl<V> KeyQueue<V> {
    /// No entries and no waiter (linked or notified): the key may leave the table.
    fn is_idle(&self) -> bool {
        self.entries.is_empty()
            && self
                .waiters
                .as_ref()
                .is_none_or(|w| w.takers.is_empty() && w.readers.is_empty())
    }

    fn waiters(&mut self) -> &mut KeyWaiters {
        self.waiters.get_or_insert_with(Box::default)
    }
}

/// The key table: a `HashTable` (so the key lives inside its queue, and a recycled queue brings
/// its own key buffer) with a hasher seeded on first insert (so `LocalSpace::new` is `const`).
///
/// # Leaving the table
/// A key that becomes idle (no entries, no waiters) *lingers* until the next key becomes idle,
/// which evicts it; an evicted queue is kept as the *spare* for the next new key. So at most one
/// idle key and one spare queue are ever kept (both small, both bounded), a key that is emptied
/// and refilled over and over costs no table churn and no allocation, and a drained space holds
/// no more than that. [`shrink_to_fit`](Self::shrink_to_fit) drops both.
#[repr(C)]
pub(crate) struct Keys<V> {
    /// `None` until the first key arrives; an empty table needs no hashing.
    hasher: Option<DefaultHashBuilder>,
    table: HashTable<KeyQueue<V>>,
    /// Hash of the key that became idle last (a hint: it may have been reused since).
    lingering: Option<u64>,
    /// The last evicted key queue, emptied, so a new key allocates nothing.
    spare: Option<KeyQueue<V>>,
}

impl<V> Keys<V> {
    const fn new() -> Self {
        Keys {
            table: HashTable::new(),
            hasher: None,
            lingering: None,
            spare: None,
        }
    }

    /// Entries across all keys: O(keys), for observability.
    pub(crate) fn total(&self) -> usize {
        self.table.iter().map(|q| q.entries.len()).sum()
    }

    /// Keys holding entries or waiters (the lingering idle key is not counted).
    pub(crate) fn live_len(&self) -> usize {
        let idle = self.lingering.is_some_and(|h| {
            self.table
                .find(h, |q| self.is_idle_with_hash(q, h))
                .is_some()
        });
        self.table.len() - usize::from(idle)
    }

    /// `q` is idle *and* its key hashes to `hash`. The hash check matters: `HashTable::find`
    /// only pre-filters candidates by 7 tag bits, so "any idle queue" could match another idle key
    /// that shares the tag, leaving the real lingering key in the table, untracked, for good.
    fn is_idle_with_hash(&self, q: &KeyQueue<V>, hash: u64) -> bool {
        q.is_idle()
            && self
                .hasher
                .as_ref()
                .is_some_and(|s| s.hash_one(q.key.as_str()) == hash)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &KeyQueue<V>> {
        self.table.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut KeyQueue<V>> {
        self.table.iter_mut()
    }

    /// The hash of `key`, or `None` when no key was ever inserted (nothing to find).
    #[inline]
    pub(crate) fn hash(&self, key: &str) -> Option<u64> {
        Some(self.hasher.as_ref()?.hash_one(key))
    }

    /// The hash of `key`, seeding the hasher on first use.
    #[inline]
    pub(crate) fn seeded_hash(&mut self, key: &str) -> u64 {
        self.hasher
            .get_or_insert_with(DefaultHashBuilder::default)
            .hash_one(key)
    }

    pub(crate) fn find(&self, hash: u64, key: &str) -> Option<&KeyQueue<V>> {
        self.table.find(hash, |q| key_eq(&q.key, key))
    }

    pub(crate) fn find_entry(
        &mut self,
        hash: u64,
        key: &str,
    ) -> Option<OccupiedEntry<'_, KeyQueue<V>>> {
        self.table.find_entry(hash, |q| key_eq(&q.key, key)).ok()
    }

    /// The queue for `key` (`hash` from [`seeded_hash`](Self::seeded_hash)), created from the
    /// spare, or allocated, if absent.
    #[inline]
    pub(crate) fn get_or_insert(&mut self, hash: u64, key: &str) -> OccupiedEntry<'_, KeyQueue<V>> {
        let Keys {
            table,
            hasher,
            spare,
            ..
        } = self;
        // Look up first: the key usually exists, and a plain probe is cheaper than `entry`
        // (which reserves room up front).
        match table.find_entry(hash, |q| key_eq(&q.key, key)) {
            Ok(o) => o,
            Err(absent) => Self::insert_new(absent.into_table(), hasher, spare, hash, key),
        }
    }

    /// The slow path of [`get_or_insert`](Self::get_or_insert), out of line so the hot path keeps
    /// a small frame.
    #[cold]
    #[inline(never)]
    fn insert_new<'t>(
        table: &'t mut HashTable<KeyQueue<V>>,
        hasher: &mut Option<DefaultHashBuilder>,
        spare: &mut Option<KeyQueue<V>>,
        hash: u64,
        key: &str,
    ) -> OccupiedEntry<'t, KeyQueue<V>> {
        let q = match spare.take() {
            Some(mut q) => {
                q.key.push_str(key);
                q
            }
            None => KeyQueue {
                key: CompactString::from(key),
                entries: VecDeque::new(),
                waiters: None,
            },
        };
        let hasher = hasher.get_or_insert_with(DefaultHashBuilder::default);
        table.insert_unique(hash, q, |q| hasher.hash_one(q.key.as_str()))
    }

    /// The key with `hash` just became idle: it lingers, and the previous lingering key, if still
    /// idle, leaves the table.
    pub(crate) fn idled(&mut self, hash: u64) {
        // The same key idling again (the hand-off loop) writes nothing: this state is shared
        // between the producing and the consuming thread, so a write costs a cache-line transfer.
        if self.lingering == Some(hash) {
            return;
        }
        if let Some(prev) = self.lingering.replace(hash) {
            self.evict(prev);
        }
    }

    /// Removes the idle key with `hash`, if there is one (at most one key is idle at a time).
    fn evict(&mut self, hash: u64) {
        let Some(hasher) = &self.hasher else { return };
        // Match the key's full hash, not just "idle" (see `is_idle_with_hash`).
        let found = self.table.find_entry(hash, |q| {
            q.is_idle() && hasher.hash_one(q.key.as_str()) == hash
        });
        if let Ok(o) = found {
            let q = o.remove().0;
            self.recycle(q);
        }
    }

    /// Keeps `q` as the spare if there is none and it is small, then shrinks the table if it has
    /// become mostly empty (amortised: it shrinks to twice its length, so it cannot thrash).
    fn recycle(&mut self, mut q: KeyQueue<V>) {
        if self.spare.is_none() && q.key.capacity() <= SPARE_KEY_BYTES {
            debug_assert!(q.entries.is_empty());
            if q.entries.capacity() > SPARE_ENTRIES {
                q.entries = VecDeque::new();
            }
            if let Some(w) = &mut q.waiters {
                w.takers.shrink_to_fit();
                w.readers.shrink_to_fit();
            }
            q.key.clear();
            self.spare = Some(q);
        }
        let cap = self.table.capacity();
        if cap > 2 * RETAINED_KEYS && self.table.len() * 4 < cap {
            if let Some(hasher) = &self.hasher {
                let min = (self.table.len() * 2).max(RETAINED_KEYS);
                self.table
                    .shrink_to(min, |q| hasher.hash_one(q.key.as_str()));
            }
        }
    }

    /// Releases every byte not needed by the keys present.
    pub(crate) fn shrink_to_fit(&mut self) {
        if let Some(h) = self.lingering.take() {
            self.evict(h);
        }
        self.spare = None;
        for q in self.table.iter_mut() {
            q.entries.shrink_to_fit();
            if let Some(w) = &mut q.waiters {
                w.takers.shrink_to_fit();
                w.readers.shrink_to_fit();
            }
        }
        match &self.hasher {
            Some(hasher) => self.table.shrink_to(0, |q| hasher.hash_one(q.key.as_str())),
            None => self.table = HashTable::new(),
        }
    }
}

/// Everything behind the lock.
///
/// `repr(C)`, written-per-operation fields first: they then share the cache line of the lock
/// word (see [`LocalSpace`](super::LocalSpace)'s alignment), which a hand-off between two threads
/// moves between cores anyway, so they cost no extra transfer.
#[repr(C)]
pub(crate) struct State<V> {
    /// Next entry stamp (see [`Entry::seq`]).
    next_seq: u64,
    pub(crate) keys: Keys<V>,
    pub(crate) closed: bool,
    /// Next waiter ticket; 0 means "no ticket yet", so tickets start at 1.
    next_ticket: u64,
    /// Pattern takers, while there are any (`None` keeps `out` free of grammar work).
    pub(crate) patterns: Option<Box<PatternWaiters>>,
}

impl<V> State<V> {
    pub(crate) const fn new() -> Self {
        State {
            keys: Keys::new(),
            closed: false,
            next_seq: 0,
            next_ticket: 1,
            patterns: None,
        }
    }

    /// A fresh waiter ticket: smaller means waiting longer.
    pub(crate) fn new_ticket(&mut self) -> u64 {
        let t = self.next_ticket;
        self.next_ticket += 1;
        t
    }

    /// Passes on a wake-up owed for `key` (a woken taker left without taking): if entries remain,
    /// the oldest taker eligible for the key is woken.
    pub(crate) fn hand_on(&mut self, key: &str) -> Option<Waker> {
        let hash = self.keys.hash(key)?;
        let mut o = self.keys.find_entry(hash, key)?;
        let q = o.get_mut();
        if q.entries.is_empty() {
            return None;
        }
        dispatch(q, &mut self.patterns)
    }

    /// `out`: appends, then wakes every reader of the key and its oldest taker.
    pub(crate) fn out(
        &mut self,
        key: &str,
        value: V,
        wakes: &mut WakeList,
    ) -> Result<(), Closed<V>> {
        if self.closed {
            return Err(Closed(value));
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let hash = self.keys.seeded_hash(key);
        let mut o = self.keys.get_or_insert(hash, key);
        let q = o.get_mut();
        q.entries.push_back(Entry { seq, value });
        if let Some(w) = &mut q.waiters {
            while let Some(r) = w.readers.notify_one() {
                wakes.push(r);
            }
        }
        if q.waiters.is_some() || self.patterns.is_some() {
            wakes.push_opt(dispatch(q, &mut self.patterns));
        }
        Ok(())
    }

    /// Non-blocking take; serves entries even after close.
    pub(crate) fn try_take(&mut self, key: &str) -> Option<V> {
        let hash = self.keys.hash(key)?;
        let mut o = self.keys.find_entry(hash, key)?;
        let q = o.get_mut();
        let entry = q.entries.pop_front()?;
        if q.is_idle() {
            self.keys.idled(hash);
        }
        Some(entry.value)
    }

    pub(crate) fn len(&self, key: &str) -> usize {
        self.keys
            .hash(key)
            .and_then(|h| self.keys.find(h, key))
            .map_or(0, |q| q.entries.len())
    }

    /// One poll of a `take` future: see [`Take`](super::Take).
    pub(crate) fn poll_take(
        &mut self,
        key: &str,
        slot: &mut WaiterSlot,
        ticket: &mut u64,
        waker: &Waker,
    ) -> Poll<Result<V, Closed>> {
        if self.closed {
            self.forget_taker(key, slot, *ticket);
            return Poll::Ready(Err(Closed(())));
        }
        let hash = self.keys.seeded_hash(key);
        let mut o = self.keys.get_or_insert(hash, key);
        let q = o.get_mut();
        match q.entries.pop_front() {
            Some(entry) => {
                if slot.is_registered() {
                    q.waiters().takers.remove(slot, *ticket);
                }
                if q.is_idle() {
                    self.keys.idled(hash);
                }
                Poll::Ready(Ok(entry.value))
            }
            None => {
                if *ticket == 0 {
                    *ticket = self.next_ticket; // (not `new_ticket`: `q` borrows `self.keys`)
                    self.next_ticket += 1;
                }
                q.waiters().takers.register(slot, *ticket, waker);
                Poll::Pending
            }
        }
    }

    /// A take future is dropped: leave the queue and, if it had been woken and entries remain,
    /// pass the wake-up on.
    pub(crate) fn drop_take(
        &mut self,
        key: &str,
        slot: &mut WaiterSlot,
        ticket: u64,
    ) -> Option<Waker> {
        let hash = self.keys.hash(key)?;
        let mut o = self.keys.find_entry(hash, key)?;
        let q = o.get_mut();
        let owed = q.waiters().takers.remove(slot, ticket);
        let wake = if owed && !q.entries.is_empty() && !self.closed {
            dispatch(q, &mut self.patterns)
        } else {
            None
        };
        if q.is_idle() {
            self.keys.idled(hash);
        }
        wake
    }

    fn forget_taker(&mut self, key: &str, slot: &mut WaiterSlot, ticket: u64) {
        if !slot.is_registered() {
            return;
        }
        let Some(hash) = self.keys.hash(key) else {
            return;
        };
        if let Some(mut o) = self.keys.find_entry(hash, key) {
            let q = o.get_mut();
            q.waiters().takers.remove(slot, ticket);
            if q.is_idle() {
                self.keys.idled(hash);
            }
        }
    }

    /// A read future is dropped, or finished: leave the readers (readers owe nothing: every
    /// reader of a key is woken together).
    pub(crate) fn forget_reader(&mut self, key: &str, slot: &mut WaiterSlot) {
        if !slot.is_registered() {
            return;
        }
        let Some(hash) = self.keys.hash(key) else {
            return;
        };
        if let Some(mut o) = self.keys.find_entry(hash, key) {
            let q = o.get_mut();
            q.waiters().readers.remove(slot);
            if q.is_idle() {
                self.keys.idled(hash);
            }
        }
    }

    /// Wakes every waiter with `Closed`. Idempotent.
    pub(crate) fn close(&mut self, wakes: &mut WakeList) {
        self.closed = true;
        for q in self.keys.iter_mut() {
            if let Some(w) = &mut q.waiters {
                w.takers.notify_all(wakes);
                while let Some(r) = w.readers.notify_one() {
                    wakes.push(r);
                }
            }
        }
        if let Some(p) = &mut self.patterns {
            p.notify_all(wakes);
        }
    }
}

impl<V: Clone> State<V> {
    /// One poll of a `read` future: see [`Read`](super::Read).
    pub(crate) fn poll_read(
        &mut self,
        key: &str,
        slot: &mut WaiterSlot,
        waker: &Waker,
    ) -> Poll<Result<V, Closed>> {
        if self.closed {
            self.forget_reader(key, slot);
            return Poll::Ready(Err(Closed(())));
        }
        let hash = self.keys.seeded_hash(key);
        let mut o = self.keys.get_or_insert(hash, key);
        let q = o.get_mut();
        match q.entries.front() {
            Some(entry) => {
                let value = entry.value.clone();
                if slot.is_registered() {
                    q.waiters().readers.remove(slot);
                }
                Poll::Ready(Ok(value))
            }
            None => {
                q.waiters().readers.register(slot, waker);
                Poll::Pending
            }
        }
    }

    pub(crate) fn try_read(&self, key: &str) -> Option<V> {
        let hash = self.keys.hash(key)?;
        let entry = self.keys.find(hash, key)?.entries.front()?;
        Some(entry.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The short-key fast path agrees with `==` on every length, equal or not.
        #[test]
        fn key_eq_agrees_with_str_eq(a in "[a-c]{0,40}", b in "[a-c]{0,40}") {
            let stored = CompactString::from(a.as_str());
            proptest::prop_assert_eq!(key_eq(&stored, &b), a == b);
            proptest::prop_assert!(key_eq(&stored, &a));
        }
    }

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn a_key_is_one_cache_line() {
        assert_eq!(core::mem::size_of::<KeyQueue<u64>>(), 64);
        assert_eq!(core::mem::size_of::<KeyQueue<[u8; 1000]>>(), 64);
    }
}

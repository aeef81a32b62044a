//! The key table of an [`Engine`](super::Engine): one FIFO per key, in a `HashTable` whose keys
//! live inside their queues.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use core::hash::BuildHasher;

use compact_str::CompactString;
use hashbrown::hash_table::{HashTable, OccupiedEntry};
use hashbrown::DefaultHashBuilder;

use super::waiters::List;

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

/// One value in a key's FIFO: its age stamp, how often it was delivered under a lease, the value.
pub(crate) struct Entry<V> {
    /// `out` order across the whole engine: pattern take picks the smallest head.
    pub(crate) stamp: u64,
    /// Leased deliveries so far (see [`Taken::deliveries`](super::Taken::deliveries)).
    pub(crate) deliveries: u32,
    pub(crate) value: V,
}

/// What a key holds besides its entries: its waiters and, when per-key bounds are set, its
/// in-flight count and bytes. Boxed: most keys never need it, and the table stays small.
#[derive(Default)]
pub(crate) struct KeySide {
    /// Waiting key takers, in arrival order.
    pub(crate) takers: List,
    /// Waiting readers.
    pub(crate) readers: List,
    /// Entries of this key out on a lease (tracked only with per-key bounds).
    pub(crate) in_flight: usize,
    /// Bytes of this key's queued and leased entries (tracked only with a per-key byte bound).
    pub(crate) bytes: usize,
}

impl KeySide {
    fn is_idle(&self) -> bool {
        self.takers.is_empty() && self.readers.is_empty() && self.in_flight == 0 && self.bytes == 0
    }
}

/// One key: its FIFO and its side data. Lives in the table while it holds entries, waiters or
/// in-flight leases (the last only with per-key bounds).
///
/// 64 bytes on 64-bit targets, aligned to a cache line there, so a hot key is one line and never
/// straddles two (the producer and the consumer both write its queue header).
#[cfg_attr(target_pointer_width = "64", repr(align(64)))]
pub(crate) struct KeyQueue<V> {
    pub(crate) key: CompactString,
    pub(crate) entries: VecDeque<Entry<V>>,
    pub(crate) side: Option<Box<KeySide>>,
}

impl<V> KeyQueue<V> {
    /// No entries and nothing on the side: the key may leave the table.
    pub(crate) fn is_idle(&self) -> bool {
        self.entries.is_empty() && self.side.as_ref().is_none_or(|s| s.is_idle())
    }

    pub(crate) fn side(&mut self) -> &mut KeySide {
        self.side.get_or_insert_with(Box::default)
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
    pub(crate) const fn new() -> Self {
        Keys {
            table: HashTable::new(),
            hasher: None,
            lingering: None,
            spare: None,
        }
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
                side: None,
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
            q.side = None;
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

    /// Removes every idle key (after `close` ended every waiter at once).
    pub(crate) fn drop_idle(&mut self) {
        self.table.retain(|q| !q.is_idle());
        self.lingering = None;
    }

    /// Releases every byte not needed by the keys present.
    pub(crate) fn shrink_to_fit(&mut self) {
        if let Some(h) = self.lingering.take() {
            self.evict(h);
        }
        self.spare = None;
        for q in self.table.iter_mut() {
            q.entries.shrink_to_fit();
            if q.side.as_ref().is_some_and(|s| s.is_idle()) {
                q.side = None;
            }
        }
        match &self.hasher {
            Some(hasher) => self.table.shrink_to(0, |q| hasher.hash_one(q.key.as_str())),
            None => self.table = HashTable::new(),
        }
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

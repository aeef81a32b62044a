//! The locked state of a [`LocalSpace`](super::LocalSpace): the key table and every waiter.
//!
//! Everything here runs under the space's one lock. Nothing in this file runs user code except
//! `V::clone` (in reads) and `Waker::clone`; values are never dropped under the lock.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use core::hash::BuildHasher;
use core::task::{Poll, Waker};

use hashbrown::hash_table::{Entry as TableEntry, HashTable, OccupiedEntry};
use hashbrown::DefaultHashBuilder;

use super::waiters::{TicketQueue, WakeList};
use crate::error::Closed;
use crate::sync::{WaitQueue, WaiterSlot};

/// An empty space keeps room for this many keys; beyond it the table shrinks as keys leave.
const RETAINED_KEYS: usize = 16;
/// The recycled key queue keeps an entry buffer up to this capacity, and a key up to this length.
const SPARE_ENTRIES: usize = 16;
const SPARE_KEY_BYTES: usize = 64;

/// One value in a key's FIFO, stamped with its space-wide `out` order.
pub(crate) struct Entry<V> {
    /// `out` order across the whole space: pattern take picks the smallest head.
    #[allow(dead_code)] // TODO(pattern take): read once the grammar lands
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
pub(crate) struct KeyQueue<V> {
    pub(crate) key: String,
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
pub(crate) struct Keys<V> {
    table: HashTable<KeyQueue<V>>,
    /// `None` until the first key arrives; an empty table needs no hashing.
    hasher: Option<DefaultHashBuilder>,
    /// The last key queue to leave, kept (bounded) so a key that comes and goes allocates nothing.
    spare: Option<KeyQueue<V>>,
    /// Entries across all keys.
    pub(crate) total: usize,
}

impl<V> Keys<V> {
    const fn new() -> Self {
        Keys {
            table: HashTable::new(),
            hasher: None,
            spare: None,
            total: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &KeyQueue<V>> {
        self.table.iter()
    }

    pub(crate) fn find(&self, key: &str) -> Option<&KeyQueue<V>> {
        let hash = self.hasher.as_ref()?.hash_one(key);
        self.table.find(hash, |q| q.key == key)
    }

    pub(crate) fn find_entry(&mut self, key: &str) -> Option<OccupiedEntry<'_, KeyQueue<V>>> {
        let hash = self.hasher.as_ref()?.hash_one(key);
        self.table.find_entry(hash, |q| q.key == key).ok()
    }

    /// The queue for `key`, created (from the spare when there is one) if absent.
    pub(crate) fn get_or_insert(&mut self, key: &str) -> OccupiedEntry<'_, KeyQueue<V>> {
        let hasher = self.hasher.get_or_insert_with(DefaultHashBuilder::default);
        let hash = hasher.hash_one(key);
        match self
            .table
            .entry(hash, |q| q.key == key, |q| hasher.hash_one(q.key.as_str()))
        {
            TableEntry::Occupied(o) => o,
            TableEntry::Vacant(v) => {
                let q = match self.spare.take() {
                    Some(mut q) => {
                        q.key.push_str(key);
                        q
                    }
                    None => KeyQueue {
                        key: String::from(key),
                        entries: VecDeque::new(),
                        waiters: None,
                    },
                };
                v.insert(q)
            }
        }
    }

    /// Removes the key behind `entry` if it is idle (no entries, no waiters), returning its queue
    /// for [`recycle`](Self::recycle).
    pub(crate) fn release_entry_if_idle(
        entry: OccupiedEntry<'_, KeyQueue<V>>,
    ) -> Option<KeyQueue<V>> {
        if entry.get().is_idle() {
            Some(entry.remove().0)
        } else {
            None
        }
    }

    /// Keeps `q` as the spare if there is none and it is small, then shrinks the table if needed.
    pub(crate) fn recycle(&mut self, mut q: KeyQueue<V>) {
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
pub(crate) struct State<V> {
    pub(crate) keys: Keys<V>,
    pub(crate) closed: bool,
    /// Next entry stamp (see [`Entry::seq`]).
    next_seq: u64,
    /// Next waiter ticket; 0 means "no ticket yet", so tickets start at 1.
    next_ticket: u64,
}

impl<V> State<V> {
    pub(crate) const fn new() -> Self {
        State {
            keys: Keys::new(),
            closed: false,
            next_seq: 0,
            next_ticket: 1,
        }
    }

    fn ticket(&mut self, ticket: &mut u64) -> u64 {
        if *ticket == 0 {
            *ticket = self.next_ticket;
            self.next_ticket += 1;
        }
        *ticket
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
        self.keys.total += 1;
        let mut o = self.keys.get_or_insert(key);
        let q = o.get_mut();
        q.entries.push_back(Entry { seq, value });
        if let Some(w) = &mut q.waiters {
            while let Some(r) = w.readers.notify_one() {
                wakes.push(r);
            }
            wakes.push_opt(w.takers.notify_one());
        }
        Ok(())
    }

    /// Non-blocking take; serves entries even after close.
    pub(crate) fn try_take(&mut self, key: &str) -> Option<V> {
        let mut o = self.keys.find_entry(key)?;
        let entry = o.get_mut().entries.pop_front()?;
        if let Some(q) = Keys::release_entry_if_idle(o) {
            self.keys.recycle(q);
        }
        self.keys.total -= 1;
        Some(entry.value)
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
        let t = self.ticket_if_registering(slot, ticket);
        let mut o = self.keys.get_or_insert(key);
        let q = o.get_mut();
        match q.entries.pop_front() {
            Some(entry) => {
                if slot.is_registered() {
                    q.waiters().takers.remove(slot, *ticket);
                }
                if let Some(q) = Keys::release_entry_if_idle(o) {
                    self.keys.recycle(q);
                }
                self.keys.total -= 1;
                Poll::Ready(Ok(entry.value))
            }
            None => {
                q.waiters().takers.register(slot, t, waker);
                Poll::Pending
            }
        }
    }

    fn ticket_if_registering(&mut self, slot: &WaiterSlot, ticket: &mut u64) -> u64 {
        if slot.is_registered() {
            *ticket
        } else {
            self.ticket(ticket)
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
        let mut o = self.keys.find_entry(key)?;
        let q = o.get_mut();
        let owed = q.waiters().takers.remove(slot, ticket);
        let wake = if owed && !q.entries.is_empty() && !self.closed {
            q.waiters().takers.notify_one()
        } else {
            None
        };
        if let Some(q) = Keys::release_entry_if_idle(o) {
            self.keys.recycle(q);
        }
        wake
    }

    fn forget_taker(&mut self, key: &str, slot: &mut WaiterSlot, ticket: u64) {
        if slot.is_registered() {
            if let Some(mut o) = self.keys.find_entry(key) {
                o.get_mut().waiters().takers.remove(slot, ticket);
                if let Some(q) = Keys::release_entry_if_idle(o) {
                    self.keys.recycle(q);
                }
            }
        }
    }

    /// A read future is dropped, or finished: leave the readers (readers owe nothing: every
    /// reader of a key is woken together).
    pub(crate) fn forget_reader(&mut self, key: &str, slot: &mut WaiterSlot) {
        if slot.is_registered() {
            if let Some(mut o) = self.keys.find_entry(key) {
                o.get_mut().waiters().readers.remove(slot);
                if let Some(q) = Keys::release_entry_if_idle(o) {
                    self.keys.recycle(q);
                }
            }
        }
    }

    /// Wakes every waiter with `Closed`. Idempotent.
    pub(crate) fn close(&mut self, wakes: &mut WakeList) {
        self.closed = true;
        for q in self.keys.table.iter_mut() {
            if let Some(w) = &mut q.waiters {
                w.takers.notify_all(wakes);
                while let Some(r) = w.readers.notify_one() {
                    wakes.push(r);
                }
            }
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
        let mut o = self.keys.get_or_insert(key);
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
        self.keys
            .find(key)?
            .entries
            .front()
            .map(|e| e.value.clone())
    }
}

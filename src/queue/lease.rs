//! Leases: a taken entry stays in the [`Engine`] until it is acknowledged, and comes back to the
//! head of its key (age and delivery count kept) when it is returned or expires.

use alloc::collections::BinaryHeap;
use core::cmp::Reverse;

use compact_str::CompactString;

use super::config::check_lease_ms;
use super::engine::{taken_of, At, Engine, Outcome, Stamp, Taken};
use super::error::{LeaseError, TakeLeasedError};
use super::keys::Entry;
use crate::grammar::{Name, Pattern};
use crate::id_map::IdMap;

/// Names one lease. Ids are never reused by an engine (a 64-bit counter), so an old id can only
/// ever be [`LeaseError::Lost`].
///
/// ```
/// use lindy::queue::{Engine, LeaseId};
/// let mut q: Engine<u32> = Engine::new();
/// q.try_push("k", 1).unwrap();
/// let id = q.try_take_leased("k", None, 0).unwrap().id;
/// let over_the_wire = id.as_u64();
/// q.ack(LeaseId::from_u64(over_the_wire)).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeaseId(u64);

impl LeaseId {
    /// The id as a number (to hand to JavaScript, or a log).
    ///
    /// ```
    /// use lindy::queue::LeaseId;
    /// assert_eq!(LeaseId::from_u64(3).as_u64(), 3);
    /// ```
    pub const fn as_u64(self) -> u64 {
        self.0
    }
    /// An id from [`as_u64`](Self::as_u64).
    ///
    /// ```
    /// use lindy::queue::{Engine, LeaseId};
    /// let mut q: Engine<u32> = Engine::new();
    /// assert_eq!(q.ack(LeaseId::from_u64(12345)).unwrap_err().code(), "LEASE_LOST");
    /// ```
    pub const fn from_u64(id: u64) -> Self {
        LeaseId(id)
    }
}

/// A leased entry: the value stays in the engine until [`ack`](Engine::ack); this borrows it
/// (clone or encode it for the consumer).
///
/// ```
/// use lindy::queue::Engine;
/// let mut q: Engine<&str> = Engine::new();
/// q.try_push("k", "job").unwrap();
/// let lease = q.try_take_leased("k", Some(100), 5).unwrap();
/// assert_eq!((*lease.value, lease.deliveries, lease.deadline), ("job", 1, 105));
/// ```
#[derive(Debug)]
pub struct Leased<'a, V> {
    /// Settle the lease with this id.
    pub id: LeaseId,
    /// The entry's value (still owned by the engine).
    pub value: &'a V,
    /// The entry's age.
    pub stamp: Stamp,
    /// Leased deliveries including this one (1 on the first).
    pub deliveries: u32,
    /// When the lease expires (ms, the clock of the `now` arguments).
    pub deadline: u64,
}

/// Where a returned lease's entry went ([`nack`](Engine::nack), expiry).
///
/// ```
/// use lindy::queue::{Engine, Returned};
/// let mut q: Engine<u32> = Engine::new();
/// q.try_push("k", 1).unwrap();
/// let id = q.try_take_leased("k", None, 0).unwrap().id;
/// assert!(matches!(q.nack(id), Ok(Returned::Requeued(_))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Returned {
    /// Back at the head of its key (or handed to a waiting taker of it).
    Requeued(Outcome),
    /// It had been delivered `max_deliveries` times: moved to the back of the dead-letter key.
    DeadLettered(Outcome),
}

pub(super) struct LeaseRec<V> {
    pub(super) key: CompactString,
    pub(super) entry: Entry<V>,
    pub(super) deadline: u64,
}

/// Below this many, stale deadlines are left for later.
const SLACK: usize = 32;

/// The lease table: records by id, and their deadlines in a min-heap for
/// [`Engine::poll_timeout`]. It replaced a `BTreeMap` by id and a `BTreeSet<(deadline, id)>`,
/// which brought all of `alloc::collections::btree` (17 KB of wasm) for this one table.
///
/// * **By id**: an [`IdMap`] (lease ids come from a counter).
/// * **By deadline**: the heap deletes lazily. Settling or extending a lease leaves its old
///   `(deadline, id)` pair in the heap, *stale* (no live record with that deadline). Every
///   operation that can uncover a stale pair at the top pops it at once, so the top is always
///   live and `poll_timeout` stays a `&self` peek; the heap is rebuilt from the records when stale
///   pairs outnumber live ones. Each pair is pushed and popped once: O(log n) per lease (O(1) to
///   push the usual increasing deadline). Ties expire in id order, as the `BTreeSet` did.
pub(super) struct Leases<V> {
    records: IdMap<LeaseRec<V>>,
    deadlines: BinaryHeap<Reverse<(u64, u64)>>,
    pub(super) next_id: u64,
}

impl<V> Leases<V> {
    pub(super) const fn new() -> Self {
        Leases {
            records: IdMap::new(),
            deadlines: BinaryHeap::new(),
            next_id: 1,
        }
    }

    /// The earliest deadline of a live lease.
    pub(super) fn next_deadline(&self) -> Option<u64> {
        self.deadlines
            .peek()
            .map(|&Reverse((deadline, _))| deadline)
    }

    /// Whether `(deadline, id)` is a live lease's current deadline.
    fn is_due_pair(&self, deadline: u64, id: u64) -> bool {
        self.records.get(id).is_some_and(|r| r.deadline == deadline)
    }

    /// Adds lease `id`, which must be above every id in the table (ids come from `next_id`).
    fn insert(&mut self, id: u64, rec: LeaseRec<V>) -> &mut LeaseRec<V> {
        self.deadlines.push(Reverse((rec.deadline, id)));
        self.records.insert(id, rec)
    }

    fn remove(&mut self, id: u64) -> Option<LeaseRec<V>> {
        let rec = self.records.remove(id)?;
        self.tidy();
        Some(rec)
    }

    /// Moves lease `id`'s deadline; `None` if there is no such lease.
    fn set_deadline(&mut self, id: u64, deadline: u64) -> Option<()> {
        let rec = self.records.get_mut(id)?;
        if rec.deadline != deadline {
            rec.deadline = deadline;
            self.deadlines.push(Reverse((deadline, id)));
            self.tidy();
        }
        Some(())
    }

    /// Removes and returns the lease with the earliest deadline if that is `<= now`.
    fn pop_expired(&mut self, now: u64) -> Option<LeaseRec<V>> {
        while let Some(&Reverse((deadline, id))) = self.deadlines.peek() {
            if deadline > now {
                return None;
            }
            self.deadlines.pop();
            // The top is live (see `tidy`); checking again keeps a stale pair from ever
            // settling a lease early.
            if self.is_due_pair(deadline, id) {
                return self.remove(id);
            }
        }
        None
    }

    /// Restores the heap's invariants after a record left or moved: no stale pair at the top,
    /// stale pairs at most as many as live leases (plus [`SLACK`]), memory following the count.
    fn tidy(&mut self) {
        while let Some(&Reverse((deadline, id))) = self.deadlines.peek() {
            if self.is_due_pair(deadline, id) {
                break;
            }
            self.deadlines.pop();
        }
        if self.deadlines.len() > 2 * self.records.len() + SLACK {
            self.rebuild_deadlines();
        } else if self.deadlines.capacity() > 2 * SLACK
            && self.deadlines.len() * 4 < self.deadlines.capacity()
        {
            self.deadlines
                .shrink_to((self.deadlines.len() * 2).max(SLACK));
        }
    }

    /// The heap again from the live records only (O(n)).
    #[cold]
    #[inline(never)]
    fn rebuild_deadlines(&mut self) {
        let mut pairs = core::mem::take(&mut self.deadlines).into_vec();
        pairs.clear();
        pairs.extend(self.records.iter().map(|(id, r)| Reverse((r.deadline, id))));
        pairs.shrink_to((pairs.len() * 2).max(SLACK));
        self.deadlines = BinaryHeap::from(pairs);
    }

    pub(super) fn shrink_to_fit(&mut self) {
        self.records.shrink_to_fit();
        self.rebuild_deadlines();
        self.deadlines.shrink_to_fit();
    }
}

impl<V, W> Engine<V, W> {
    /// Takes the head of `key` under a lease of `lease_ms` (the configured default if `None`)
    /// from `now`: the entry stays in the engine until [`ack`](Self::ack); if the lease is
    /// [`nack`](Self::nack)ed or expires ([`handle_timeout`](Self::handle_timeout)) it goes back
    /// to the head of its key with its age. Serves after close too.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// let id = q.try_take_leased("k", Some(1_000), 0).unwrap().id;
    /// assert_eq!((q.len("k"), q.leased_len()), (0, 1));
    /// q.ack(id).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`TakeLeasedError::Invalid`] for a lease length outside `1..=MAX_LEASE_MS` (checked first:
    /// nothing is taken), else as [`try_take`](Self::try_take).
    pub fn try_take_leased(
        &mut self,
        key: &str,
        lease_ms: Option<u64>,
        now: u64,
    ) -> Result<Leased<'_, V>, TakeLeasedError> {
        let ms = self
            .lease_ms(lease_ms)
            .map_err(|_| TakeLeasedError::Invalid)?;
        let taken = self.try_take(key)?;
        Ok(self.lease_in(CompactString::from(key), taken, ms, now))
    }

    /// [`try_take_matching`](Self::try_take_matching) under a lease (see
    /// [`try_take_leased`](Self::try_take_leased)).
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("public:jobs.a", 1).unwrap();
    /// let p = Pattern::parse("public:jobs.*").unwrap();
    /// let (key, lease) = q.try_take_matching_leased(&p, None, 0).unwrap();
    /// assert_eq!((key.as_str(), *lease.value), ("public:jobs.a", 1));
    /// ```
    ///
    /// # Errors
    /// As [`try_take_leased`](Self::try_take_leased).
    pub fn try_take_matching_leased(
        &mut self,
        pattern: &Pattern,
        lease_ms: Option<u64>,
        now: u64,
    ) -> Result<(Name, Leased<'_, V>), TakeLeasedError> {
        let ms = self
            .lease_ms(lease_ms)
            .map_err(|_| TakeLeasedError::Invalid)?;
        let (name, taken) = self.try_take_matching(pattern)?;
        let key = CompactString::from(name.as_str());
        Ok((name, self.lease_in(key, taken, ms, now)))
    }

    /// Puts an entry the driver just took (a claimed waiting take) under a lease, as if it had
    /// been taken by [`try_take_leased`](Self::try_take_leased). A waiting leased take is
    /// `take_or_wait` then `lease` on claim, so the lease starts when the consumer gets the
    /// entry.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// let taken = q.try_take("k").unwrap(); // e.g. a claimed waiting take
    /// let deadline = q.lease("k", taken, Some(50), 10).unwrap().deadline;
    /// assert_eq!((deadline, q.leased_len()), (60, 1));
    /// ```
    ///
    /// # Errors
    /// [`LeaseError::Invalid`] with the entry handed back, for a bad lease length.
    pub fn lease(
        &mut self,
        key: &str,
        taken: Taken<V>,
        lease_ms: Option<u64>,
        now: u64,
    ) -> Result<Leased<'_, V>, (LeaseError, Taken<V>)> {
        match self.lease_ms(lease_ms) {
            Ok(ms) => Ok(self.lease_in(CompactString::from(key), taken, ms, now)),
            Err(e) => Err((e, taken)),
        }
    }

    /// Acknowledges a lease: the entry is done and leaves the engine. It is returned with its
    /// stamp and delivery count (a durable backend writes its tombstone by them; drop the value
    /// outside any lock). Works after close too.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// let id = q.try_take_leased("k", None, 0).unwrap().id;
    /// assert_eq!(q.ack(id).unwrap().value, 1);
    /// assert!(q.is_empty());
    /// ```
    ///
    /// # Errors
    /// [`LeaseError::Lost`]: no live lease has that id (settled, expired, never issued).
    pub fn ack(&mut self, id: LeaseId) -> Result<Taken<V>, LeaseError> {
        let rec = self.remove_lease(id)?;
        self.release(&rec.key, &rec.entry);
        self.admit_producers();
        Ok(taken_of(rec.entry))
    }

    /// Returns a lease: the entry goes back to the head of its key with its age and delivery
    /// count (handed on to a waiting taker, if any), or to the dead-letter key once it has been
    /// delivered `max_deliveries` times. Works after close too.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// let id = q.try_take_leased("k", None, 0).unwrap().id;
    /// q.nack(id).unwrap();
    /// assert_eq!(q.try_take("k").unwrap().deliveries, 1);
    /// ```
    ///
    /// # Errors
    /// [`LeaseError::Lost`].
    pub fn nack(&mut self, id: LeaseId) -> Result<Returned, LeaseError> {
        let rec = self.remove_lease(id)?;
        Ok(self.return_lease(rec))
    }

    /// Extends a lease to `lease_ms` from `now` (the configured default if `None`); returns the
    /// new deadline.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// let id = q.try_take_leased("k", Some(100), 0).unwrap().id;
    /// assert_eq!(q.extend(id, Some(100), 90), Ok(190));
    /// assert_eq!(q.poll_timeout(), Some(190));
    /// ```
    ///
    /// # Errors
    /// [`LeaseError::Invalid`] for a bad length, [`LeaseError::Lost`] for no such lease.
    pub fn extend(
        &mut self,
        id: LeaseId,
        lease_ms: Option<u64>,
        now: u64,
    ) -> Result<u64, LeaseError> {
        let ms = self.lease_ms(lease_ms)?;
        let deadline = now.saturating_add(ms);
        self.leases
            .set_deadline(id.0, deadline)
            .ok_or(LeaseError::Lost)?;
        Ok(deadline)
    }

    /// The next lease deadline (ms), if any lease is out: call
    /// [`handle_timeout`](Self::handle_timeout) then (quinn-proto's `poll_timeout`).
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// assert_eq!(q.poll_timeout(), None);
    /// q.try_push("k", 1).unwrap();
    /// q.try_take_leased("k", Some(100), 0).unwrap();
    /// assert_eq!(q.poll_timeout(), Some(100));
    /// ```
    pub fn poll_timeout(&self) -> Option<u64> {
        self.leases.next_deadline()
    }

    /// Returns every lease whose deadline is `<= now` as [`nack`](Self::nack) would (head of its
    /// key, or dead-letter). Returns how many expired.
    ///
    /// ```
    /// use lindy::queue::Engine;
    /// let mut q: Engine<u32> = Engine::new();
    /// q.try_push("k", 1).unwrap();
    /// q.try_take_leased("k", Some(100), 0).unwrap();
    /// assert_eq!(q.handle_timeout(99), 0);
    /// assert_eq!(q.handle_timeout(100), 1);
    /// assert_eq!(q.len("k"), 1);
    /// ```
    pub fn handle_timeout(&mut self, now: u64) -> usize {
        let mut n = 0;
        while let Some(rec) = self.leases.pop_expired(now) {
            self.return_lease(rec);
            n += 1;
        }
        n
    }

    fn lease_ms(&self, ms: Option<u64>) -> Result<u64, LeaseError> {
        check_lease_ms(ms.unwrap_or(self.config.default_lease_ms))
    }

    fn lease_in(
        &mut self,
        key: CompactString,
        mut taken: Taken<V>,
        ms: u64,
        now: u64,
    ) -> Leased<'_, V> {
        taken.deliveries = taken.deliveries.saturating_add(1);
        let id = self.leases.next_id;
        self.leases.next_id += 1;
        let deadline = now.saturating_add(ms);
        self.in_flight += 1;
        if self.bounded {
            let w = self.weigh(&taken.value);
            self.bytes += w;
            if self.key_bounded {
                let hash = self.keys.seeded_hash(&key);
                let mut o = self.keys.get_or_insert(hash, &key);
                let side = o.get_mut().side();
                side.in_flight += 1;
                side.bytes += w;
            }
        }
        let rec = self.leases.insert(
            id,
            LeaseRec {
                key,
                entry: Entry {
                    stamp: taken.stamp.0,
                    deliveries: taken.deliveries,
                    value: taken.value,
                },
                deadline,
            },
        );
        Leased {
            id: LeaseId(id),
            value: &rec.entry.value,
            stamp: Stamp(rec.entry.stamp),
            deliveries: rec.entry.deliveries,
            deadline,
        }
    }

    fn remove_lease(&mut self, id: LeaseId) -> Result<LeaseRec<V>, LeaseError> {
        self.leases.remove(id.0).ok_or(LeaseError::Lost)
    }

    /// A leased entry leaves the lease table: undo its accounting.
    fn release(&mut self, key: &str, entry: &Entry<V>) {
        self.in_flight -= 1;
        if self.bounded {
            let w = self.weigh(&entry.value);
            self.bytes -= w;
            self.release_key_share(key, w);
        }
    }

    fn return_lease(&mut self, rec: LeaseRec<V>) -> Returned {
        self.release(&rec.key, &rec.entry);
        let dead = self
            .config
            .max_deliveries
            .is_some_and(|m| rec.entry.deliveries >= m);
        let returned = if dead {
            let key = self.config.dead_letter_key.clone();
            // Unchecked: the entry already held its room; it only changes key.
            match self.place(&key, rec.entry, At::Back, false) {
                Ok(o) => Returned::DeadLettered(o),
                Err(_) => Returned::DeadLettered(Outcome::Queued), // unchecked: not reached
            }
        } else {
            match self.place(&rec.key, rec.entry, At::Age, false) {
                Ok(o) => Returned::Requeued(o),
                Err(_) => Returned::Requeued(Outcome::Queued), // unchecked: not reached
            }
        };
        if !self.producers.is_empty() {
            self.admit_producers();
        }
        returned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Lease(u64),
        Settle(usize),
        Extend(usize, u64),
        Expire(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..50u64).prop_map(Op::Lease),
            2 => any::<usize>().prop_map(Op::Settle),
            2 => (any::<usize>(), 0..50u64).prop_map(|(i, d)| Op::Extend(i, d)),
            1 => (0..20u64).prop_map(Op::Expire),
        ]
    }

    fn rec(id: u64, deadline: u64) -> LeaseRec<()> {
        LeaseRec {
            key: CompactString::const_new("k"),
            entry: Entry {
                stamp: id,
                deliveries: 1,
                value: (),
            },
            deadline,
        }
    }

    proptest! {
        /// The lazily deleted heap answers like the `BTreeSet<(deadline, id)>` it replaced: the
        /// same next deadline after every step, the same leases expiring in the same order, and
        /// it never holds more than about twice the live leases.
        #[test]
        fn behaves_like_a_sorted_set(ops in proptest::collection::vec(op(), 0..if cfg!(miri) { 40 } else { 400 })) {
            let mut leases = Leases::<()>::new();
            let mut model: BTreeSet<(u64, u64)> = BTreeSet::new();
            let mut now = 0;
            for op in ops {
                let live: Vec<(u64, u64)> = model.iter().copied().collect();
                match op {
                    Op::Lease(ms) => {
                        let id = leases.next_id;
                        leases.next_id += 1;
                        leases.insert(id, rec(id, now + ms));
                        model.insert((now + ms, id));
                    }
                    Op::Settle(i) if !live.is_empty() => {
                        let (d, id) = live[i % live.len()];
                        prop_assert_eq!(leases.remove(id).map(|r| (r.deadline, r.entry.stamp)), Some((d, id)));
                        model.remove(&(d, id));
                        prop_assert!(leases.remove(id).is_none());
                    }
                    Op::Extend(i, ms) if !live.is_empty() => {
                        let (d, id) = live[i % live.len()];
                        prop_assert_eq!(leases.set_deadline(id, now + ms), Some(()));
                        model.remove(&(d, id));
                        model.insert((now + ms, id));
                    }
                    Op::Expire(step) => {
                        now += step;
                        while let Some(r) = leases.pop_expired(now) {
                            let first = model.pop_first();
                            prop_assert_eq!(Some((r.deadline, r.entry.stamp)), first);
                        }
                        prop_assert!(model.first().is_none_or(|&(d, _)| d > now));
                    }
                    _ => prop_assert!(leases.set_deadline(u64::MAX, 1).is_none()),
                }
                prop_assert_eq!(leases.next_deadline(), model.first().map(|&(d, _)| d));
                prop_assert_eq!(leases.records.len(), model.len());
                prop_assert!(leases.deadlines.len() <= 2 * model.len() + SLACK + 1);
            }
            leases.shrink_to_fit();
            prop_assert_eq!(leases.deadlines.len(), model.len());
            prop_assert_eq!(leases.next_deadline(), model.first().map(|&(d, _)| d));
        }
    }

    #[test]
    fn a_drained_table_gives_its_memory_back() {
        let mut leases = Leases::<()>::new();
        for id in 1..=10_000 {
            leases.insert(id, rec(id, id));
        }
        while leases.pop_expired(u64::MAX).is_some() {}
        assert!(leases.deadlines.capacity() <= 2 * SLACK);
        // Settled newest first: the holes are at the end, popped as they come.
        for id in 10_001..=20_000 {
            leases.insert(id, rec(id, id));
        }
        for id in (10_001..=20_000).rev() {
            assert!(leases.remove(id).is_some());
        }
        assert_eq!((leases.records.len(), leases.next_deadline()), (0, None));
        assert!(leases.deadlines.capacity() <= 2 * SLACK);
    }
}

//! Leases: a taken entry stays in the [`Engine`] until it is acknowledged, and comes back to the
//! head of its key (age and delivery count kept) when it is returned or expires.

use alloc::collections::{BTreeMap, BTreeSet};

use compact_str::CompactString;

use super::config::check_lease_ms;
use super::engine::{taken_of, At, Engine, Outcome, Stamp, Taken};
use super::error::{LeaseError, TakeLeasedError};
use super::keys::Entry;
use crate::grammar::{Name, Pattern};

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

/// The lease table: by id, and by deadline for [`Engine::poll_timeout`].
pub(super) struct Leases<V> {
    pub(super) by_id: BTreeMap<u64, LeaseRec<V>>,
    pub(super) by_deadline: BTreeSet<(u64, u64)>,
    pub(super) next_id: u64,
}

impl<V> Leases<V> {
    pub(super) const fn new() -> Self {
        Leases {
            by_id: BTreeMap::new(),
            by_deadline: BTreeSet::new(),
            next_id: 1,
        }
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
        let rec = self.leases.by_id.get_mut(&id.0).ok_or(LeaseError::Lost)?;
        let deadline = now.saturating_add(ms);
        self.leases.by_deadline.remove(&(rec.deadline, id.0));
        rec.deadline = deadline;
        self.leases.by_deadline.insert((deadline, id.0));
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
        self.leases.by_deadline.first().map(|&(d, _)| d)
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
        while let Some(&(deadline, id)) = self.leases.by_deadline.first() {
            if deadline > now {
                break;
            }
            if let Ok(rec) = self.remove_lease(LeaseId(id)) {
                self.return_lease(rec);
            } else {
                self.leases.by_deadline.pop_first();
            }
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
        self.leases.by_deadline.insert((deadline, id));
        let rec = self.leases.by_id.entry(id).or_insert(LeaseRec {
            key,
            entry: Entry {
                stamp: taken.stamp.0,
                deliveries: taken.deliveries,
                value: taken.value,
            },
            deadline,
        });
        Leased {
            id: LeaseId(id),
            value: &rec.entry.value,
            stamp: Stamp(rec.entry.stamp),
            deliveries: rec.entry.deliveries,
            deadline,
        }
    }

    fn remove_lease(&mut self, id: LeaseId) -> Result<LeaseRec<V>, LeaseError> {
        let rec = self.leases.by_id.remove(&id.0).ok_or(LeaseError::Lost)?;
        self.leases.by_deadline.remove(&(rec.deadline, id.0));
        Ok(rec)
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

//! The [`Registry`] trait (where channel records live) and [`MemoryRegistry`], its in-memory
//! implementation with an expiry index.

use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::Reverse;
use core::hash::BuildHasher;
use core::time::Duration;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::channel::duration_to_ms;
use super::{Channel, ChannelError, Event, EventKind, State};
use crate::grammar::{Name, Visibility};

/// Where channel records live: the seed's `Store`, renamed so it is not confused with lindy's
/// durable [`store`](crate::store).
///
/// A registry owns the *state machine* of a channel; the [`Manager`](super::Manager) owns
/// everything around it: it validates visibility and TTLs (so a registry receives only a public
/// name in [`open_public`](Self::open_public), only a private one with a TTL within the maximum
/// in [`create_private`](Self::create_private)), reads the clock, serialises calls behind its
/// lock (hence `&mut self`), and fans the returned events out to subscribers and the bus. A
/// registry never emits anything itself: every mutating method *returns* the event(s) the
/// manager should emit.
///
/// The rules every implementation follows (a deleted record is a *tombstone*: see
/// [`MemoryRegistry`] for how long it is kept):
///
/// | call | unknown | open | closed | deleted |
/// |---|---|---|---|---|
/// | `open_public` | create, `Opened` | refresh TTL and last-active, no event | re-open, `Opened` | `CHANNEL_NOT_FOUND` |
/// | `create_private` | create, `Opened` | `CHANNEL_EXISTS` | `CHANNEL_EXISTS` | `CHANNEL_EXISTS` |
/// | `touch` | `CHANNEL_NOT_FOUND` | refresh last-active | `CHANNEL_CLOSED` | `CHANNEL_NOT_FOUND` |
/// | `delete` | `CHANNEL_NOT_FOUND` | tombstone, `Deleted` | tombstone, `Deleted` | `Ok`, no event |
/// | `set_delta` | `CHANNEL_NOT_FOUND` | set | set | `CHANNEL_NOT_FOUND` |
/// | `get` | `CHANNEL_NOT_FOUND` | snapshot | snapshot | `CHANNEL_NOT_FOUND` |
///
/// `sweep(now)` expires every open channel with `now - last_active >= ttl`: a public one becomes
/// `Closed` (event `Closed`), a private one is removed (event `Deleted`). `list` omits deleted
/// records.
///
/// A Redis-backed registry shared by several nodes fits this trait (each call one Lua script,
/// as in the seed); the events it returns are then fanned out by the node that made the call
/// and carried to the others by an [`EventBus`](super::EventBus).
///
/// ```
/// use std::time::Duration;
/// use lindy::channels::{MemoryRegistry, Registry};
/// use lindy::grammar::Name;
///
/// let mut r = MemoryRegistry::new();
/// let name = Name::parse("public:a.b")?;
/// let (_, event) = r.open_public(&name, Duration::from_millis(10), 0)?;
/// assert!(event.is_some(), "created: Opened");
/// assert_eq!(r.next_deadline(), Some(10));
/// assert_eq!(r.sweep(10).len(), 1); // Closed
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Registry {
    /// A snapshot of the channel; deleted records are reported as `CHANNEL_NOT_FOUND`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// r.open_public(&name, Duration::from_secs(1), 0)?;
    /// assert_eq!(r.get(&name)?.name, name);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn get(&self, name: &Name) -> Result<Channel, ChannelError>;

    /// Snapshots of every record that is not deleted, in no particular order.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// r.open_public(&name, Duration::from_secs(1), 0)?;
    /// assert_eq!(r.list().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn list(&self) -> Vec<Channel>;

    /// The number of records that are not deleted.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// r.open_public(&name, Duration::from_secs(1), 0)?;
    /// assert_eq!(r.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn len(&self) -> usize;

    /// Whether there are no records that are not deleted.
    ///
    /// ```
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// assert!(MemoryRegistry::new().is_empty());
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the channel exists and is [`State::Open`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// assert!(!r.is_open(&name));
    /// r.open_public(&name, Duration::from_secs(1), 0)?;
    /// assert!(r.is_open(&name));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn is_open(&self, name: &Name) -> bool;

    /// Whether the channel exists (not deleted) and has delta encoding on.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// r.open_public(&name, Duration::from_secs(1), 0)?;
    /// r.set_delta(&name, true)?;
    /// assert!(r.is_delta(&name));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn is_delta(&self, name: &Name) -> bool;

    /// Creates, refreshes or re-opens a public channel (see the table). Returns the snapshot and
    /// the event to emit, if any.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// let (channel, event) = r.open_public(&name, Duration::from_secs(1), 0)?;
    /// assert!(event.is_some());
    /// let (_, again) = r.open_public(&name, Duration::from_secs(1), 5)?;
    /// assert!(again.is_none(), "refreshing an open channel emits nothing");
    /// assert_eq!(channel.ttl_ms(), 1_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn open_public(
        &mut self,
        name: &Name,
        ttl: Duration,
        now: u64,
    ) -> Result<(Channel, Option<Event>), ChannelError>;

    /// Creates a private channel; any existing record with that name is `CHANNEL_EXISTS`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// let mut r = MemoryRegistry::new();
    /// let name = lindy::grammar::Name::parse("private:a.b.c")?;
    /// r.create_private(&name, Duration::from_secs(1), 0)?;
    /// assert_eq!(r.create_private(&name, Duration::from_secs(1), 0).unwrap_err().code(), "CHANNEL_EXISTS");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn create_private(
        &mut self,
        name: &Name,
        ttl: Duration,
        now: u64,
    ) -> Result<(Channel, Event), ChannelError>;

    /// Refreshes an open channel's last-active time.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// r.open_public(&name, Duration::from_millis(10), 0)?;
    /// r.touch(&name, 8)?;
    /// assert_eq!(r.next_deadline(), Some(18));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn touch(&mut self, name: &Name, now: u64) -> Result<(), ChannelError>;

    /// Deletes the channel; `Ok(None)` if it was already deleted.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// r.open_public(&name, Duration::from_secs(1), 0)?;
    /// assert!(r.delete(&name, 1)?.is_some());
    /// assert!(r.delete(&name, 2)?.is_none(), "already deleted");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn delete(&mut self, name: &Name, now: u64) -> Result<Option<Event>, ChannelError>;

    /// Turns delta encoding on or off (kept across close and re-open).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// assert_eq!(r.set_delta(&name, true).unwrap_err().code(), "CHANNEL_NOT_FOUND");
    /// r.open_public(&name, Duration::from_secs(1), 0)?;
    /// r.set_delta(&name, true)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn set_delta(&mut self, name: &Name, enabled: bool) -> Result<(), ChannelError>;

    /// Runs one expiry pass at `now` and returns the transitions, in expiry order.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// r.open_public(&name, Duration::from_millis(10), 0)?;
    /// assert!(r.sweep(9).is_empty());
    /// assert_eq!(r.sweep(10).len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn sweep(&mut self, now: u64) -> Vec<Event>;

    /// The earliest time (ms) at which [`sweep`](Self::sweep) has work to do, or `None` if
    /// nothing can expire. A driver sleeps until then (quinn-proto style). Takes `&mut self` so
    /// an index may tidy itself while answering.
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// assert_eq!(r.next_deadline(), None);
    /// r.open_public(&name, Duration::from_millis(10), 5)?;
    /// assert_eq!(r.next_deadline(), Some(15));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn next_deadline(&mut self) -> Option<u64>;
}

/// One record plus its expiry-index bookkeeping.
struct Entry {
    channel: Channel,
    /// The name's hash, kept so the index can grow and records be removed without hashing
    /// names again.
    hash: u64,
    ttl_ms: u64,
    /// The deadline of this record's live entry in the expiry heap, if it has one.
    queued: Option<u64>,
}

impl Entry {
    /// When the record next needs the sweeper: an open channel's expiry, or a tombstone's reap
    /// time (`last_active` of a tombstone is its deletion time). Closed channels never expire.
    /// `None` also when the deadline lies beyond `u64::MAX` ms: such a record never expires,
    /// which agrees with the rule `now - last_active >= ttl` for every `now`.
    fn deadline(&self) -> Option<u64> {
        match self.channel.state {
            State::Open | State::Deleted => self.channel.last_active.checked_add(self.ttl_ms),
            State::Closed => None,
        }
    }
}

struct Slot {
    /// Bumped every time the slot is freed, so heap entries of a previous occupant are ignored.
    generation: u32,
    entry: Option<Entry>,
}

/// The in-memory [`Registry`]: the default, and what a single node or a browser tab uses.
///
/// Records live in a slab; a `hashbrown` table maps names to slab slots (the name is stored once).
/// An **expiry index** — a min-heap of `(deadline, slot)` — makes [`sweep`](Registry::sweep) cost
/// O(expired · log n) instead of a scan of every channel, and gives
/// [`next_deadline`](Registry::next_deadline) for free. It is *lazy*: `touch` only moves a
/// channel's deadline later, so it does not touch the heap (touch stays O(1)); when a stale
/// entry surfaces, the sweep re-files it at the channel's real deadline. Entries orphaned by a
/// shortened deadline are skipped, and the heap is rebuilt when they outnumber the live ones.
///
/// **Tombstones.** A deleted record is kept as a tombstone for one TTL after its deletion: until
/// then `open_public` on the name is `CHANNEL_NOT_FOUND`, `create_private` is `CHANNEL_EXISTS`,
/// and a second `delete` is `Ok` with no event. The sweep that reaches its reap time removes it
/// silently (no event, not counted as a transition), after which the name is free again. So
/// memory stays bounded under churn. A private channel that *expires* is removed at once (its
/// `Deleted` event is the last word). Closed public channels are kept until deleted (they can
/// re-open, and keep their delta flag).
///
/// ```
/// use lindy::channels::{Manager, MemoryRegistry};
/// let manager: Manager = Manager::with_registry(MemoryRegistry::with_capacity(1_000), || 0);
/// assert!(manager.is_empty());
/// ```
pub struct MemoryRegistry {
    hasher: DefaultHashBuilder,
    /// Slot indices, hashed by the name of the record in the slot.
    index: HashTable<u32>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// `Reverse((deadline, slot, generation))`: the earliest deadline on top.
    heap: BinaryHeap<Reverse<(u64, u32, u32)>>,
    /// Records in the heap (those with `queued.is_some()`).
    queued: usize,
    /// Records that are not deleted.
    live: usize,
}

impl Default for MemoryRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for MemoryRegistry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryRegistry")
            .field("channels", &self.live)
            .field("records", &self.index.len())
            .field("heap", &self.heap.len())
            .finish()
    }
}

impl MemoryRegistry {
    /// An empty registry (allocates nothing until the first channel).
    ///
    /// ```
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// assert_eq!(MemoryRegistry::new().len(), 0);
    /// ```
    pub fn new() -> Self {
        MemoryRegistry {
            hasher: DefaultHashBuilder::default(),
            index: HashTable::new(),
            slots: Vec::new(),
            free: Vec::new(),
            heap: BinaryHeap::new(),
            queued: 0,
            live: 0,
        }
    }

    /// An empty registry with room for `n` records before it reallocates.
    ///
    /// ```
    /// let r = lindy::channels::MemoryRegistry::with_capacity(100);
    /// assert_eq!(r.records(), 0);
    /// ```
    pub fn with_capacity(n: usize) -> Self {
        let mut r = Self::new();
        r.index.reserve(n, |_| 0); // empty: the hasher is never called
        r.slots.reserve(n);
        r.heap.reserve(n);
        r
    }

    /// Records held, tombstones included (what the memory cost is proportional to).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lindy::channels::{MemoryRegistry, Registry};
    /// use lindy::grammar::Name;
    ///
    /// let mut r = MemoryRegistry::new();
    /// let name = Name::parse("public:a.b")?;
    /// r.open_public(&name, Duration::from_secs(1), 0)?;
    /// r.delete(&name, 0)?;
    /// assert_eq!((r.len(), r.records()), (0, 1)); // the tombstone still costs memory until reaped
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn records(&self) -> usize {
        self.index.len()
    }

    fn hash(&self, name: &str) -> u64 {
        self.hasher.hash_one(name)
    }

    fn find(&self, name: &str) -> Option<u32> {
        self.find_hashed(self.hash(name), name)
    }

    fn find_hashed(&self, hash: u64, name: &str) -> Option<u32> {
        let slots = &self.slots;
        self.index
            .find(hash, |&i| {
                slots[i as usize]
                    .entry
                    .as_ref()
                    .is_some_and(|e| e.hash == hash && e.channel.name.as_str() == name)
            })
            .copied()
    }

    fn entry(&self, slot: u32) -> &Entry {
        // Every index in `self.index` points at an occupied slot.
        self.slots[slot as usize]
            .entry
            .as_ref()
            .expect("index points at an empty slot")
    }

    fn entry_mut(&mut self, slot: u32) -> &mut Entry {
        self.slots[slot as usize]
            .entry
            .as_mut()
            .expect("index points at an empty slot")
    }

    fn lookup(&self, name: &Name) -> Option<&Entry> {
        self.find(name.as_str()).map(|i| self.entry(i))
    }

    /// Inserts a record whose name is not in the index; `hash` is the name's hash.
    fn insert(&mut self, hash: u64, channel: Channel, ttl_ms: u64) -> u32 {
        let entry = Entry {
            channel,
            hash,
            ttl_ms,
            queued: None,
        };
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize].entry = Some(entry);
                i
            }
            None => {
                let i = u32::try_from(self.slots.len()).expect("more than 4 billion channels");
                self.slots.push(Slot {
                    generation: 0,
                    entry: Some(entry),
                });
                i
            }
        };
        let slots = &self.slots;
        self.index.insert_unique(hash, slot, |&i| {
            slots[i as usize].entry.as_ref().map_or(0, |e| e.hash)
        });
        self.live += 1;
        self.schedule(slot);
        slot
    }

    /// Removes the record in `slot` (which must not be in the heap any more, or be stale there).
    fn remove(&mut self, slot: u32) -> Entry {
        let s = &mut self.slots[slot as usize];
        let entry = s.entry.take().expect("remove of an empty slot");
        s.generation = s.generation.wrapping_add(1);
        if let Ok(occupied) = self.index.find_entry(entry.hash, |&i| i == slot) {
            occupied.remove();
        }
        if entry.queued.is_some() {
            self.queued -= 1;
        }
        if entry.channel.state != State::Deleted {
            self.live -= 1;
        }
        self.free.push(slot);
        entry
    }

    /// Files the record in `slot` at its current deadline, unless the heap already holds an
    /// earlier (or equal) entry for it: that one will surface first and be re-filed lazily.
    fn schedule(&mut self, slot: u32) {
        let generation = self.slots[slot as usize].generation;
        let entry = self.entry_mut(slot);
        let Some(deadline) = entry.deadline() else {
            return;
        };
        match entry.queued {
            Some(q) if q <= deadline => {}
            prev => {
                entry.queued = Some(deadline);
                if prev.is_none() {
                    self.queued += 1;
                }
                self.heap.push(Reverse((deadline, slot, generation)));
                self.compact_if_needed();
            }
        }
    }

    /// The heap entry is the record's live one: returns its slot.
    fn is_live(&self, (deadline, slot, generation): (u64, u32, u32)) -> bool {
        let s = &self.slots[slot as usize];
        s.generation == generation && s.entry.as_ref().is_some_and(|e| e.queued == Some(deadline))
    }

    /// Orphaned heap entries (from shortened deadlines) are skipped when they surface; if they
    /// outnumber live ones, rebuild the heap from the records in O(n).
    fn compact_if_needed(&mut self) {
        if self.heap.len() <= 2 * self.queued + 64 {
            return;
        }
        let mut items = core::mem::take(&mut self.heap).into_vec();
        items.clear();
        for (i, s) in self.slots.iter().enumerate() {
            if let Some(q) = s.entry.as_ref().and_then(|e| e.queued) {
                items.push(Reverse((q, i as u32, s.generation)));
            }
        }
        self.heap = BinaryHeap::from(items);
    }

    /// Pops heap entries until the top is a live entry whose deadline is the record's real one
    /// (re-filing records whose deadline moved later).
    fn settle_top(&mut self) -> Option<u64> {
        while let Some(&Reverse(top)) = self.heap.peek() {
            if !self.is_live(top) {
                self.heap.pop();
                continue;
            }
            let (deadline, slot, _) = top;
            let real = self.entry(slot).deadline();
            if real == Some(deadline) {
                return Some(deadline);
            }
            self.heap.pop();
            self.unqueue(slot);
            self.schedule(slot);
        }
        None
    }

    fn unqueue(&mut self, slot: u32) {
        let e = self.entry_mut(slot);
        if e.queued.take().is_some() {
            self.queued -= 1;
        }
    }

    /// Handles one heap entry taken out by a sweep at `now` (its deadline is `<= now`).
    fn expire(&mut self, top: (u64, u32, u32), now: u64, events: &mut Vec<Event>) {
        if !self.is_live(top) {
            return; // orphaned by a shorter deadline, or a previous occupant's
        }
        let slot = top.1;
        self.unqueue(slot);
        let entry = self.entry(slot);
        if entry.deadline() != Some(top.0) {
            // Touched since it was filed (its real deadline is later): file it again, so that
            // even when it is already due it expires in deadline order.
            return self.schedule(slot);
        }
        match (entry.channel.state, entry.channel.name.visibility()) {
            (State::Open, Visibility::Public) => {
                let e = self.entry_mut(slot);
                e.channel.state = State::Closed;
                events.push(Event::new(EventKind::Closed, e.channel.name.clone(), now));
            }
            (State::Open, Visibility::Private) => {
                let e = self.remove(slot);
                events.push(Event::new(EventKind::Deleted, e.channel.name, now));
            }
            // A tombstone's time is up: the name is free again. No event.
            (State::Deleted, _) => {
                self.remove(slot);
            }
            (State::Closed, _) => {}
        }
    }
}

impl Registry for MemoryRegistry {
    fn get(&self, name: &Name) -> Result<Channel, ChannelError> {
        match self.lookup(name) {
            Some(e) if e.channel.state != State::Deleted => Ok(e.channel.clone()),
            _ => Err(ChannelError::not_found(name)),
        }
    }

    fn list(&self) -> Vec<Channel> {
        let mut out = Vec::with_capacity(self.live);
        out.extend(
            self.slots
                .iter()
                .filter_map(|s| s.entry.as_ref())
                .filter(|e| e.channel.state != State::Deleted)
                .map(|e| e.channel.clone()),
        );
        out
    }

    fn len(&self) -> usize {
        self.live
    }

    fn is_open(&self, name: &Name) -> bool {
        self.lookup(name)
            .is_some_and(|e| e.channel.state == State::Open)
    }

    fn is_delta(&self, name: &Name) -> bool {
        self.lookup(name)
            .is_some_and(|e| e.channel.state != State::Deleted && e.channel.delta)
    }

    fn open_public(
        &mut self,
        name: &Name,
        ttl: Duration,
        now: u64,
    ) -> Result<(Channel, Option<Event>), ChannelError> {
        debug_assert_eq!(name.visibility(), Visibility::Public);
        let ttl_ms = duration_to_ms(ttl);
        let hash = self.hash(name.as_str());
        let Some(slot) = self.find_hashed(hash, name.as_str()) else {
            let channel = Channel {
                name: name.clone(),
                state: State::Open,
                ttl,
                created_at: now,
                last_active: now,
                delta: false,
            };
            let snapshot = channel.clone();
            self.insert(hash, channel, ttl_ms);
            return Ok((
                snapshot,
                Some(Event::new(EventKind::Opened, name.clone(), now)),
            ));
        };
        let entry = self.entry_mut(slot);
        let event = match entry.channel.state {
            State::Deleted => return Err(ChannelError::not_found(name)),
            State::Open => None,
            State::Closed => {
                entry.channel.state = State::Open;
                Some(Event::new(EventKind::Opened, name.clone(), now))
            }
        };
        entry.channel.ttl = ttl;
        entry.ttl_ms = ttl_ms;
        // `max`: a clock that stepped back never makes a channel older than it was.
        entry.channel.last_active = entry.channel.last_active.max(now);
        let snapshot = entry.channel.clone();
        // A shorter TTL may move the deadline earlier than the filed one: file it again.
        self.schedule(slot);
        Ok((snapshot, event))
    }

    fn create_private(
        &mut self,
        name: &Name,
        ttl: Duration,
        now: u64,
    ) -> Result<(Channel, Event), ChannelError> {
        debug_assert_eq!(name.visibility(), Visibility::Private);
        let hash = self.hash(name.as_str());
        if self.find_hashed(hash, name.as_str()).is_some() {
            return Err(ChannelError::Exists {
                channel: name.clone(),
            });
        }
        let channel = Channel {
            name: name.clone(),
            state: State::Open,
            ttl,
            created_at: now,
            last_active: now,
            delta: false,
        };
        let snapshot = channel.clone();
        self.insert(hash, channel, duration_to_ms(ttl));
        Ok((snapshot, Event::new(EventKind::Opened, name.clone(), now)))
    }

    fn touch(&mut self, name: &Name, now: u64) -> Result<(), ChannelError> {
        let Some(slot) = self.find(name.as_str()) else {
            return Err(ChannelError::not_found(name));
        };
        let entry = self.entry_mut(slot);
        match entry.channel.state {
            State::Open => {
                // Only ever moves the deadline later, so the heap needs no update (lazy index).
                entry.channel.last_active = entry.channel.last_active.max(now);
                Ok(())
            }
            State::Closed => Err(ChannelError::Closed {
                channel: name.clone(),
            }),
            State::Deleted => Err(ChannelError::not_found(name)),
        }
    }

    fn delete(&mut self, name: &Name, now: u64) -> Result<Option<Event>, ChannelError> {
        let Some(slot) = self.find(name.as_str()) else {
            return Err(ChannelError::not_found(name));
        };
        let entry = self.entry_mut(slot);
        if entry.channel.state == State::Deleted {
            return Ok(None);
        }
        entry.channel.state = State::Deleted;
        entry.channel.delta = false;
        // A tombstone's `last_active` is its deletion time: it is reaped one TTL later.
        entry.channel.last_active = now;
        self.live -= 1;
        self.schedule(slot);
        Ok(Some(Event::new(EventKind::Deleted, name.clone(), now)))
    }

    fn set_delta(&mut self, name: &Name, enabled: bool) -> Result<(), ChannelError> {
        match self.find(name.as_str()) {
            Some(slot) if self.entry(slot).channel.state != State::Deleted => {
                self.entry_mut(slot).channel.delta = enabled;
                Ok(())
            }
            _ => Err(ChannelError::not_found(name)),
        }
    }

    fn sweep(&mut self, now: u64) -> Vec<Event> {
        let mut events = Vec::new();
        // Few due: pop them one by one, O(log n) each. Many due: popping costs more than one
        // linear pass over the heap, so after a budget take every due entry out at once.
        // A pop touches ~log n scattered cache lines; a pass over the heap's array is
        // sequential. Past a few hundred pops (per 100k entries) the pass is cheaper.
        let budget = 32 + self.heap.len() / 256;
        let mut popped = 0;
        while let Some(&Reverse(top)) = self.heap.peek() {
            if top.0 > now {
                return events;
            }
            if popped == budget {
                break;
            }
            self.heap.pop();
            popped += 1;
            self.expire(top, now, &mut events);
        }
        if self.heap.peek().is_some_and(|&Reverse(top)| top.0 <= now) {
            let mut rest = core::mem::take(&mut self.heap).into_vec();
            let mut batch = Vec::new();
            rest.retain(|&Reverse(e)| {
                let keep = e.0 > now;
                if !keep {
                    batch.push(e);
                }
                keep
            });
            self.heap = BinaryHeap::from(rest);
            // File every due record at its real deadline, so the batch expires in the order
            // the heap would have produced; records touched past `now` go back in the heap.
            batch.retain_mut(|top| {
                if !self.is_live(*top) {
                    return false;
                }
                let slot = top.1;
                match self.entry(slot).deadline() {
                    Some(real) if real <= now => {
                        self.entry_mut(slot).queued = Some(real);
                        top.0 = real;
                        true
                    }
                    _ => {
                        self.unqueue(slot);
                        self.schedule(slot);
                        false
                    }
                }
            });
            batch.sort_unstable();
            events.reserve(batch.len());
            for top in batch {
                self.expire(top, now, &mut events);
            }
        }
        events
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.settle_top()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;

    fn public(i: usize) -> Name {
        Name::parse(&format!("public:app.dom.c{i}")).unwrap()
    }

    #[test]
    fn touch_moves_the_deadline_without_touching_the_heap() {
        let mut r = MemoryRegistry::new();
        let n = public(1);
        r.open_public(&n, Duration::from_millis(10), 0).unwrap();
        for t in 1..100 {
            r.touch(&n, t).unwrap();
        }
        assert_eq!(r.heap.len(), 1);
        assert_eq!(r.next_deadline(), Some(109));
        assert_eq!(r.heap.len(), 1, "re-filed once, at the real deadline");
        assert!(r.sweep(108).is_empty());
        assert_eq!(r.sweep(109).len(), 1);
        assert_eq!(r.next_deadline(), None);
    }

    #[test]
    fn shorter_ttl_moves_the_deadline_earlier() {
        let mut r = MemoryRegistry::new();
        let n = public(1);
        r.open_public(&n, Duration::from_secs(100), 0).unwrap();
        r.open_public(&n, Duration::from_millis(5), 1).unwrap();
        assert_eq!(r.next_deadline(), Some(6));
        assert_eq!(r.sweep(6).len(), 1);
        // The orphaned entry at 100 s surfaces later and is skipped.
        assert!(r.sweep(200_000).is_empty());
        assert!(r.heap.is_empty());
    }

    #[test]
    fn orphaned_heap_entries_are_compacted() {
        let mut r = MemoryRegistry::new();
        let n = public(1);
        for k in 0..1000u64 {
            // Each refresh shortens the deadline: one orphan per call.
            r.open_public(&n, Duration::from_millis(1_000_000 - k), 0)
                .unwrap();
        }
        assert!(
            r.heap.len() <= 2 * r.queued + 64 + 1,
            "heap {}",
            r.heap.len()
        );
        assert_eq!(r.next_deadline(), Some(1_000_000 - 999));
    }

    #[test]
    fn a_mass_expiry_takes_the_bulk_path_and_keeps_expiry_order() {
        let mut r = MemoryRegistry::new();
        let n = 1000u64;
        // Created in a scrambled order (slot i holds channel k = 7919·i mod n); TTL k+1.
        let mut slot_of = vec![0u64; n as usize];
        for i in 0..n {
            let k = (i * 7919) % n;
            slot_of[k as usize] = i;
            r.open_public(&public(k as usize), Duration::from_millis(k + 1), 0)
                .unwrap();
        }
        // Touch the even ones so their filed deadlines are stale (real deadline 500 + k + 1).
        for k in (0..n).step_by(2) {
            r.touch(&public(k as usize), 500).unwrap();
        }
        let deadline = |k: u64| if k % 2 == 0 { 500 + k + 1 } else { k + 1 };
        let mut want: Vec<u64> = (0..n).filter(|&k| deadline(k) <= n).collect();
        want.sort_by_key(|&k| (deadline(k), slot_of[k as usize]));
        let want: Vec<Name> = want.into_iter().map(|k| public(k as usize)).collect();

        let events = r.sweep(n);
        assert!(events.len() > 32 + 1000 / 256, "the bulk path was taken");
        let got: Vec<Name> = events.iter().map(|e| e.name.clone()).collect();
        assert_eq!(got, want, "expiry order: real deadline, then creation slot");
        assert!(events
            .iter()
            .all(|e| e.kind == EventKind::Closed && e.at == n));
        assert_eq!(r.next_deadline(), Some(n + 1), "channel 500's turn is next");
    }

    #[test]
    fn slots_are_reused_and_stale_heap_entries_ignored() {
        let mut r = MemoryRegistry::new();
        let p = Name::parse("private:app.dom.x").unwrap();
        r.create_private(&p, Duration::from_millis(100), 0).unwrap();
        r.delete(&p, 1).unwrap(); // a tombstone, reaped at 101
        assert_eq!(r.records(), 1);
        assert_eq!(r.len(), 0);
        assert!(r.sweep(101).is_empty(), "reaping a tombstone is silent");
        assert_eq!(r.records(), 0);
        // The same slot, a new generation.
        r.create_private(&p, Duration::from_millis(50), 200)
            .unwrap();
        assert_eq!(r.slots.len(), 1);
        assert_eq!(r.next_deadline(), Some(250));
        let ev = r.sweep(250);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].kind, EventKind::Deleted);
        assert_eq!(r.records(), 0);
    }
}

//! The engine's waiters: one slab of records, threaded into per-key FIFO lists by index.
//!
//! A waiter is a taker (of a key or of a pattern), a reader, or a producer waiting for room. It
//! lives in the slab from registration until its driver claims the result or cancels it, and is
//! named by a [`WaiterId`] (slot index plus a generation, so a stale id never reaches a reused
//! slot). While it *waits* it is linked into one list (its key's takers or readers, or the
//! producers) in arrival order; register, hand-off and cancel are all O(1).

use alloc::vec::Vec;
use core::fmt;

use compact_str::CompactString;

use super::keys::Entry;
use crate::grammar::SubscriptionId;

pub(crate) const NIL: u32 = u32::MAX;

/// Generations wrap at 2²¹, so an id (generation above the 32-bit slot index) stays below 2⁵³:
/// exact as a JavaScript number.
const GENERATIONS: u32 = 1 << 21;

/// Names one waiter of an [`Engine`](super::Engine): a taker, a reader or a producer.
///
/// Ids are unique for the engine's life in practice: a slot's generation moves on every time it
/// is freed, so an id that was claimed or cancelled never names a later waiter (until the
/// generation wraps, after 2²¹ reuses of one slot). Ids are below 2⁵³, so they survive a trip
/// through a JavaScript number.
///
/// ```
/// use lindy::queue::{Engine, TakeOrWait};
/// let mut q: Engine<u32> = Engine::new();
/// let Ok(TakeOrWait::Waiting(id)) = q.take_or_wait("k", ()) else { unreachable!() };
/// assert!(q.is_waiting(id));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WaiterId(u64);

impl WaiterId {
    pub(crate) fn new(index: u32, generation: u32) -> Self {
        WaiterId((u64::from(generation) << 32) | u64::from(index))
    }
    pub(crate) fn index(self) -> u32 {
        self.0 as u32
    }
    pub(crate) fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
    /// The id as a number (to hand to JavaScript, or a log). Round-trips through
    /// [`from_u64`](Self::from_u64).
    ///
    /// ```
    /// use lindy::queue::WaiterId;
    /// assert_eq!(WaiterId::from_u64(9).as_u64(), 9);
    /// ```
    pub const fn as_u64(self) -> u64 {
        self.0
    }
    /// An id from [`as_u64`](Self::as_u64). A number that names no live waiter is simply
    /// unknown to the engine (every operation on it reports so).
    ///
    /// ```
    /// use lindy::queue::{Claim, Engine, WaiterId};
    /// let mut q: Engine<u32> = Engine::new();
    /// assert_eq!(q.claim(WaiterId::from_u64(42)), Claim::Unknown);
    /// ```
    pub const fn from_u64(id: u64) -> Self {
        WaiterId(id)
    }
}

impl fmt::Debug for WaiterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WaiterId({}v{})", self.index(), self.generation())
    }
}

/// A FIFO list of waiting records, threaded through the slab.
#[derive(Clone, Copy, Debug)]
pub(crate) struct List {
    pub(crate) head: u32,
    pub(crate) tail: u32,
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

impl List {
    pub(crate) const fn new() -> Self {
        List {
            head: NIL,
            tail: NIL,
        }
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }
}

/// What a waiter waits for.
pub(crate) enum Kind<V> {
    /// The head of one key.
    Take { key: CompactString, hash: u64 },
    /// The oldest entry of any key matching a pattern (its place in the pattern index).
    TakeMatching { sub: Option<SubscriptionId> },
    /// A clone of the head of one key; `clone` is `V::clone`, captured where `V: Clone` is known.
    Read {
        key: CompactString,
        hash: u64,
        clone: fn(&V) -> V,
    },
    /// Room for its value under `key`.
    Out { key: CompactString, front: bool },
}

/// Where a waiter is in its life.
pub(crate) enum State<V, W> {
    /// Linked in its list; `payload` is the driver's (a waker, a JS resolver id, …).
    Waiting { payload: W, prev: u32, next: u32 },
    /// A taker was handed this entry (from `key`, for pattern takers).
    Taken {
        entry: Entry<V>,
        key: Option<CompactString>,
    },
    /// A reader's clone.
    Read(V),
    /// A producer was let in: room is reserved for its value (`counted`), or a taker waits for
    /// it (not counted). The value goes in when the producer claims (in its own poll), so a
    /// producer dropped before that puts nothing in.
    Admitted { counted: bool },
    /// The engine closed with nothing for this taker or reader.
    Closed,
}

pub(crate) struct Busy<V, W> {
    /// Arrival order across every waiter of the engine: smaller waited longer.
    pub(crate) ticket: u64,
    pub(crate) kind: Kind<V>,
    pub(crate) state: State<V, W>,
    /// A waiting producer's value (moved out when it goes in, or handed back).
    pub(crate) value: Option<V>,
}

enum Slot<V, W> {
    Free { next_free: u32 },
    Busy(Busy<V, W>),
}

struct Rec<V, W> {
    generation: u32,
    slot: Slot<V, W>,
}

/// The slab of waiter records.
pub(crate) struct Waiters<V, W> {
    recs: Vec<Rec<V, W>>,
    free: u32,
    busy: usize,
    /// The generation new slots start at: above every generation a dropped slot had, so an id
    /// from before the slab was given back never names a later waiter.
    floor: u32,
}

impl<V, W> Waiters<V, W> {
    pub(crate) const fn new() -> Self {
        Waiters {
            recs: Vec::new(),
            free: NIL,
            busy: 0,
            floor: 0,
        }
    }

    /// Records in use (waiting, or ready and not yet claimed).
    pub(crate) fn len(&self) -> usize {
        self.busy
    }

    /// A new record, waiting but not linked anywhere yet.
    pub(crate) fn alloc(&mut self, ticket: u64, kind: Kind<V>, payload: W) -> WaiterId {
        let busy = Busy {
            ticket,
            kind,
            state: State::Waiting {
                payload,
                prev: NIL,
                next: NIL,
            },
            value: None,
        };
        self.busy += 1;
        if self.free != NIL {
            let i = self.free;
            let rec = &mut self.recs[i as usize];
            if let Slot::Free { next_free } = rec.slot {
                self.free = next_free;
            }
            rec.slot = Slot::Busy(busy);
            WaiterId::new(i, rec.generation)
        } else {
            // u32::MAX is NIL: one fewer slot than that is still four billion waiters.
            let i = u32::try_from(self.recs.len())
                .ok()
                .filter(|&i| i != NIL)
                .expect("lindy: more than 4 billion waiters");
            self.recs.push(Rec {
                generation: self.floor,
                slot: Slot::Busy(busy),
            });
            WaiterId::new(i, self.floor)
        }
    }

    /// The record `id` names, if it is live.
    pub(crate) fn get(&self, id: WaiterId) -> Option<&Busy<V, W>> {
        let rec = self.recs.get(id.index() as usize)?;
        match &rec.slot {
            Slot::Busy(b) if rec.generation == id.generation() => Some(b),
            _ => None,
        }
    }

    pub(crate) fn get_mut(&mut self, id: WaiterId) -> Option<&mut Busy<V, W>> {
        let rec = self.recs.get_mut(id.index() as usize)?;
        match &mut rec.slot {
            Slot::Busy(b) if rec.generation == id.generation() => Some(b),
            _ => None,
        }
    }

    /// The record at `index` (a list member: always busy).
    pub(crate) fn at(&self, index: u32) -> &Busy<V, W> {
        match &self.recs[index as usize].slot {
            Slot::Busy(b) => b,
            Slot::Free { .. } => unreachable!("a list links only busy records"),
        }
    }

    pub(crate) fn at_mut(&mut self, index: u32) -> &mut Busy<V, W> {
        match &mut self.recs[index as usize].slot {
            Slot::Busy(b) => b,
            Slot::Free { .. } => unreachable!("a list links only busy records"),
        }
    }

    pub(crate) fn id_of(&self, index: u32) -> WaiterId {
        WaiterId::new(index, self.recs[index as usize].generation)
    }

    /// Frees a record that is not linked (claimed, cancelled), returning it.
    pub(crate) fn free(&mut self, id: WaiterId) -> Option<Busy<V, W>> {
        self.get(id)?;
        let i = id.index();
        let rec = &mut self.recs[i as usize];
        let Slot::Busy(b) = core::mem::replace(
            &mut rec.slot,
            Slot::Free {
                next_free: self.free,
            },
        ) else {
            return None;
        };
        rec.generation = (rec.generation + 1) % GENERATIONS;
        self.free = i;
        self.busy -= 1;
        if self.busy == 0 && self.recs.len() > 64 {
            // Everyone left after a burst: give the memory back. New slots start above every
            // generation used so far, so a stale id stays stale.
            let top = self.recs.iter().map(|r| r.generation).max().unwrap_or(0);
            self.floor = (top + 1) % GENERATIONS;
            self.recs = Vec::new();
            self.free = NIL;
        }
        Some(b)
    }

    /// Links waiting record `i` at the back of `list`.
    pub(crate) fn push_back(&mut self, list: &mut List, i: u32) {
        let tail = list.tail;
        if let State::Waiting { prev, next, .. } = &mut self.at_mut(i).state {
            *prev = tail;
            *next = NIL;
        }
        match tail {
            NIL => list.head = i,
            t => self.set_next(t, i),
        }
        list.tail = i;
    }

    /// Unlinks waiting record `i` from `list`, leaving it `Waiting` with no links.
    pub(crate) fn unlink(&mut self, list: &mut List, i: u32) {
        let (p, n) = match &mut self.at_mut(i).state {
            State::Waiting { prev, next, .. } => {
                let links = (*prev, *next);
                *prev = NIL;
                *next = NIL;
                links
            }
            _ => return,
        };
        match p {
            NIL => list.head = n,
            p => self.set_next(p, n),
        }
        match n {
            NIL => list.tail = p,
            n => self.set_prev(n, p),
        }
    }

    /// Unlinks the head of `list` (which must be waiting) and moves it to `state`, returning
    /// its index and payload.
    pub(crate) fn pop_front(&mut self, list: &mut List) -> Option<u32> {
        let i = list.head;
        if i == NIL {
            return None;
        }
        self.unlink(list, i);
        Some(i)
    }

    /// Replaces a (just unlinked) waiting record's state, returning its payload.
    pub(crate) fn settle(&mut self, i: u32, state: State<V, W>) -> Option<W> {
        match core::mem::replace(&mut self.at_mut(i).state, state) {
            State::Waiting { payload, .. } => Some(payload),
            _ => None,
        }
    }

    fn set_next(&mut self, i: u32, to: u32) {
        if let State::Waiting { next, .. } = &mut self.at_mut(i).state {
            *next = to;
        }
    }

    fn set_prev(&mut self, i: u32, to: u32) {
        if let State::Waiting { prev, .. } = &mut self.at_mut(i).state {
            *prev = to;
        }
    }

    /// Iterates a list front to back.
    pub(crate) fn next_of(&self, i: u32) -> u32 {
        match &self.at(i).state {
            State::Waiting { next, .. } => *next,
            _ => NIL,
        }
    }
}

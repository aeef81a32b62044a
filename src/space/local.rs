//! [`LocalSpace`]: the in-process tuple space.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::state::State;
use super::waiters::WakeList;
use super::{Read, Take, TakeMatching};
use crate::error::Closed;
use crate::grammar::{Name, Pattern};
use crate::sync::{DefaultRawMutex, Mutex, RawMutex};

/// The in-process tuple space: a map from keys to FIFO queues of `V`, behind one lock.
///
/// * [`out`](Self::out) appends an entry under a key (Linda `out`);
/// * [`take`](Self::take) removes and returns the head entry, waiting for one (Linda `in`);
/// * [`read`](Self::read) returns a clone of the head entry without removing it (Linda `rd`);
/// * [`try_take`](Self::try_take) / [`try_read`](Self::try_read) are their non-blocking probes;
/// * [`close`](Self::close) wakes every waiter with [`Closed`] and makes `out` hand values back.
///
/// Any string is a key (the empty string too). Pattern operations
/// ([`take_matching`](Self::take_matching)) see only keys that are channel names
/// (see [`crate::grammar`]).
///
/// # Memory
/// A key exists while it holds entries or waiters. When it holds neither it leaves the table (one
/// idle key lingers until the next key goes idle, and one emptied queue is kept for reuse, so a
/// key emptied and refilled in a loop costs no allocation), and the table shrinks as keys leave:
/// a drained space holds a couple of KiB whatever it held before, and
/// [`shrink_to_fit`](Self::shrink_to_fit) frees even that. Keys up to 24 bytes are stored inline.
///
/// # Wake-ups
/// An `out` on key `K` wakes every reader waiting on `K` and exactly one taker: the oldest one
/// waiting on `K` (or, with pattern takers, the oldest among `K`'s takers and the pattern takers
/// matching `K`). Waiters on other keys are never touched.
///
/// # Locks
/// `R` picks the lock (see [`crate::sync`]): the default is a real mutex with `std`, nothing at all
/// on single-threaded wasm, a critical section on a microcontroller. With a `Sync` lock and
/// `V: Send` the space is `Send + Sync`. `new` is `const`, so a space can be a `static`:
///
/// ```
/// use lindy::space::LocalSpace;
/// static JOBS: LocalSpace<u32> = LocalSpace::new();
/// JOBS.out("jobs", 7).unwrap();
/// assert_eq!(JOBS.try_take("jobs"), Some(7));
/// ```
// Aligned to a cache line on 64-bit targets: the lock word and the state written on every
// operation then share one line (see `State`), instead of landing wherever the allocator puts them.
#[cfg_attr(target_pointer_width = "64", repr(align(64)))]
pub struct LocalSpace<V, R: RawMutex = DefaultRawMutex> {
    pub(crate) state: Mutex<R, State<V>>,
}

impl<V, R: RawMutex> LocalSpace<V, R> {
    /// An empty, open space. Allocates nothing until the first key arrives.
    pub const fn new() -> Self {
        LocalSpace {
            state: Mutex::new(State::new()),
        }
    }

    /// Appends `value` to the queue of `key` and wakes that key's readers and oldest taker.
    /// Never waits: the space is unbounded.
    ///
    /// # Errors
    /// [`Closed`] with the value handed back if the space is closed: nothing is lost silently.
    pub fn out(&self, key: &str, value: V) -> Result<(), Closed<V>> {
        let mut wakes = WakeList::new();
        let res = self.state.lock(|s| s.out(key, value, &mut wakes));
        wakes.wake_all();
        res
    }

    /// Takes the head entry of `key`, waiting until there is one (Linda `in`).
    ///
    /// An entry already present is returned on the first poll. The future borrows the space and
    /// the key: no allocation.
    ///
    /// # Errors
    /// Resolves to [`Closed`] once the space is closed, even if entries remain (use
    /// [`try_take`](Self::try_take) to drain them).
    ///
    /// # Cancel-safety
    /// Cancel-safe: the entry leaves the space only in the poll that returns it, and a future
    /// dropped after being woken hands its wake-up on to the next taker (see [`Take`]).
    pub fn take<'a>(&'a self, key: &'a str) -> Take<'a, V, R> {
        Take::new(self, key)
    }

    /// Takes the head entry of `key` if there is one; never waits. Serves entries after close
    /// too, so a closed space can be drained.
    pub fn try_take(&self, key: &str) -> Option<V> {
        self.state.lock(|s| s.try_take(key))
    }

    /// Takes the oldest entry from any key that is a channel name matching `pattern`
    /// (`public:app.jobs.*`), waiting until there is one; resolves to the key (as a [`Name`]) and
    /// the value. Keys that are not valid channel names never match.
    ///
    /// "Oldest" is by `out` order across the space (see [`TakeMatching`]). While it waits, the
    /// future is one of the takers an `out` on a matching key may wake: each `out` wakes the taker
    /// that has waited longest among the key's takers and the matching pattern takers.
    ///
    /// Polling scans the keys that hold entries: O(keys). Waiting costs nothing per key.
    ///
    /// # Errors
    /// Resolves to [`Closed`] once the space is closed.
    ///
    /// # Cancel-safety
    /// Cancel-safe: the entry leaves the space only in the poll that returns it, and a future
    /// dropped after being woken hands its wake-up on (see [`TakeMatching`]).
    pub fn take_matching<'a>(&'a self, pattern: &'a Pattern) -> TakeMatching<'a, V, R> {
        TakeMatching::new(self, pattern)
    }

    /// Takes the oldest entry from any key matching `pattern`, if there is one; never waits.
    /// Serves after close too. O(keys).
    pub fn try_take_matching(&self, pattern: &Pattern) -> Option<(Name, V)> {
        self.state.lock(|s| s.try_take_matching(pattern))
    }

    /// Entries queued under `key`.
    pub fn len(&self, key: &str) -> usize {
        self.state.lock(|s| s.len(key))
    }

    /// Entries queued across all keys. Walks the keys: O(number of keys).
    pub fn total_len(&self) -> usize {
        self.state.lock(|s| s.keys.total())
    }

    /// A snapshot of the keys holding at least one entry, in no particular order.
    pub fn keys(&self) -> Vec<String> {
        self.state.lock(|s| {
            s.keys
                .iter()
                .filter(|q| !q.entries.is_empty())
                .map(|q| String::from(q.key.as_str()))
                .collect()
        })
    }

    /// Closes the space: wakes every waiter (takers and readers of every key) with [`Closed`],
    /// and makes every later [`out`](Self::out) hand its value back. Entries stay and can be
    /// drained with [`try_take`](Self::try_take). Idempotent.
    pub fn close(&self) {
        let mut wakes = WakeList::new();
        self.state.lock(|s| s.close(&mut wakes));
        wakes.wake_all();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.state.lock(|s| s.closed)
    }

    /// Releases every byte the present keys do not need: the table's spare room, the recycled key
    /// queue, spare queue capacity. The space shrinks on its own as keys leave; this goes further,
    /// down to no allocation at all for an empty space.
    pub fn shrink_to_fit(&self) {
        self.state.lock(|s| s.keys.shrink_to_fit());
    }
}

impl<V: Clone, R: RawMutex> LocalSpace<V, R> {
    /// Reads a clone of the head entry of `key` without removing it, waiting until there is one
    /// (Linda `rd`). Several readers may read the same entry, and a taker may then take it.
    ///
    /// `V::clone` runs under the space's lock: keep it cheap (an `Arc`, a small value) and never
    /// touch the space from it.
    ///
    /// # Errors
    /// Resolves to [`Closed`] once the space is closed, even if entries remain.
    ///
    /// # Cancel-safety
    /// Cancel-safe: a read changes nothing in the space (see [`Read`]).
    pub fn read<'a>(&'a self, key: &'a str) -> Read<'a, V, R> {
        Read::new(self, key)
    }

    /// A clone of the head entry of `key`, if there is one; never waits. Serves after close too.
    pub fn try_read(&self, key: &str) -> Option<V> {
        self.state.lock(|s| s.try_read(key))
    }
}

impl<V, R: RawMutex> Default for LocalSpace<V, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V, R: RawMutex> fmt::Debug for LocalSpace<V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (keys, total, closed) = self
            .state
            .lock(|s| (s.keys.live_len(), s.keys.total(), s.closed));
        f.debug_struct("LocalSpace")
            .field("keys", &keys)
            .field("total_len", &total)
            .field("closed", &closed)
            .finish()
    }
}

#[cfg(all(feature = "std", not(loom)))]
const _: () = {
    // Thread-safe on std whenever the values may move between threads.
    const fn assert_send_sync<T: Send + Sync>() {}
    const fn check<V: Send + 'static>() {
        assert_send_sync::<LocalSpace<V>>();
        assert_send_sync::<Take<'static, V>>();
    }
    check::<alloc::boxed::Box<u8>>();
};

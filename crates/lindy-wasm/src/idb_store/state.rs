//! The store's in-memory state: every key's queue (a mirror of what is committed), the pulls
//! waiting on them, and the operations queued for the next transaction.

use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::task::Waker;

use hashbrown::HashMap;
use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use web_sys::IdbDatabase;

use super::flush::{schedule, spawn_flush};
use super::lock::StoreLock;
use super::options::IdbStoreOptions;
use crate::idb_sys::Completion;
use lindy::sync::WaitQueue;

/// A queued entry: its sequence number (the IndexedDB key) and its payload.
pub(super) struct Entry {
    pub(super) seq: f64,
    pub(super) value: Uint8Array,
    /// A pull holds this entry: its delete is queued or in flight.
    pub(super) reserved: bool,
}

/// One key's queue and the pulls waiting on it.
#[derive(Default)]
pub(super) struct KeyState {
    pub(super) entries: VecDeque<Entry>,
    /// Entries not reserved by a pull (what `len`/`peek` report and a new pull may take).
    pub(super) available: usize,
    pub(super) waiters: WaitQueue,
}

impl KeyState {
    pub(super) fn first_available(&mut self) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| !e.reserved)
    }
}

/// A promise's `resolve` and `reject`.
pub(super) struct Settle {
    pub(super) resolve: Function,
    pub(super) reject: Function,
}

pub(super) fn new_promise() -> (Promise, Settle) {
    let mut fns = None;
    let promise = Promise::new(&mut |resolve, reject| fns = Some((resolve, reject)));
    // The executor runs synchronously inside `new Promise`, so `fns` is always set.
    let (resolve, reject) = fns.unwrap_or_else(|| (Function::default(), Function::default()));
    (promise, Settle { resolve, reject })
}

pub(super) enum Op {
    Put {
        seq: f64,
        key: String,
        value: Uint8Array,
        done: Settle,
    },
    Delete {
        seq: f64,
        key: String,
        done: Rc<Completion>,
        /// Already re-queued once after failing in a transaction that also held puts.
        retried: bool,
    },
}

pub(super) struct State {
    pub(super) name: String,
    pub(super) db: Option<IdbDatabase>,
    pub(super) opts: IdbStoreOptions,
    pub(super) keys: HashMap<String, KeyState>,
    pub(super) next_seq: f64,
    pub(super) pending: Vec<Op>,
    /// A flush task is scheduled or running.
    pub(super) flushing: bool,
    /// `close` was called (or another connection asked us to go away).
    pub(super) closed: bool,
    /// Why writes fail after an unexpected close, if the browser closed the connection.
    pub(super) lost: Option<String>,
    /// `close` futures waiting for the flush task to finish.
    pub(super) idle_wakers: Vec<Waker>,
    /// Test hook: abort the next transaction after issuing its requests.
    pub(super) fail_next: bool,
    /// Transactions committed (observability and the group-commit tests).
    pub(super) commits: u64,
    /// The database's Web Lock, released once the connection is closed.
    pub(super) lock: Option<StoreLock>,
    /// Event handlers kept alive for the connection's lifetime.
    pub(super) _handlers: Vec<Closure<dyn FnMut()>>,
}

pub(super) type Shared = Rc<RefCell<State>>;

/// Marks the store closed (idempotent): every waiting pull is woken to find `CLOSED`; writes
/// already accepted are still flushed. `lost` records an unexpected close by the browser.
pub(super) fn mark_closed(state: &Shared, lost: Option<String>) {
    let mut wakers = Vec::new();
    let spawn;
    {
        let mut st = state.borrow_mut();
        if lost.is_some() && st.lost.is_none() {
            st.lost = lost;
        }
        st.closed = true;
        for ks in st.keys.values_mut() {
            while let Some(w) = ks.waiters.notify_one() {
                wakers.push(w);
            }
        }
        // With nothing to flush, close the connection now; otherwise the flush task does it.
        spawn = if st.flushing {
            false
        } else {
            st.flushing = true;
            true
        };
    }
    for w in wakers {
        w.wake();
    }
    if spawn {
        spawn_flush(state);
    }
}

/// Reserves the first available entry of `key` for a pull and queues its delete.
pub(super) fn reserve(state: &Shared, key: &str) -> Option<Rc<Completion>> {
    let mut st = state.borrow_mut();
    let done = reserve_locked(&mut st, key)?;
    let spawn = schedule(&mut st);
    drop(st);
    if spawn {
        spawn_flush(state);
    }
    Some(done)
}

pub(super) fn reserve_locked(st: &mut State, key: &str) -> Option<Rc<Completion>> {
    let ks = st.keys.get_mut(key)?;
    let entry = ks.first_available()?;
    entry.reserved = true;
    let seq = entry.seq;
    ks.available -= 1;
    let done = Rc::new(Completion::default());
    st.pending.push(Op::Delete {
        seq,
        key: String::from(key),
        done: done.clone(),
        retried: false,
    });
    Some(done)
}

pub(super) fn take_entry(st: &mut State, key: &str, seq: f64) -> Option<Uint8Array> {
    let ks = st.keys.get_mut(key)?;
    let at = ks.entries.iter().position(|e| e.seq == seq)?;
    let entry = ks.entries.remove(at)?;
    if ks.entries.is_empty() && ks.waiters.is_empty() {
        st.keys.remove(key);
    }
    Some(entry.value)
}

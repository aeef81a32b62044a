//! The store's in-memory state: every key's queue, a mirror of what is committed, held in the
//! one keyed-queue engine ([`lindy::queue::Engine`]) with the pulls waiting on it, and the
//! operations queued for the next transaction.
//!
//! Every removal goes through a lease: a pull leases the head entry (for the engine's longest
//! lease, so it cannot expire while its delete is in flight), queues the delete, and acks the
//! lease once the delete has committed — or nacks it if the transaction failed, which puts the
//! entry back at the head of its key with its age. A user's `pullLeased` leases it the same way
//! but writes nothing until `ack`: a tab that dies holding a lease leaves the entry in IndexedDB,
//! so it is back in the queue after the next open (at-least-once).

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::task::Waker;

use hashbrown::HashMap;
use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::IdbDatabase;

use super::flush::{schedule, spawn_flush};
use super::lock::StoreLock;
use super::options::IdbStoreOptions;
use crate::idb_sys::Completion;
use lindy::queue::{Engine, LeaseId, Taken, MAX_LEASE_MS};

/// A committed entry: its sequence number (the IndexedDB key) and its payload (a JS
/// `Uint8Array`, kept out of wasm memory, which never shrinks).
#[derive(Clone)]
pub(super) struct Record {
    pub(super) seq: f64,
    pub(super) value: Uint8Array,
}

/// The engine of a store: records by key, waiters named by their index in [`State::wakers`].
pub(super) type Queue = Engine<Record, u32>;

/// A user lease (`pullLeased`): what `ack` must delete.
pub(super) struct UserLease {
    pub(super) seq: f64,
    /// Mirrors the engine's deadline: the engine expires exactly the leases with
    /// `deadline <= now`, so the same rule forgets them here.
    pub(super) deadline: u64,
}

/// A promise's `resolve` and `reject`.
pub(super) struct Settle {
    pub(super) resolve: Function,
    pub(super) reject: Function,
}

pub(super) fn new_promise() -> (Promise, Settle) {
    let mut fns = None;
    let promise = Promise::new(&mut |resolve, reject| fns = Some((resolve, reject)));
    // The executor runs synchronously inside `new Promise`, so `fns` is always set. (Not
    // `Function::default()`: that is `new Function("")`, js-sys's `unsafe-eval`, which a strict
    // CSP forbids; `undefined` would only make a call `Err`, never trap.)
    let (resolve, reject) = fns.unwrap_or_else(|| {
        let none = || JsValue::UNDEFINED.unchecked_into::<Function>();
        (none(), none())
    });
    (promise, Settle { resolve, reject })
}

pub(super) enum Op {
    Put {
        seq: f64,
        key: String,
        value: Uint8Array,
        done: Settle,
    },
    /// The tombstone of a leased entry: on commit the lease is acked and `done` completes with
    /// `value` (a pull's payload, or `undefined` for an `ack`); on failure the lease is nacked
    /// (back to the head, age kept) and `done` fails.
    Delete {
        seq: f64,
        lease: LeaseId,
        value: wasm_bindgen::JsValue,
        done: Rc<Completion>,
        /// Already re-queued once after failing in a transaction that also held puts.
        retried: bool,
    },
}

/// A store's state, shared by its handle, its futures and its flush task.
pub(super) struct State {
    pub(super) name: String,
    pub(super) db: Option<IdbDatabase>,
    pub(super) opts: IdbStoreOptions,
    pub(super) queue: Queue,
    /// Waiting pulls' wakers, by the slot the engine knows them by.
    pub(super) wakers: Vec<Option<Waker>>,
    pub(super) free_wakers: Vec<u32>,
    /// The leases `pullLeased` handed out (internal ones — a pull's delete in flight — are not
    /// here): lease id → what `ack` deletes.
    pub(super) user_leases: HashMap<u64, UserLease>,
    /// The timer armed for the engine's next lease deadline: `(deadline, timer id)`.
    pub(super) lease_timer: Option<(u64, wasm_bindgen::JsValue)>,
    pub(super) next_seq: f64,
    /// Pushes accepted and not yet committed (or failed): with the engine's queued and leased
    /// entries, what `maxEntries` bounds.
    pub(super) puts_in_flight: usize,
    /// Payload bytes held: queued, leased and being written (what `maxBytes` bounds).
    pub(super) held_bytes: f64,
    pub(super) pending: Vec<Op>,
    /// A flush task is scheduled or running.
    pub(super) flushing: bool,
    /// `close` was called (or another connection asked us to go away).
    pub(super) closed: bool,
    /// `seal` (or `close`) was called: pushes are refused, pulls drain what is queued, then
    /// fail with `CLOSED` (the one close rule); the connection stays open until `close`.
    pub(super) sealed: bool,
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
    let wakers;
    let spawn;
    {
        let mut st = state.borrow_mut();
        if lost.is_some() && st.lost.is_none() {
            st.lost = lost;
        }
        st.closed = true;
        st.sealed = true;
        // Every waiting pull wakes and finds the store closed (its drop cancels its waiter).
        // The engine itself stays open: pushes accepted before the close still commit and show
        // in `len`/`peek`, which answer after close.
        wakers = st.wakers.iter_mut().filter_map(Option::take).collect();
        // With nothing to flush, close the connection now; otherwise the flush task does it.
        spawn = schedule(&mut st);
    }
    wake_all(wakers);
    if spawn {
        spawn_flush(state);
    }
}

pub(super) fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

impl State {
    /// The wakers of every waiter the engine made ready (they claim when polled).
    pub(super) fn ready_wakers(&mut self) -> Vec<Waker> {
        let mut out = Vec::new();
        while let Some((_, slot)) = self.queue.take_ready() {
            if let Some(w) = self.wakers.get_mut(slot as usize).and_then(Option::take) {
                out.push(w);
            }
        }
        out
    }

    /// A slot for a waiting pull's waker.
    pub(super) fn waker_slot(&mut self) -> u32 {
        match self.free_wakers.pop() {
            Some(slot) => slot,
            None => {
                self.wakers.push(None);
                (self.wakers.len() - 1) as u32
            }
        }
    }

    pub(super) fn free_waker_slot(&mut self, slot: u32) {
        if let Some(w) = self.wakers.get_mut(slot as usize) {
            *w = None;
            self.free_wakers.push(slot);
        }
    }

    /// Leases `taken` (just taken from `key`) for a pull and queues its delete; `done` completes
    /// with the payload once the delete has committed.
    pub(super) fn queue_pull(&mut self, key: &str, taken: Taken<Record>) -> Rc<Completion> {
        let done = Rc::new(Completion::default());
        match self.queue.lease(key, taken, Some(MAX_LEASE_MS), now_ms()) {
            Ok(leased) => {
                let (lease, record) = (leased.id, leased.value.clone());
                self.pending.push(Op::Delete {
                    seq: record.seq,
                    lease,
                    value: record.value.into(),
                    done: done.clone(),
                    retried: false,
                });
            }
            // MAX_LEASE_MS is always a valid length: not reached, and nothing is lost.
            Err((e, taken)) => {
                let _ = self.queue.put_back(key, taken);
                done.complete(Err(crate::js::from_code(&e)));
            }
        }
        done
    }

    /// Takes the head of `key` for a pull (delete queued), if there is one.
    pub(super) fn pull_now(&mut self, key: &str) -> Option<Rc<Completion>> {
        let taken = self.queue.try_take(key).ok()?;
        Some(self.queue_pull(key, taken))
    }
}

/// Leases `taken` for a pull, queues its delete and schedules the flush.
pub(super) fn queue_pull(state: &Shared, key: &str, taken: Taken<Record>) -> Rc<Completion> {
    let mut st = state.borrow_mut();
    let done = st.queue_pull(key, taken);
    let spawn = schedule(&mut st);
    drop(st);
    if spawn {
        spawn_flush(state);
    }
    done
}

/// Seals the store (idempotent): pushes are refused from now on; waiting pulls wake, and those
/// with nothing queued for them end with `CLOSED`; pulls drain what is queued.
pub(super) fn seal(state: &Shared) {
    let wakers: Vec<Waker> = {
        let mut st = state.borrow_mut();
        st.sealed = true;
        st.wakers.iter_mut().filter_map(Option::take).collect()
    };
    wake_all(wakers);
}

/// Takes the head of `key` for a pull and schedules the flush.
pub(super) fn pull_now(state: &Shared, key: &str) -> Option<Rc<Completion>> {
    let mut st = state.borrow_mut();
    let done = st.pull_now(key)?;
    let spawn = schedule(&mut st);
    drop(st);
    if spawn {
        spawn_flush(state);
    }
    Some(done)
}

pub(super) fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

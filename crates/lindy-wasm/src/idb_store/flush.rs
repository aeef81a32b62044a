//! Group commit: the flush task that turns everything queued since the last transaction into one
//! readwrite transaction, and applies its outcome to memory.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::task::Waker;

use js_sys::Function;
use wasm_bindgen::JsValue;

use super::closed_error;
use super::state::{take_entry, Entry, Op, Shared, State};
use super::txn::run_transaction;
use crate::idb_sys::Completion;
use crate::{codes, js};

/// Whether a flush task must be spawned (none scheduled or running).
pub(super) fn schedule(st: &mut State) -> bool {
    if st.flushing {
        false
    } else {
        st.flushing = true;
        true
    }
}

pub(super) fn spawn_flush(state: &Shared) {
    let state = state.clone();
    wasm_bindgen_futures::spawn_local(flush(state));
}

/// The flush task: one write transaction at a time, each holding everything queued since the
/// previous one started. Ends (and closes the connection if the store is closed) when idle.
pub(super) async fn flush(state: Shared) {
    loop {
        let (ops, db, durability, fail) = {
            let mut st = state.borrow_mut();
            if st.pending.is_empty() {
                st.flushing = false;
                if st.closed {
                    if let Some(db) = st.db.take() {
                        db.close();
                    }
                    // The connection is closed and nothing is in flight: the next `open` may go.
                    if let Some(mut lock) = st.lock.take() {
                        lock.release();
                    }
                }
                let wakers = core::mem::take(&mut st.idle_wakers);
                drop(st);
                for w in wakers {
                    w.wake();
                }
                return;
            }
            let ops = core::mem::take(&mut st.pending);
            let fail = core::mem::replace(&mut st.fail_next, false);
            (ops, st.db.clone(), st.opts.durability, fail)
        };
        let outcome = match db {
            Some(db) => run_transaction(&db, &ops, durability, fail).await,
            None => Err(closed_error(&state.borrow())),
        };
        finish(&state, ops, outcome);
    }
}

/// Applies a transaction's outcome to memory and settles its operations.
pub(super) fn finish(state: &Shared, ops: Vec<Op>, outcome: Result<(), JsValue>) {
    let mut wakers: Vec<Waker> = Vec::new();
    let mut settled: Vec<(Function, JsValue)> = Vec::new();
    let mut completions: Vec<(Rc<Completion>, Result<JsValue, JsValue>)> = Vec::new();
    {
        let mut st = state.borrow_mut();
        let had_puts = ops.iter().any(|op| matches!(op, Op::Put { .. }));
        if outcome.is_ok() {
            st.commits += 1;
        }
        for op in ops {
            match (op, &outcome) {
                (
                    Op::Put {
                        key,
                        seq,
                        value,
                        done,
                    },
                    Ok(()),
                ) => {
                    let ks = st.keys.entry(key).or_default();
                    ks.entries.push_back(Entry {
                        seq,
                        value,
                        reserved: false,
                    });
                    ks.available += 1;
                    if let Some(w) = ks.waiters.notify_one() {
                        wakers.push(w);
                    }
                    settled.push((done.resolve, JsValue::UNDEFINED));
                }
                (Op::Put { done, .. }, Err(e)) => settled.push((done.reject, e.clone())),
                (Op::Delete { key, seq, done, .. }, Ok(())) => {
                    let value = take_entry(&mut st, &key, seq);
                    completions.push((
                        done,
                        value.map(JsValue::from).ok_or_else(|| {
                            js::lindy_error(
                                codes::IO,
                                "IdbStore: a pulled entry vanished from memory",
                            )
                        }),
                    ));
                }
                // A delete that only failed alongside puts (a quota error is the puts' doing)
                // gets one more try in a transaction of its own.
                (
                    Op::Delete {
                        key,
                        seq,
                        done,
                        retried: false,
                    },
                    Err(_),
                ) if had_puts && st.db.is_some() => {
                    st.pending.push(Op::Delete {
                        key,
                        seq,
                        done,
                        retried: true,
                    });
                }
                (Op::Delete { key, seq, done, .. }, Err(e)) => {
                    // The entry stays (the delete did not happen): hand it back to the queue.
                    if let Some(ks) = st.keys.get_mut(&key) {
                        if let Some(entry) = ks.entries.iter_mut().find(|en| en.seq == seq) {
                            entry.reserved = false;
                            ks.available += 1;
                            if let Some(w) = ks.waiters.notify_one() {
                                wakers.push(w);
                            }
                        }
                    }
                    completions.push((done, Err(e.clone())));
                }
            }
        }
    }
    for (f, v) in settled {
        js::settle(&f, &v);
    }
    for (c, r) in completions {
        c.complete(r);
    }
    for w in wakers {
        w.wake();
    }
}

//! Group commit: the flush task that turns everything queued since the last transaction into one
//! readwrite transaction, and applies its outcome to memory.

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::task::Waker;

use js_sys::Function;
use wasm_bindgen::JsValue;

use super::closed_error;
use super::state::{wake_all, Op, Record, Shared, State};
use super::txn::run_transaction;
use crate::idb_sys::Completion;
use crate::js;

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
    let wakers: Vec<Waker>;
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
                    // Committed: now it may be taken (handed straight to a waiting pull, if any).
                    // A closed store's engine refuses it; it is on disk and comes back on reopen.
                    st.puts_in_flight -= 1;
                    let _ = st.queue.try_push(&key, Record { seq, value });
                    settled.push((done.resolve, JsValue::UNDEFINED));
                }
                (Op::Put { value, done, .. }, Err(e)) => {
                    st.puts_in_flight -= 1;
                    st.held_bytes -= f64::from(value.length());
                    settled.push((done.reject, e.clone()));
                }
                (
                    Op::Delete {
                        lease, value, done, ..
                    },
                    Ok(()),
                ) => {
                    // The tombstone is on disk: the entry leaves the engine for good.
                    if let Ok(gone) = st.queue.ack(lease) {
                        st.held_bytes -= f64::from(gone.value.value.length());
                    }
                    completions.push((done, Ok(value)));
                }
                // A delete that only failed alongside puts (a quota error is the puts' doing)
                // gets one more try in a transaction of its own.
                (
                    Op::Delete {
                        seq,
                        lease,
                        value,
                        done,
                        retried: false,
                    },
                    Err(_),
                ) if had_puts && st.db.is_some() => {
                    st.pending.push(Op::Delete {
                        seq,
                        lease,
                        value,
                        done,
                        retried: true,
                    });
                }
                (Op::Delete { lease, done, .. }, Err(e)) => {
                    // The delete did not happen: the entry goes back to the head of its key, age
                    // kept (and to whoever waits for it).
                    let _ = st.queue.nack(lease);
                    completions.push((done, Err(e.clone())));
                }
            }
        }
        wakers = st.ready_wakers();
    }
    for (f, v) in settled {
        js::settle(&f, &v);
    }
    for (c, r) in completions {
        c.complete(r);
    }
    wake_all(wakers);
}

//! The futures behind `pull` and `close`: waiting for an entry (cancellable), waiting for the
//! entry's delete to commit (not cancellable), waiting for the flush task to go idle.

use alloc::rc::Rc;
use alloc::string::String;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use wasm_bindgen::JsValue;

use super::closed_error;
use super::flush::{schedule, spawn_flush};
use super::state::{reserve_locked, Shared};
use crate::idb_sys::Completion;
use lindy::sync::WaiterSlot;

/// Waits until an entry of `key` can be reserved (the cancellable phase of `pull`).
pub(super) struct Reserve {
    pub(super) state: Shared,
    pub(super) key: String,
    pub(super) slot: WaiterSlot,
}

impl Future for Reserve {
    type Output = Result<Ticket, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut st = this.state.borrow_mut();
        if st.closed {
            if let Some(ks) = st.keys.get_mut(&this.key) {
                ks.waiters.remove(&mut this.slot);
            }
            return Poll::Ready(Err(closed_error(&st)));
        }
        if let Some(done) = reserve_locked(&mut st, &this.key) {
            if let Some(ks) = st.keys.get_mut(&this.key) {
                ks.waiters.remove(&mut this.slot);
            }
            let spawn = schedule(&mut st);
            drop(st);
            if spawn {
                spawn_flush(&this.state);
            }
            return Poll::Ready(Ok(Ticket(done)));
        }
        let ks = st.keys.entry(this.key.clone()).or_default();
        ks.waiters.register(&mut this.slot, cx.waker());
        Poll::Pending
    }
}

impl Drop for Reserve {
    fn drop(&mut self) {
        if !self.slot.is_registered() {
            return;
        }
        let waker = {
            let mut st = self.state.borrow_mut();
            let Some(ks) = st.keys.get_mut(&self.key) else {
                return;
            };
            // Hand-on: a pull woken for an entry and then cancelled passes the wake-up on.
            let notified = ks.waiters.remove(&mut self.slot);
            let waker = if notified && ks.available > 0 {
                ks.waiters.notify_one()
            } else {
                None
            };
            if ks.entries.is_empty() && ks.waiters.is_empty() {
                st.keys.remove(&self.key);
            }
            waker
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The pull's second phase: an entry is reserved and its delete queued; resolves with the payload
/// once the delete commits. Not cancellable (the entry is already on its way out).
pub(super) struct Ticket(pub(super) Rc<Completion>);

impl Future for Ticket {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_take(cx.waker())
    }
}

/// Resolves once the flush task is idle (nothing queued or in flight).
pub(super) struct Idle(pub(super) Shared);

impl Future for Idle {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.0.borrow_mut();
        if !st.flushing {
            return Poll::Ready(());
        }
        st.idle_wakers.push(cx.waker().clone());
        Poll::Pending
    }
}

//! The futures behind `pull` and `close`: waiting for an entry (cancellable), waiting for the
//! entry's delete to commit (not cancellable), waiting for the flush task to go idle.

use alloc::rc::Rc;
use alloc::string::String;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use wasm_bindgen::JsValue;

use super::closed_error;
use super::state::{wake_all, Record, Shared};
use crate::idb_sys::Completion;
use lindy::queue::{Claim, TakeOrWait, Taken, WaiterId};

/// Waits until the head entry of `key` can be taken (the cancellable phase of `pull`): a waiter
/// of the store's engine, served in arrival order.
pub(super) struct Reserve {
    pub(super) state: Shared,
    pub(super) key: String,
    /// The engine's waiter and its waker slot, once it waits.
    pub(super) waiting: Option<(WaiterId, u32)>,
}

impl Reserve {
    pub(super) fn new(state: Shared, key: String) -> Self {
        Reserve {
            state,
            key,
            waiting: None,
        }
    }
}

impl Future for Reserve {
    /// The entry, taken: the caller leases it in the same poll (nothing can run in between).
    type Output = Result<Taken<Record>, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut st = this.state.borrow_mut();
        if st.closed {
            // (A waiter already handed an entry gives it back when dropped: nothing is lost.)
            return Poll::Ready(Err(closed_error(&st)));
        }
        let taken = match this.waiting {
            // Sealed: drain what is queued, wait for nothing.
            None if st.sealed => match st.queue.try_take(&this.key) {
                Ok(t) => t,
                Err(_) => return Poll::Ready(Err(closed_error(&st))),
            },
            None => {
                let slot = st.waker_slot();
                match st.queue.take_or_wait(&this.key, slot) {
                    Ok(TakeOrWait::Taken(t)) => {
                        st.free_waker_slot(slot);
                        t
                    }
                    Ok(TakeOrWait::Waiting(id)) => {
                        st.wakers[slot as usize] = Some(cx.waker().clone());
                        this.waiting = Some((id, slot));
                        return Poll::Pending;
                    }
                    Err(_) => {
                        st.free_waker_slot(slot);
                        return Poll::Ready(Err(closed_error(&st)));
                    }
                }
            }
            Some((id, slot)) => match st.queue.claim(id) {
                // Sealed while waiting: nothing was queued for it (or it would have it). Its
                // drop cancels the waiter.
                Claim::Pending if st.sealed => return Poll::Ready(Err(closed_error(&st))),
                Claim::Pending => {
                    st.wakers[slot as usize] = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                Claim::Taken(t) => {
                    this.waiting = None;
                    st.free_waker_slot(slot);
                    t
                }
                _ => {
                    this.waiting = None;
                    st.free_waker_slot(slot);
                    return Poll::Ready(Err(closed_error(&st)));
                }
            },
        };
        Poll::Ready(Ok(taken))
    }
}

impl Drop for Reserve {
    fn drop(&mut self) {
        let Some((id, slot)) = self.waiting.take() else {
            return;
        };
        let wakers = {
            let mut st = self.state.borrow_mut();
            // Cancel-safe: a waiter already handed an entry gives it back to the head of its key
            // (age kept), which hands it on to the next waiting pull.
            let _ = st.queue.cancel(id);
            st.free_waker_slot(slot);
            st.ready_wakers()
        };
        wake_all(wakers);
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

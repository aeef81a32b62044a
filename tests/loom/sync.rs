//! The hand-on protocol of `WaitQueue` under every interleaving: a one-slot mailbox built from the
//! public `Mutex` + `WaitQueue` exactly as lindy's primitives build on them.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use lindy::sync::{Mutex, StdRawMutex, WaitQueue, WaiterSlot};
use loom::sync::Arc;

#[derive(Default)]
struct State {
    items: Vec<u32>,
    takers: WaitQueue,
}

struct Mailbox(Mutex<StdRawMutex, State>);

impl Mailbox {
    fn put(&self, v: u32) {
        let w = self.0.lock(|s| {
            s.items.push(v);
            s.takers.notify_one()
        });
        if let Some(w) = w {
            w.wake();
        }
    }
    fn take(&self) -> Take<'_> {
        Take {
            mb: self,
            slot: WaiterSlot::new(),
        }
    }
}

struct Take<'a> {
    mb: &'a Mailbox,
    slot: WaiterSlot,
}

impl Future for Take<'_> {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        let this = self.get_mut();
        this.mb.0.lock(|s| {
            if let Some(v) = s.items.pop() {
                s.takers.remove(&mut this.slot);
                Poll::Ready(v)
            } else {
                s.takers.register(&mut this.slot, cx.waker());
                Poll::Pending
            }
        })
    }
}

impl Drop for Take<'_> {
    fn drop(&mut self) {
        let w = self.mb.0.lock(|s| {
            let owed = s.takers.remove(&mut self.slot);
            if owed && !s.items.is_empty() {
                s.takers.notify_one()
            } else {
                None
            }
        });
        if let Some(w) = w {
            w.wake();
        }
    }
}

/// Two takers, two puts from two threads: both takers complete (no lost wake-up).
#[test]
fn two_takers_two_putters_all_complete() {
    loom::model(|| {
        let mb = Arc::new(Mailbox(Mutex::new(State::default())));
        let a = {
            let mb = mb.clone();
            loom::thread::spawn(move || loom::future::block_on(mb.take()))
        };
        let p = {
            let mb = mb.clone();
            loom::thread::spawn(move || mb.put(1))
        };
        mb.put(2);
        let mine = loom::future::block_on(mb.take());
        let theirs = a.join().unwrap();
        p.join().unwrap();
        let mut got = [mine, theirs];
        got.sort();
        assert_eq!(got, [1, 2]);
    });
}

/// A taker that is woken and then dropped (cancelled) passes its wake-up on: the other taker
/// still gets the item.
#[test]
fn cancelled_woken_taker_hands_the_wake_up_on() {
    loom::model(|| {
        let mb = Arc::new(Mailbox(Mutex::new(State::default())));
        // The first taker registers, then is dropped at an arbitrary point relative to the put.
        let cancelled = {
            let mb = mb.clone();
            loom::thread::spawn(move || {
                let mut fut = Box::pin(mb.take());
                let waker = futures_noop_waker();
                let mut cx = Context::from_waker(&waker);
                match fut.as_mut().poll(&mut cx) {
                    Poll::Ready(v) => Some(v),
                    Poll::Pending => {
                        loom::thread::yield_now();
                        None // dropped here, possibly after being notified
                    }
                }
            })
        };
        let putter = {
            let mb = mb.clone();
            loom::thread::spawn(move || mb.put(7))
        };
        let got_by_cancelled = cancelled.join().unwrap();
        putter.join().unwrap();
        match got_by_cancelled {
            Some(v) => assert_eq!(v, 7),
            None => assert_eq!(loom::future::block_on(mb.take()), 7),
        }
    });
}

fn futures_noop_waker() -> std::task::Waker {
    std::task::Waker::noop().clone()
}

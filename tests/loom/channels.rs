//! Channel subscriptions under every interleaving: fan-out from one thread against `recv`,
//! a cancelled `recv`, and an unsubscribe on others.

use std::future::Future;
use std::task::{Context, Poll};

use lindy::channels::{EventKind, Manager};
use lindy::grammar::Name;
use loom::sync::Arc;

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

/// A subscriber blocked in `recv` is woken by a transition made on another thread: no lost
/// wake-up, whatever the interleaving of register and fan-out.
#[test]
fn recv_is_woken_by_a_transition_on_another_thread() {
    loom::model(|| {
        let manager = Arc::new(Manager::with_clock(|| 1));
        let mut sub = manager.subscribe(2);
        let producer = {
            let manager = manager.clone();
            loom::thread::spawn(move || {
                manager.open_public(&name("public:a.b"), None).unwrap();
            })
        };
        let event = loom::future::block_on(sub.recv()).unwrap();
        assert_eq!(event.kind, EventKind::Opened);
        producer.join().unwrap();
    });
}

/// A `recv` polled once and dropped at any point relative to a concurrent transition loses
/// nothing: the event is received afterwards (cancel-safety).
#[test]
fn a_cancelled_recv_loses_no_event() {
    loom::model(|| {
        let manager = Arc::new(Manager::with_clock(|| 1));
        let mut sub = manager.subscribe(2);
        let producer = {
            let manager = manager.clone();
            loom::thread::spawn(move || {
                manager.open_public(&name("public:a.b"), None).unwrap();
            })
        };
        let got_early = {
            let mut fut = Box::pin(sub.recv());
            let waker = std::task::Waker::noop().clone();
            match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                Poll::Ready(e) => Some(e.unwrap()),
                Poll::Pending => {
                    loom::thread::yield_now();
                    None // dropped here, maybe after being woken
                }
            }
        };
        producer.join().unwrap();
        let event = match got_early {
            Some(e) => e,
            None => loom::future::block_on(sub.recv()).unwrap(),
        };
        assert_eq!(event.kind, EventKind::Opened);
        assert!(sub.try_recv().is_err(), "delivered exactly once");
    });
}

/// A subscriber dropping (unsubscribing) while a transition fans out does not disturb the
/// others, and a full queue counts instead of blocking.
#[test]
fn unsubscribe_during_fan_out() {
    loom::model(|| {
        let manager = Arc::new(Manager::with_clock(|| 1));
        let mut keeper = manager.subscribe(1);
        let leaver = manager.subscribe(1);
        let producer = {
            let manager = manager.clone();
            loom::thread::spawn(move || {
                manager.open_public(&name("public:a.b"), None).unwrap();
                manager.open_public(&name("public:a.c"), None).unwrap();
            })
        };
        drop(leaver);
        producer.join().unwrap();
        assert_eq!(keeper.try_recv().unwrap().name, name("public:a.b"));
        assert_eq!(keeper.missed(), 1);
        assert_eq!(manager.subscribers(), 1);
    });
}

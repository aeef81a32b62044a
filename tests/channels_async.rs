//! Subscriptions as futures and streams under futures-executor and tokio; cancel-safety of
//! `recv`; the std sweeper thread.

use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use futures::StreamExt;
use lindy::channels::{EventKind, Manager};
use lindy::grammar::Name;

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counting_waker() -> (Arc<CountingWaker>, Waker) {
    let c = Arc::new(CountingWaker(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

#[test]
fn recv_waits_for_an_event_from_another_thread_futures_executor() {
    let manager = Arc::new(Manager::with_clock(|| 7));
    let mut sub = manager.subscribe(4);
    let producer = {
        let manager = manager.clone();
        std::thread::spawn(move || {
            manager.open_public(&name("public:a.b"), None).unwrap();
        })
    };
    let event = futures::executor::block_on(sub.recv()).unwrap();
    producer.join().unwrap();
    assert_eq!((event.kind, event.at), (EventKind::Opened, 7));
}

#[test]
fn subscription_is_a_stream_that_ends_with_the_manager() {
    let manager = Manager::with_clock(|| 0);
    let sub = manager.subscribe(8);
    for i in 0..3 {
        manager
            .open_public(&name(&format!("public:a.c{i}")), None)
            .unwrap();
    }
    drop(manager);
    let names: Vec<String> = futures::executor::block_on(sub.map(|e| e.name.to_string()).collect());
    assert_eq!(names, ["public:a.c0", "public:a.c1", "public:a.c2"]);
}

#[test]
fn stream_is_fused_after_the_end() {
    use futures::stream::FusedStream;
    let manager = Manager::with_clock(|| 0);
    let mut sub = manager.subscribe(1);
    manager.open_public(&name("public:a.b"), None).unwrap();
    assert!(!sub.is_terminated());
    drop(manager);
    assert!(!sub.is_terminated(), "an event is still queued");
    assert!(futures::executor::block_on(sub.next()).is_some());
    assert!(sub.is_terminated());
    assert!(futures::executor::block_on(sub.next()).is_none());
}

/// A `recv` that was woken and then dropped before it could take the event loses nothing: the
/// event is still queued for the next `recv`.
#[test]
fn recv_is_cancel_safe_after_being_woken_futures_executor() {
    let manager = Manager::with_clock(|| 0);
    let mut sub = manager.subscribe(4);
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut fut = Box::pin(sub.recv());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        manager.open_public(&name("public:a.b"), None).unwrap();
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            1,
            "the waiting recv was woken"
        );
        // Dropped here without being polled again.
    }
    assert_eq!(sub.len(), 1);
    let event = futures::executor::block_on(sub.recv()).unwrap();
    assert_eq!(event.name, name("public:a.b"));
}

#[test]
fn recv_dropped_before_an_event_arrives_leaves_no_waiter_behind() {
    let manager = Manager::with_clock(|| 0);
    let mut sub = manager.subscribe(4);
    let (count, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    {
        let mut fut = Box::pin(sub.recv());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    }
    manager.open_public(&name("public:a.b"), None).unwrap();
    assert_eq!(
        count.0.load(Ordering::SeqCst),
        0,
        "a cancelled recv is not woken"
    );
    assert!(sub.try_recv().is_ok());
}

#[test]
fn a_re_polled_recv_keeps_only_the_latest_waker() {
    let manager = Manager::with_clock(|| 0);
    let mut sub = manager.subscribe(4);
    let (old, old_waker) = counting_waker();
    let (new, new_waker) = counting_waker();
    let mut fut = Box::pin(sub.recv());
    assert!(fut
        .as_mut()
        .poll(&mut Context::from_waker(&old_waker))
        .is_pending());
    assert!(fut
        .as_mut()
        .poll(&mut Context::from_waker(&new_waker))
        .is_pending());
    manager.open_public(&name("public:a.b"), None).unwrap();
    assert_eq!(old.0.load(Ordering::SeqCst), 0);
    assert_eq!(new.0.load(Ordering::SeqCst), 1);
    match fut.as_mut().poll(&mut Context::from_waker(&new_waker)) {
        Poll::Ready(Ok(e)) => assert_eq!(e.kind, EventKind::Opened),
        other => panic!("expected the event, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recv_under_tokio_multi_thread() {
    let manager = Arc::new(Manager::with_clock(|| 3));
    let mut sub = manager.subscribe(64);
    let producer = {
        let manager = manager.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                manager
                    .open_public(&name(&format!("public:a.c{i}")), None)
                    .unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    let mut got = Vec::new();
    while got.len() < 20 {
        let event = tokio::time::timeout(Duration::from_secs(30), sub.recv())
            .await
            .expect("events arrive")
            .unwrap();
        got.push(event.name.to_string());
    }
    producer.await.unwrap();
    let want: Vec<String> = (0..20).map(|i| format!("public:a.c{i}")).collect();
    assert_eq!(got, want, "in order");
    assert_eq!(sub.missed(), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn recv_is_cancel_safe_under_tokio_select() {
    let manager = Manager::with_clock(|| 0);
    let mut sub = manager.subscribe(4);
    // The recv branch is polled (and registers), then loses the select to a ready branch after
    // the event was published and its waker fired: the recv future is dropped, woken.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut tx = Some(tx);
    let mut rx = rx;
    let mut step = 0;
    loop {
        tokio::select! {
            biased;
            _ = &mut rx => break,
            e = sub.recv() => panic!("recv should have been cancelled, got {e:?}"),
            _ = async {
                step += 1;
                if step == 1 {
                    // First round: publish (wakes the pending recv) and finish the select.
                    manager.open_public(&name("public:a.b"), None).unwrap();
                    tx.take().unwrap().send(()).unwrap();
                }
            } => {}
        }
    }
    let event = tokio::time::timeout(Duration::from_secs(30), sub.recv())
        .await
        .expect("the event survived the cancelled recv")
        .unwrap();
    assert_eq!(event.kind, EventKind::Opened);
}

#[tokio::test(flavor = "current_thread")]
async fn stream_under_tokio() {
    let manager = Manager::with_clock(|| 0);
    let sub = manager.subscribe(16);
    manager.open_public(&name("public:a.b"), None).unwrap();
    manager.delete(&name("public:a.b")).unwrap();
    drop(manager);
    let kinds: Vec<EventKind> = sub.map(|e| e.kind).collect().await;
    assert_eq!(kinds, [EventKind::Opened, EventKind::Deleted]);
}

// ---------------------------------------------------------------------------------------------
// The sweeper thread

/// Polls `f` until it holds, for at most a generous 30 s (no timing assertion: it only bounds
/// a broken test).
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

#[test]
fn sweeper_thread_sweeps_and_stops() {
    let clock = Arc::new(AtomicU64::new(0));
    let manager = Arc::new(Manager::with_clock({
        let clock = clock.clone();
        move || clock.load(Ordering::SeqCst)
    }));
    let mut sub = manager.subscribe(8);
    let n = name("public:a.b");
    manager
        .open_public(&n, Some(Duration::from_secs(1)))
        .unwrap();
    let sweeper = manager.run_sweeper(Duration::from_millis(1)).unwrap();
    assert!(sweeper.wait_for_sweeps(2) >= 2);
    assert!(
        manager.is_open(&n),
        "not expired yet on the manager's clock"
    );
    clock.store(1_000, Ordering::SeqCst);
    assert!(eventually(|| !manager.is_open(&n)), "the sweeper closed it");
    assert!(sweeper.transitions() >= 1);
    sweeper.stop();
    let kinds: Vec<_> = std::iter::from_fn(|| sub.try_recv().ok())
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, [EventKind::Opened, EventKind::Closed]);
}

#[test]
fn stopping_a_sleeping_sweeper_is_prompt() {
    let manager = Arc::new(Manager::with_clock(|| 0));
    // An hour-long interval: `stop` returns only because it wakes the thread mid-sleep.
    let sweeper = manager.run_sweeper(Duration::from_secs(3600)).unwrap();
    assert_eq!(sweeper.sweeps(), 0);
    sweeper.stop();
}

#[test]
fn dropping_the_handle_stops_the_sweeper() {
    let manager = Arc::new(Manager::with_clock(|| 0));
    let sweeper = manager.run_sweeper(Duration::from_secs(3600)).unwrap();
    drop(sweeper);
    assert_eq!(Arc::strong_count(&manager), 1);
}

#[test]
fn the_sweeper_ends_when_the_manager_is_dropped() {
    let manager = Arc::new(Manager::with_clock(|| 0));
    let sweeper = manager.run_sweeper(Duration::ZERO).unwrap();
    sweeper.wait_for_sweeps(1);
    drop(manager);
    assert!(eventually(|| sweeper.is_finished()));
    sweeper.stop();
}

#[test]
fn the_sweeper_runs_the_on_sweep_hook() {
    let manager = Arc::new(Manager::with_clock(|| 0));
    let calls = Arc::new(AtomicUsize::new(0));
    {
        let calls = calls.clone();
        manager.on_sweep(move |_| {
            calls.fetch_add(1, Ordering::SeqCst);
        });
    }
    let sweeper = manager.run_sweeper(Duration::from_millis(1)).unwrap();
    sweeper.wait_for_sweeps(3);
    sweeper.stop();
    assert!(calls.load(Ordering::SeqCst) >= 3);
}

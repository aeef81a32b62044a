//! Behaviour of the tuple space: the Isopace seed's semantics, targeted wake-ups, cancel-safety,
//! close, key cleanup, and the futures under futures-executor, tokio and plain threads.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use lindy::space::{LocalSpace, PeekSpace, Space, WaitError};
use lindy::Closed;

/// A waker that records how often it was woken, and whether since the last poll.
#[derive(Default)]
struct Probe {
    wakes: AtomicUsize,
    woken: AtomicBool,
}

impl Wake for Probe {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
        self.woken.store(true, SeqCst);
    }
}

/// A future polled by hand, with its own probe waker.
struct Manual<F: Future> {
    fut: Pin<Box<F>>,
    probe: Arc<Probe>,
    waker: Waker,
    polls: usize,
}

impl<F: Future> Manual<F> {
    fn new(fut: F) -> Self {
        let probe = Arc::new(Probe::default());
        Manual {
            fut: Box::pin(fut),
            waker: Waker::from(probe.clone()),
            probe,
            polls: 0,
        }
    }
    fn poll(&mut self) -> Poll<F::Output> {
        self.polls += 1;
        self.probe.woken.store(false, SeqCst);
        self.fut
            .as_mut()
            .poll(&mut Context::from_waker(&self.waker))
    }
    fn wakes(&self) -> usize {
        self.probe.wakes.load(SeqCst)
    }
    fn woken(&self) -> bool {
        self.probe.woken.load(SeqCst)
    }
}

#[test]
fn fifo_and_probes() {
    let space = LocalSpace::<u32>::new();
    assert_eq!(space.try_take("q"), None);
    assert_eq!(space.try_peek("q"), None);
    for v in 1..=3 {
        space.try_push("q", v).unwrap();
    }
    space.try_push("other", 9).unwrap();
    assert_eq!(space.len("q"), 3);
    assert_eq!(space.total_len(), 4);
    assert_eq!(space.try_peek("q"), Some(1));
    assert_eq!(space.try_take("q"), Some(1));
    assert_eq!(space.try_take("q"), Some(2));
    assert_eq!(space.try_take("q"), Some(3));
    assert_eq!(space.try_take("q"), None);
    assert_eq!(space.len("q"), 0);
    assert_eq!(space.keys(), vec!["other".to_string()]);
    // The empty string is a key like any other.
    space.try_push("", 5).unwrap();
    assert_eq!(space.try_take(""), Some(5));
}

#[test]
fn an_entry_already_present_is_returned_on_the_first_poll() {
    let space = LocalSpace::<u32>::new();
    space.try_push("k", 1).unwrap();
    let mut t = Manual::new(space.take("k"));
    assert_eq!(t.poll(), Poll::Ready(Ok(1)));
    space.try_push("k", 2).unwrap();
    let mut r = Manual::new(space.peek("k"));
    assert_eq!(r.poll(), Poll::Ready(Ok(2)));
}

#[test]
fn blocking_take_is_woken_by_out() {
    let space = Arc::new(LocalSpace::<String>::new());
    let taker = {
        let space = space.clone();
        thread::spawn(move || futures::executor::block_on(space.take("job")))
    };
    // Whether the taker parks before or after this `out`, it must get the value.
    space.try_push("job", "payload".to_string()).unwrap();
    assert_eq!(taker.join().unwrap(), Ok("payload".to_string()));

    let mut t = Manual::new(space.take("job"));
    assert!(t.poll().is_pending());
    space.try_push("job", "later".to_string()).unwrap();
    assert_eq!(t.wakes(), 1);
    assert_eq!(t.poll(), Poll::Ready(Ok("later".to_string())));
}

#[test]
fn read_does_not_remove_and_every_reader_sees_the_entry() {
    let space = LocalSpace::<&str>::new();
    let mut readers: Vec<_> = (0..3).map(|_| Manual::new(space.peek("cfg"))).collect();
    for r in &mut readers {
        assert!(r.poll().is_pending());
    }
    space.try_push("cfg", "v1").unwrap();
    for r in &mut readers {
        assert_eq!(r.wakes(), 1, "every reader is woken");
        assert_eq!(r.poll(), Poll::Ready(Ok("v1")));
    }
    assert_eq!(space.len("cfg"), 1, "reads removed nothing");
    assert_eq!(space.try_take("cfg"), Some("v1"), "a taker then takes it");
}

/// Changed with the queue engine (issue 12): an entry is handed straight to a waiting taker, and
/// waiting readers get a clone of it, so readers still see every arrival.
#[test]
fn waiting_readers_see_an_entry_handed_to_a_waiting_taker() {
    let space = LocalSpace::<&str>::new();
    let mut readers: Vec<_> = (0..3).map(|_| Manual::new(space.peek("cfg"))).collect();
    let mut taker = Manual::new(space.take("cfg"));
    for r in &mut readers {
        assert!(r.poll().is_pending());
    }
    assert!(taker.poll().is_pending());
    space.try_push("cfg", "v1").unwrap();
    for r in &mut readers {
        assert_eq!(r.wakes(), 1, "every reader is woken");
        assert_eq!(r.poll(), Poll::Ready(Ok("v1")));
    }
    assert_eq!(space.len("cfg"), 0, "handed straight to the waiting taker");
    assert_eq!(taker.wakes(), 1);
    assert_eq!(taker.poll(), Poll::Ready(Ok("v1")));
}

#[test]
fn an_out_wakes_exactly_one_taker_the_oldest() {
    let space = LocalSpace::<u32>::new();
    let mut takers: Vec<_> = (0..4).map(|_| Manual::new(space.take("k"))).collect();
    for t in &mut takers {
        assert!(t.poll().is_pending());
    }
    space.try_push("k", 10).unwrap();
    assert_eq!(
        takers.iter().map(Manual::wakes).collect::<Vec<_>>(),
        [1, 0, 0, 0]
    );
    space.try_push("k", 11).unwrap();
    assert_eq!(
        takers.iter().map(Manual::wakes).collect::<Vec<_>>(),
        [1, 1, 0, 0]
    );
    assert_eq!(takers[0].poll(), Poll::Ready(Ok(10)));
    assert_eq!(takers[1].poll(), Poll::Ready(Ok(11)));
}

#[test]
fn a_waiter_on_one_key_is_never_woken_by_another_key() {
    let space = LocalSpace::<u32>::new();
    let mut on_a = Manual::new(space.take("a"));
    let mut reader_a = Manual::new(space.peek("a"));
    assert!(on_a.poll().is_pending());
    assert!(reader_a.poll().is_pending());
    let mut on_b = Manual::new(space.take("b"));
    assert!(on_b.poll().is_pending());
    for v in 0..1000 {
        space.try_push("b", v).unwrap();
        if v % 2 == 0 {
            // The waiter on b consumes some; whatever happens on b, a stays asleep.
            if on_b.woken() {
                assert!(on_b.poll().is_ready());
                on_b = Manual::new(space.take("b"));
                let _ = on_b.poll();
            }
        }
    }
    assert_eq!(on_a.wakes(), 0, "the taker on a was never woken");
    assert_eq!(reader_a.wakes(), 0, "the reader on a was never woken");
    assert_eq!(on_a.polls, 1);
    space.try_push("a", 7).unwrap();
    assert_eq!((on_a.wakes(), reader_a.wakes()), (1, 1));
}

#[test]
fn a_woken_take_that_is_dropped_hands_the_wake_up_on() {
    let space = LocalSpace::<u32>::new();
    let mut first = Manual::new(space.take("k"));
    let mut second = Manual::new(space.take("k"));
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());
    space.try_push("k", 1).unwrap();
    assert_eq!((first.wakes(), second.wakes()), (1, 0));
    drop(first); // cancelled after being woken, before taking
    assert_eq!(second.wakes(), 1, "the wake-up was handed on");
    assert_eq!(second.poll(), Poll::Ready(Ok(1)));
}

#[test]
fn a_waiting_take_that_is_dropped_owes_nothing() {
    let space = LocalSpace::<u32>::new();
    let mut first = Manual::new(space.take("k"));
    let mut second = Manual::new(space.take("k"));
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());
    drop(first); // cancelled while waiting
    space.try_push("k", 1).unwrap();
    assert_eq!(second.wakes(), 1);
    assert_eq!(second.poll(), Poll::Ready(Ok(1)));
}

/// Changed with the queue engine (issue 12): the entry is handed to the woken taker, so a probe
/// can no longer barge in between its wake-up and its poll (it used to, and the taker then
/// re-joined at the front, where two such takers could swap places).
#[test]
fn a_woken_taker_cannot_lose_its_entry_to_a_probe() {
    let space = LocalSpace::<u32>::new();
    let mut first = Manual::new(space.take("k"));
    let mut second = Manual::new(space.take("k"));
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());
    space.try_push("k", 1).unwrap();
    assert_eq!(space.try_take("k"), None, "nothing to barge in on");
    space.try_push("k", 2).unwrap();
    assert_eq!((first.wakes(), second.wakes()), (1, 1));
    // Even polled in the "wrong" order, each gets the entry it was handed: FIFO by arrival.
    assert_eq!(second.poll(), Poll::Ready(Ok(2)));
    assert_eq!(first.poll(), Poll::Ready(Ok(1)));
}

#[test]
fn close_unblocks_every_waiter_and_out_hands_the_value_back() {
    let space = LocalSpace::<u32>::new();
    let mut takers: Vec<_> = ["a", "b", "b"]
        .iter()
        .map(|k| Manual::new(space.take(k)))
        .collect();
    let mut reader = Manual::new(space.peek("c"));
    for t in &mut takers {
        assert!(t.poll().is_pending());
    }
    assert!(reader.poll().is_pending());
    space.try_push("d", 1).unwrap();
    space.close();
    space.close(); // idempotent
    assert!(space.is_closed());
    for t in &mut takers {
        assert_eq!(t.wakes(), 1);
        assert_eq!(t.poll(), Poll::Ready(Err(Closed(()))));
    }
    assert_eq!(reader.poll(), Poll::Ready(Err(Closed(()))));
    // Changed with the queue engine (issue 12), the one close rule: after close, takes and reads
    // drain what is queued, then fail (they used to fail at once, stranding the entries).
    assert_eq!(Manual::new(space.peek("d")).poll(), Poll::Ready(Ok(1)));
    assert_eq!(space.len("d"), 1);
    assert_eq!(space.try_peek("d"), Some(1));
    assert_eq!(Manual::new(space.take("d")).poll(), Poll::Ready(Ok(1)));
    assert_eq!(
        Manual::new(space.take("d")).poll(),
        Poll::Ready(Err(Closed(())))
    );
    assert_eq!(
        Manual::new(space.peek("d")).poll(),
        Poll::Ready(Err(Closed(())))
    );
    assert_eq!(space.try_take("d"), None);
    let err = space.try_push("d", 42).unwrap_err();
    assert_eq!(err.code(), "CLOSED");
    assert_eq!(err.into_inner(), 42, "nothing is lost silently");
    drop(takers);
    drop(reader);
    assert!(space.keys().is_empty());
}

#[test]
fn close_wakes_threads_blocked_in_take() {
    let space = Arc::new(LocalSpace::<u32>::new());
    let blocked: Vec<_> = (0..3)
        .map(|i| {
            let space = space.clone();
            thread::spawn(move || space.take_blocking(&format!("k{i}")))
        })
        .collect();
    space.close();
    for h in blocked {
        let e = h.join().unwrap().unwrap_err();
        assert_eq!(e, WaitError::Closed);
        assert_eq!(e.code(), "CLOSED");
    }
}

#[test]
fn take_timeout_times_out_without_taking_and_succeeds_when_an_entry_comes() {
    let space = Arc::new(LocalSpace::<u32>::new());
    let e = space
        .take_timeout("k", Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(e, WaitError::TimedOut);
    assert_eq!(e.code(), "TIMEOUT");
    assert!(
        space.keys().is_empty(),
        "the timed-out waiter left no trace"
    );
    assert_eq!(
        space.peek_timeout("k", Duration::from_millis(5)),
        Err(WaitError::TimedOut)
    );

    let producer = {
        let space = space.clone();
        thread::spawn(move || space.try_push("k", 5).unwrap())
    };
    // Generous: the test passes as soon as the entry arrives, and never depends on timing.
    assert_eq!(space.take_timeout("k", Duration::from_secs(60)), Ok(5));
    producer.join().unwrap();
    space.try_push("k", 6).unwrap();
    assert_eq!(
        space.take_timeout("k", Duration::MAX),
        Ok(6),
        "a huge timeout is no timeout"
    );
}

#[test]
fn async_timeout_with_an_executor_timer_takes_nothing() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let space = LocalSpace::<u32>::new();
        let r = tokio::time::timeout(Duration::from_millis(10), space.take("k")).await;
        assert!(r.is_err(), "timed out");
        space.try_push("k", 1).unwrap();
        assert_eq!(space.len("k"), 1, "the timed-out take took nothing");
        let r = tokio::time::timeout(Duration::from_secs(60), space.take("k")).await;
        assert_eq!(r.unwrap(), Ok(1));
    });
}

#[test]
fn empty_keys_leave_the_table() {
    let space = LocalSpace::<u32>::new();
    space.try_push("a", 1).unwrap();
    let mut t = Manual::new(space.take("b"));
    assert!(t.poll().is_pending());
    let mut r = Manual::new(space.peek("c"));
    assert!(r.poll().is_pending());
    assert_eq!(
        format!("{space:?}"),
        "LocalSpace { keys: 3, total_len: 1, closed: false }"
    );
    assert_eq!(space.try_take("a"), Some(1));
    drop(t);
    drop(r);
    assert_eq!(
        format!("{space:?}"),
        "LocalSpace { keys: 0, total_len: 0, closed: false }"
    );
}

#[test]
fn many_producers_several_consumers_every_value_exactly_once_threads() {
    const PRODUCERS: u64 = 4;
    const PER: u64 = 5_000;
    const CONSUMERS: usize = 3;
    let space = Arc::new(LocalSpace::<u64>::new());
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let space = space.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                while let Ok(v) = space.take_blocking("work") {
                    got.push(v);
                }
                got
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let space = space.clone();
            thread::spawn(move || {
                for i in 0..PER {
                    space.try_push("work", p * PER + i).unwrap();
                }
            })
        })
        .collect();
    producers.into_iter().for_each(|h| h.join().unwrap());
    // Close once everything was consumed (takers drain a closed space before they fail).
    while space.len("work") > 0 {
        thread::yield_now();
    }
    space.close();
    let mut all: Vec<u64> = consumers
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..PRODUCERS * PER).collect::<Vec<_>>());
}

#[test]
fn many_producers_several_consumers_every_value_exactly_once_tokio() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        const PER: u64 = 2_000;
        let space = Arc::new(LocalSpace::<u64>::new());
        let consumers: Vec<_> = (0..3)
            .map(|_| {
                let space = space.clone();
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    while let Ok(v) = space.take("work").await {
                        got.push(v);
                    }
                    got
                })
            })
            .collect();
        let producers: Vec<_> = (0..4u64)
            .map(|p| {
                let space = space.clone();
                tokio::spawn(async move {
                    for i in 0..PER {
                        space.try_push("work", p * PER + i).unwrap();
                        if i % 64 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        for p in producers {
            p.await.unwrap();
        }
        while space.total_len() > 0 {
            tokio::task::yield_now().await;
        }
        space.close();
        let mut all: Vec<u64> = Vec::new();
        for c in consumers {
            all.extend(c.await.unwrap());
        }
        let set: HashSet<u64> = all.iter().copied().collect();
        assert_eq!(set.len(), all.len(), "no value taken twice");
        assert_eq!(all.len() as u64, 4 * PER, "no value lost");
    });
}

#[test]
fn cancelled_woken_take_hands_on_under_tokio() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let space = Arc::new(LocalSpace::<u32>::new());
        let first = tokio::spawn({
            let space = space.clone();
            async move { space.take("k").await }
        });
        let second = tokio::spawn({
            let space = space.clone();
            async move { space.take("k").await }
        });
        // Let both tasks run until they park (current-thread runtime: deterministic).
        for _ in 0..4 {
            tokio::task::yield_now().await;
        }
        space.try_push("k", 7).unwrap(); // wakes `first`…
        first.abort(); // …which is dropped before it runs
        assert!(first.await.unwrap_err().is_cancelled());
        assert_eq!(second.await.unwrap(), Ok(7), "the wake-up was handed on");
        assert_eq!(space.total_len(), 0);
    });
}

#[test]
fn cancelled_woken_take_hands_on_under_futures_executor() {
    use futures::future::{AbortHandle, Abortable};
    use futures::task::LocalSpawnExt;
    let mut pool = futures::executor::LocalPool::new();
    let space = Arc::new(LocalSpace::<u32>::new());
    let (abort, reg) = AbortHandle::new_pair();
    let first = pool
        .spawner()
        .spawn_local_with_handle(Abortable::new(
            {
                let space = space.clone();
                async move { space.take("k").await }
            },
            reg,
        ))
        .unwrap();
    let second = pool
        .spawner()
        .spawn_local_with_handle({
            let space = space.clone();
            async move { space.take("k").await }
        })
        .unwrap();
    pool.run_until_stalled(); // both parked
    space.try_push("k", 7).unwrap(); // wakes `first`…
    abort.abort(); // …which is dropped before it takes
    assert!(pool.run_until(first).is_err(), "first was aborted");
    assert_eq!(pool.run_until(second), Ok(7), "the wake-up was handed on");
}

#[test]
fn the_trait_drives_the_local_backend() {
    async fn exercise<S: PeekSpace<u32>>(s: &S) -> Result<(), S::Error> {
        assert!(s.push("k", 1).await.is_ok());
        assert_eq!(s.len("k").await?, 1);
        assert_eq!(s.peek("k").await?, 1);
        assert_eq!(s.try_peek("k").await?, Some(1));
        assert_eq!(s.take("k").await?, 1);
        assert_eq!(s.try_take("k").await?, None);
        s.close().await?;
        assert!(s.is_closed());
        Ok(())
    }
    let space = LocalSpace::<u32>::new();
    futures::executor::block_on(exercise(&space)).unwrap();
    let e = futures::executor::block_on(Space::push(&space, "k", 3)).unwrap_err();
    assert_eq!(e.into_inner(), 3);
    let e = futures::executor::block_on(Space::try_push(&space, "k", 4)).unwrap_err();
    assert_eq!(e.into_inner(), 4);
}

/// Issue 17: the trait's `push` waits for room in a bounded space (it used to answer `Full` at
/// once), `try_push` is the form that never waits, and a `push` dropped while waiting puts nothing
/// in.
#[test]
fn the_traits_push_waits_for_room_and_try_push_does_not() {
    use lindy::queue::{Config, PushError};
    let space = LocalSpace::<u32>::with_config(Config::new().key_max_entries(1)).unwrap();
    futures::executor::block_on(Space::push(&space, "k", 1)).unwrap();

    // Full: `try_push` hands the value back at once…
    let full = futures::executor::block_on(Space::try_push(&space, "k", 2)).unwrap_err();
    assert_eq!((full.code(), full.into_inner()), ("BUFFER_FULL", 2));

    // …while `push` waits, and goes in when a take makes room.
    let mut waiting = Manual::new(Space::push(&space, "k", 3));
    assert!(waiting.poll().is_pending());
    assert_eq!(space.len("k"), 1);
    assert_eq!(space.try_take("k"), Some(1));
    assert!(waiting.woken(), "the take made room: the producer is woken");
    assert_eq!(waiting.poll(), Poll::Ready(Ok(())));
    assert_eq!(space.try_take("k"), Some(3));

    // Dropped while waiting: nothing goes in, and the room is not held.
    space.try_push("k", 4).unwrap();
    let mut dropped = Manual::new(Space::push(&space, "k", 5));
    assert!(dropped.poll().is_pending());
    drop(dropped);
    assert_eq!(space.try_take("k"), Some(4));
    assert_eq!(space.try_take("k"), None, "the dropped push put nothing in");

    // Closed while waiting: the value is handed back.
    space.try_push("k", 6).unwrap();
    let mut refused = Manual::new(Space::push(&space, "k", 7));
    assert!(refused.poll().is_pending());
    futures::executor::block_on(Space::close(&space)).unwrap();
    match refused.poll() {
        Poll::Ready(Err(PushError::Closed(v))) => assert_eq!(v, 7),
        other => panic!("want Closed(7), got {other:?}"),
    }
}

/// The trait's waiting `push` across threads: a producer blocked on a full key is let in by a
/// consumer on another thread, and every value arrives once, in order.
#[test]
fn the_traits_push_hands_off_across_threads_under_back_pressure() {
    use lindy::queue::Config;
    let space = Arc::new(LocalSpace::<u32>::with_config(Config::new().key_max_entries(2)).unwrap());
    let producer = {
        let space = space.clone();
        thread::spawn(move || {
            for i in 0..1_000 {
                futures::executor::block_on(Space::push(&*space, "k", i)).unwrap();
            }
        })
    };
    let got: Vec<u32> = (0..1_000)
        .map(|_| space.take_blocking("k").unwrap())
        .collect();
    producer.join().unwrap();
    assert_eq!(got, (0..1_000).collect::<Vec<_>>());
    assert_eq!(space.len("k"), 0);
}

#[test]
fn futures_are_send_for_multi_threaded_runtimes() {
    fn assert_send<T: Send>(_: &T) {}
    let space = LocalSpace::<String>::new();
    assert_send(&space.take("k"));
    assert_send(&space.peek("k"));
}

mod cancel_safety {
    //! Random interleavings of `out`, probes and take futures created, polled and dropped, checked
    //! after every step: no entry lost, none duplicated, no waiter stranded while entries exist.
    use super::*;
    use proptest::prelude::*;

    const KEYS: [&str; 3] = ["a", "b", "c"];

    #[derive(Clone, Debug)]
    enum Op {
        Out(usize),
        TryTake(usize),
        NewTake(usize),
        Poll(usize),
        Drop(usize),
        /// Poll every woken future, as an executor would.
        RunWoken,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0..KEYS.len()).prop_map(Op::Out),
            1 => (0..KEYS.len()).prop_map(Op::TryTake),
            3 => (0..KEYS.len()).prop_map(Op::NewTake),
            3 => any::<usize>().prop_map(Op::Poll),
            2 => any::<usize>().prop_map(Op::Drop),
            2 => Just(Op::RunWoken),
        ]
    }

    struct Waiter<'a> {
        key: usize,
        fut: Manual<lindy::space::Take<'a, u64>>,
        parked: bool,
    }

    fn poll_one(w: &mut Waiter<'_>, got: &mut Vec<u64>) -> bool {
        match w.fut.poll() {
            Poll::Ready(Ok(v)) => {
                got.push(v);
                true
            }
            Poll::Ready(Err(_)) => unreachable!("never closed here"),
            Poll::Pending => {
                w.parked = true;
                false
            }
        }
    }

    fn check_nobody_stranded(
        space: &LocalSpace<u64>,
        live: &[Waiter<'_>],
    ) -> Result<(), TestCaseError> {
        for (k, key) in KEYS.iter().enumerate() {
            let parked: Vec<&Waiter<'_>> = live.iter().filter(|w| w.key == k && w.parked).collect();
            if space.len(key) > 0 && !parked.is_empty() {
                prop_assert!(
                    parked.iter().any(|w| w.fut.woken()),
                    "key {key} holds {} entries while {} takers sleep",
                    space.len(key),
                    parked.len()
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn no_entry_lost_or_duplicated_and_no_waiter_stranded(ops in proptest::collection::vec(op(), 1..120)) {
            let space = LocalSpace::<u64>::new();
            let mut next = 0u64;
            let mut got = Vec::new();
            let mut live: Vec<Waiter<'_>> = Vec::new();
            for op in ops {
                match op {
                    Op::Out(k) => {
                        space.try_push(KEYS[k], next).unwrap();
                        next += 1;
                    }
                    Op::TryTake(k) => got.extend(space.try_take(KEYS[k])),
                    Op::NewTake(k) => live.push(Waiter { key: k, fut: Manual::new(space.take(KEYS[k])), parked: false }),
                    Op::Poll(i) if !live.is_empty() => {
                        let i = i % live.len();
                        if poll_one(&mut live[i], &mut got) {
                            live.swap_remove(i);
                        }
                    }
                    Op::Drop(i) if !live.is_empty() => {
                        live.swap_remove(i % live.len());
                    }
                    Op::RunWoken => {
                        let mut i = 0;
                        while i < live.len() {
                            if live[i].fut.woken() && poll_one(&mut live[i], &mut got) {
                                live.swap_remove(i);
                            } else {
                                i += 1;
                            }
                        }
                    }
                    _ => {}
                }
                check_nobody_stranded(&space, &live)?;
            }
            // Run the "executor" to quiescence: afterwards nobody may sleep next to an entry.
            loop {
                let mut progressed = false;
                let mut i = 0;
                while i < live.len() {
                    if live[i].fut.woken() {
                        progressed = true;
                        if poll_one(&mut live[i], &mut got) {
                            live.swap_remove(i);
                            continue;
                        }
                    }
                    i += 1;
                }
                if !progressed {
                    break;
                }
            }
            for w in &live {
                prop_assert!(!(w.parked && space.len(KEYS[w.key]) > 0), "a taker sleeps next to an entry");
            }
            drop(live);
            for key in KEYS {
                while let Some(v) = space.try_take(key) {
                    got.push(v);
                }
            }
            got.sort_unstable();
            prop_assert_eq!(got, (0..next).collect::<Vec<_>>(), "every value exactly once");
            prop_assert!(space.keys().is_empty());
            prop_assert_eq!(format!("{:?}", space), "LocalSpace { keys: 0, total_len: 0, closed: false }");
        }
    }
}

mod pattern_take {
    use super::*;
    use lindy::grammar::{Name, Pattern};

    fn pat(s: &str) -> Pattern {
        Pattern::parse(s).unwrap()
    }

    #[test]
    fn try_take_matching_takes_the_oldest_entry_among_matching_keys() {
        let space = LocalSpace::<u32>::new();
        space.try_push("public:app.jobs.b", 1).unwrap();
        space.try_push("public:app.other.x", 2).unwrap();
        space.try_push("public:app.jobs.a", 3).unwrap();
        space.try_push("public:app.jobs.b", 4).unwrap();
        space.try_push("not a channel name", 5).unwrap();
        let jobs = pat("public:app.jobs.*");
        let take = |p: &Pattern| {
            space
                .try_take_matching(p)
                .map(|(k, v)| (k.as_str().to_owned(), v))
        };
        assert_eq!(take(&jobs), Some(("public:app.jobs.b".into(), 1)));
        assert_eq!(take(&jobs), Some(("public:app.jobs.a".into(), 3)));
        assert_eq!(take(&jobs), Some(("public:app.jobs.b".into(), 4)));
        assert_eq!(take(&jobs), None);
        assert_eq!(
            take(&pat("public:app.**")),
            Some(("public:app.other.x".into(), 2))
        );
        assert_eq!(
            take(&pat("public:**")),
            None,
            "an invalid key never matches"
        );
        assert_eq!(space.try_take("not a channel name"), Some(5));
    }

    #[test]
    fn take_matching_returns_the_key_as_a_name() {
        let space = LocalSpace::<u32>::new();
        space.try_push("public:app.jobs.7", 1).unwrap();
        let p = pat("public:app.jobs.*");
        let (name, v): (Name, u32) = futures::executor::block_on(space.take_matching(&p)).unwrap();
        assert_eq!((name.id(), v), (Some("7"), 1));
    }

    #[test]
    fn a_pattern_taker_is_woken_by_matching_keys_only() {
        let space = LocalSpace::<u32>::new();
        let p = pat("public:app.jobs.*");
        let mut t = Manual::new(space.take_matching(&p));
        assert!(t.poll().is_pending());
        space.try_push("public:app.other.1", 1).unwrap();
        space.try_push("public:app.jobs", 2).unwrap(); // two segments: `*` needs a third
        space.try_push("private:app.jobs.1", 3).unwrap();
        space.try_push("garbage", 4).unwrap();
        assert_eq!(t.wakes(), 0);
        space.try_push("public:app.jobs.9", 5).unwrap();
        assert_eq!(t.wakes(), 1);
        let got = t.poll().map(|r| r.map(|(k, v)| (k.into_string(), v)));
        assert_eq!(got, Poll::Ready(Ok(("public:app.jobs.9".to_string(), 5))));
    }

    #[test]
    fn key_takers_and_pattern_takers_are_served_oldest_first() {
        let space = LocalSpace::<u32>::new();
        let p = pat("public:app.jobs.*");
        let mut key_first = Manual::new(space.take("public:app.jobs.a"));
        let mut pattern_second = Manual::new(space.take_matching(&p));
        let mut key_third = Manual::new(space.take("public:app.jobs.a"));
        assert!(key_first.poll().is_pending());
        assert!(pattern_second.poll().is_pending());
        assert!(key_third.poll().is_pending());
        space.try_push("public:app.jobs.a", 1).unwrap();
        assert_eq!(
            (key_first.wakes(), pattern_second.wakes(), key_third.wakes()),
            (1, 0, 0)
        );
        space.try_push("public:app.jobs.a", 2).unwrap();
        assert_eq!(
            (key_first.wakes(), pattern_second.wakes(), key_third.wakes()),
            (1, 1, 0)
        );
        space.try_push("public:app.jobs.a", 3).unwrap();
        assert_eq!(
            (key_first.wakes(), pattern_second.wakes(), key_third.wakes()),
            (1, 1, 1)
        );
        assert_eq!(key_first.poll(), Poll::Ready(Ok(1)));
        assert!(matches!(pattern_second.poll(), Poll::Ready(Ok((_, 2)))));
        assert_eq!(key_third.poll(), Poll::Ready(Ok(3)));
    }

    #[test]
    fn a_woken_pattern_taker_that_is_dropped_hands_the_wake_up_on() {
        let space = LocalSpace::<u32>::new();
        let p = pat("public:app.jobs.*");
        let mut by_pattern = Manual::new(space.take_matching(&p));
        let mut by_key = Manual::new(space.take("public:app.jobs.a"));
        assert!(by_pattern.poll().is_pending());
        assert!(by_key.poll().is_pending());
        space.try_push("public:app.jobs.a", 1).unwrap();
        assert_eq!((by_pattern.wakes(), by_key.wakes()), (1, 0));
        drop(by_pattern);
        assert_eq!(by_key.wakes(), 1, "handed on to the key taker");
        assert_eq!(by_key.poll(), Poll::Ready(Ok(1)));

        // And the other way round: a key taker hands on to a pattern taker.
        let mut by_key = Manual::new(space.take("public:app.jobs.a"));
        let mut by_pattern = Manual::new(space.take_matching(&p));
        assert!(by_key.poll().is_pending());
        assert!(by_pattern.poll().is_pending());
        space.try_push("public:app.jobs.a", 2).unwrap();
        drop(by_key);
        assert_eq!(by_pattern.wakes(), 1);
        assert!(matches!(by_pattern.poll(), Poll::Ready(Ok((_, 2)))));
    }

    /// Why a woken pattern taker takes the entry it was woken for, not the oldest one: otherwise
    /// it could take an entry another woken taker was promised, and strand a third.
    #[test]
    fn a_woken_pattern_taker_takes_the_entry_it_was_woken_for() {
        let space = LocalSpace::<u32>::new();
        let p = pat("public:app.jobs.*");
        let mut t1 = Manual::new(space.take("public:app.jobs.one"));
        let mut pt = Manual::new(space.take_matching(&p));
        let mut t2 = Manual::new(space.take("public:app.jobs.two"));
        assert!(t1.poll().is_pending());
        assert!(pt.poll().is_pending());
        assert!(t2.poll().is_pending());
        space.try_push("public:app.jobs.one", 1).unwrap(); // → t1, the oldest eligible
        space.try_push("public:app.jobs.two", 2).unwrap(); // → pt, older than t2
        assert_eq!((t1.wakes(), pt.wakes(), t2.wakes()), (1, 1, 0));
        // pt runs first; the oldest matching entry is 1, but pt was woken for 2.
        assert!(matches!(pt.poll(), Poll::Ready(Ok((_, 2)))));
        assert_eq!(t1.poll(), Poll::Ready(Ok(1)));
        assert_eq!(t2.wakes(), 0, "nobody is left waiting next to an entry");
        assert_eq!(space.total_len(), 0);
    }

    #[test]
    fn close_wakes_pattern_takers() {
        let space = LocalSpace::<u32>::new();
        let p = pat("public:app.**");
        let mut t = Manual::new(space.take_matching(&p));
        assert!(t.poll().is_pending());
        space.close();
        assert_eq!(t.wakes(), 1);
        assert!(matches!(t.poll(), Poll::Ready(Err(Closed(())))));
        space.close();
        assert!(space.try_take_matching(&p).is_none());
    }

    #[test]
    fn pattern_takers_across_threads_get_every_value_once() {
        let space = Arc::new(LocalSpace::<u64>::new());
        let p = Arc::new(pat("public:app.jobs.*"));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (space, p) = (space.clone(), p.clone());
                thread::spawn(move || {
                    let mut got = Vec::new();
                    while let Ok((_, v)) = futures::executor::block_on(space.take_matching(&p)) {
                        got.push(v);
                    }
                    got
                })
            })
            .collect();
        for i in 0..3000u64 {
            space
                .try_push(&format!("public:app.jobs.{}", i % 7), i)
                .unwrap();
        }
        while space.total_len() > 0 {
            thread::yield_now();
        }
        space.close();
        let mut all: Vec<u64> = workers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..3000).collect::<Vec<_>>());
    }
}

mod pattern_cancel_safety {
    //! The cancel-safety property with pattern takers in the mix: random out / probe / take /
    //! pattern take / poll / drop, then the executor runs to quiescence: nobody may sleep while an
    //! entry they could take exists, and every value is taken exactly once.
    use super::*;
    use lindy::grammar::Pattern;
    use lindy::space::{Take, TakeMatching};
    use proptest::prelude::*;

    const KEYS: [&str; 4] = [
        "public:app.jobs.a",
        "public:app.jobs.b",
        "public:app.other.c",
        "no name",
    ];
    const PATTERNS: [&str; 3] = ["public:app.jobs.*", "public:app.**", "public:app.other.c"];

    #[derive(Clone, Debug)]
    enum Op {
        Out(usize),
        TryTake(usize),
        TryTakeMatching(usize),
        NewTake(usize),
        NewTakeMatching(usize),
        Poll(usize),
        Drop(usize),
        RunWoken,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            2 => (0..KEYS.len()).prop_map(Op::Out),
            1 => (0..KEYS.len()).prop_map(Op::TryTake),
            1 => (0..PATTERNS.len()).prop_map(Op::TryTakeMatching),
            3 => (0..KEYS.len()).prop_map(Op::NewTake),
            3 => (0..PATTERNS.len()).prop_map(Op::NewTakeMatching),
            4 => any::<usize>().prop_map(Op::Poll),
            2 => any::<usize>().prop_map(Op::Drop),
            2 => Just(Op::RunWoken),
        ]
    }

    enum Fut<'a> {
        Key(usize, Manual<Take<'a, u64>>),
        Pat(usize, Manual<TakeMatching<'a, u64>>),
    }

    struct Waiter<'a> {
        fut: Fut<'a>,
        parked: bool,
    }

    impl Waiter<'_> {
        fn woken(&self) -> bool {
            match &self.fut {
                Fut::Key(_, m) => m.woken(),
                Fut::Pat(_, m) => m.woken(),
            }
        }
        /// Polls; `true` when done (the value goes to `got`).
        fn poll(&mut self, got: &mut Vec<u64>) -> bool {
            let r = match &mut self.fut {
                Fut::Key(_, m) => m.poll().map(|r| r.unwrap()),
                Fut::Pat(_, m) => m.poll().map(|r| r.unwrap().1),
            };
            match r {
                Poll::Ready(v) => {
                    got.push(v);
                    true
                }
                Poll::Pending => {
                    self.parked = true;
                    false
                }
            }
        }
        fn could_take(&self, space: &LocalSpace<u64>, pats: &[Pattern]) -> bool {
            match &self.fut {
                Fut::Key(k, _) => space.len(KEYS[*k]) > 0,
                Fut::Pat(p, _) => KEYS
                    .iter()
                    .any(|k| space.len(k) > 0 && pats[*p].matches_str(k)),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn with_pattern_takers_nothing_is_lost_duplicated_or_stranded(ops in proptest::collection::vec(op(), 1..150)) {
            let pats: Vec<Pattern> = PATTERNS.iter().map(|p| Pattern::parse(p).unwrap()).collect();
            let space = LocalSpace::<u64>::new();
            let mut next = 0u64;
            let mut got = Vec::new();
            let mut live: Vec<Waiter<'_>> = Vec::new();
            for op in ops {
                match op {
                    Op::Out(k) => {
                        space.try_push(KEYS[k], next).unwrap();
                        next += 1;
                    }
                    Op::TryTake(k) => got.extend(space.try_take(KEYS[k])),
                    Op::TryTakeMatching(p) => got.extend(space.try_take_matching(&pats[p]).map(|(_, v)| v)),
                    Op::NewTake(k) => live.push(Waiter { fut: Fut::Key(k, Manual::new(space.take(KEYS[k]))), parked: false }),
                    Op::NewTakeMatching(p) => live.push(Waiter { fut: Fut::Pat(p, Manual::new(space.take_matching(&pats[p]))), parked: false }),
                    Op::Poll(i) if !live.is_empty() => {
                        let i = i % live.len();
                        if live[i].poll(&mut got) {
                            live.swap_remove(i);
                        }
                    }
                    Op::Drop(i) if !live.is_empty() => {
                        live.swap_remove(i % live.len());
                    }
                    Op::RunWoken => {
                        let mut i = 0;
                        while i < live.len() {
                            if live[i].woken() && live[i].poll(&mut got) {
                                live.swap_remove(i);
                            } else {
                                i += 1;
                            }
                        }
                    }
                    _ => {}
                }
            }
            loop {
                let mut progressed = false;
                let mut i = 0;
                while i < live.len() {
                    if live[i].woken() {
                        progressed = true;
                        if live[i].poll(&mut got) {
                            live.swap_remove(i);
                            continue;
                        }
                    }
                    i += 1;
                }
                if !progressed {
                    break;
                }
            }
            for w in &live {
                prop_assert!(!(w.parked && w.could_take(&space, &pats)), "a taker sleeps next to an entry it could take");
            }
            drop(live);
            for key in KEYS {
                while let Some(v) = space.try_take(key) {
                    got.push(v);
                }
            }
            got.sort_unstable();
            prop_assert_eq!(got, (0..next).collect::<Vec<_>>(), "every value exactly once");
            prop_assert_eq!(format!("{:?}", space), "LocalSpace { keys: 0, total_len: 0, closed: false }");
        }
    }
}

#[test]
fn futures_are_fused_and_work_in_select() {
    use futures::future::FusedFuture;
    let space = LocalSpace::<u32>::new();
    space.try_push("b", 2).unwrap();
    futures::executor::block_on(async {
        let mut a = std::pin::pin!(space.take("a"));
        let mut b = std::pin::pin!(space.take("b"));
        let got = futures::select! {
            v = a => ("a", v),
            v = b => ("b", v),
        };
        assert_eq!(got, ("b", Ok(2)));
        assert!(b.is_terminated());
        assert!(!a.is_terminated());
    });
    // A take polled again after it resolved takes nothing more.
    space.try_push("k", 1).unwrap();
    space.try_push("k", 2).unwrap();
    let mut t = Manual::new(space.take("k"));
    assert_eq!(t.poll(), Poll::Ready(Ok(1)));
    assert!(t.poll().is_pending());
    assert_eq!(space.len("k"), 1);
}

#[test]
fn every_lock_of_the_seam_drives_the_space() {
    use lindy::sync::{CriticalSectionRawMutex, NoopRawMutex};
    fn exercise<R: lindy::sync::RawMutex>(space: &LocalSpace<u32, R>) {
        space.try_push("k", 1).unwrap();
        let mut t = Manual::new(space.take("k"));
        assert_eq!(t.poll(), Poll::Ready(Ok(1)));
        let mut t = Manual::new(space.take("k"));
        assert!(t.poll().is_pending());
        space.try_push("k", 2).unwrap();
        assert_eq!(t.wakes(), 1);
        assert_eq!(t.poll(), Poll::Ready(Ok(2)));
        space.close();
        assert_eq!(space.try_push("k", 3).unwrap_err().into_inner(), 3);
    }
    // What single-threaded wasm uses by default, and what a microcontroller uses.
    exercise(&LocalSpace::<u32, NoopRawMutex>::new());
    exercise(&LocalSpace::<u32, CriticalSectionRawMutex>::new());
}

mod key_handle {
    //! A [`Key`](lindy::space::Key) handle carries its key's hash into the engine: mixed freely
    //! with the `&str` operations, across keys leaving and re-entering the table, table growth and
    //! `shrink_to_fit`, it must behave exactly like naming the key.
    use super::*;
    use proptest::prelude::*;
    use std::collections::{HashMap, VecDeque};

    const KEYS: [&str; 4] = [
        "jobs",
        "",
        "public:app.a-rather-long-key-name-beyond-inline",
        "b",
    ];

    #[derive(Clone, Debug)]
    enum Op {
        PushByHandle(usize),
        PushByName(usize),
        TakeByHandle(usize),
        TakeByName(usize),
        TakeFutureByHandle(usize),
        /// Fills the table with other keys and drains them: growth, eviction, the spare queue.
        Churn(u8),
        Shrink,
    }

    fn op() -> impl Strategy<Value = Op> {
        let k = 0..KEYS.len();
        prop_oneof![
            3 => k.clone().prop_map(Op::PushByHandle),
            2 => k.clone().prop_map(Op::PushByName),
            3 => k.clone().prop_map(Op::TakeByHandle),
            2 => k.clone().prop_map(Op::TakeByName),
            1 => k.prop_map(Op::TakeFutureByHandle),
            1 => any::<u8>().prop_map(Op::Churn),
            1 => Just(Op::Shrink),
        ]
    }

    proptest! {
        #[test]
        fn a_key_handle_agrees_with_naming_the_key(ops in proptest::collection::vec(op(), 1..200)) {
            let space = LocalSpace::<u32>::new();
            // Handles made first, on an empty space (the table's hasher is seeded by the first).
            let handles: Vec<_> = KEYS.iter().map(|k| space.key(k)).collect();
            let mut model: HashMap<&str, VecDeque<u32>> = HashMap::new();
            let mut next = 0u32;
            for op in ops {
                match op {
                    Op::PushByHandle(k) | Op::PushByName(k) => {
                        next += 1;
                        if matches!(op, Op::PushByHandle(_)) {
                            handles[k].try_push(next).unwrap();
                        } else {
                            space.try_push(KEYS[k], next).unwrap();
                        }
                        model.entry(KEYS[k]).or_default().push_back(next);
                    }
                    Op::TakeByHandle(k) => {
                        let want = model.entry(KEYS[k]).or_default().pop_front();
                        prop_assert_eq!(handles[k].try_take(), want);
                    }
                    Op::TakeByName(k) => {
                        let want = model.entry(KEYS[k]).or_default().pop_front();
                        prop_assert_eq!(space.try_take(KEYS[k]), want);
                    }
                    Op::TakeFutureByHandle(k) => {
                        let want = model.entry(KEYS[k]).or_default().pop_front();
                        let mut f = Manual::new(handles[k].take());
                        match (f.poll(), want) {
                            (Poll::Ready(got), Some(w)) => prop_assert_eq!(got, Ok(w)),
                            (Poll::Pending, None) => {
                                // Waiting: a push by name reaches the handle's taker.
                                next += 1;
                                space.try_push(KEYS[k], next).unwrap();
                                prop_assert!(f.woken());
                                prop_assert_eq!(f.poll(), Poll::Ready(Ok(next)));
                            }
                            (got, want) => prop_assert!(false, "take gave {:?}, want {:?}", got, want),
                        }
                    }
                    Op::Churn(n) => {
                        let others: Vec<String> = (0..n).map(|i| format!("churn.{i}")).collect();
                        for o in &others {
                            space.try_push(o, 0).unwrap();
                        }
                        for o in &others {
                            prop_assert_eq!(space.try_take(o), Some(0));
                        }
                    }
                    Op::Shrink => space.shrink_to_fit(),
                }
                for (k, h) in KEYS.iter().zip(&handles) {
                    let want = model.get(k).map_or(0, VecDeque::len);
                    prop_assert_eq!(h.len(), want);
                    prop_assert_eq!(space.len(k), want);
                }
                prop_assert_eq!(space.total_len(), model.values().map(VecDeque::len).sum::<usize>());
            }
        }
    }

    #[test]
    fn key_handles_hand_off_across_threads() {
        let space = Arc::new(LocalSpace::<u32>::new());
        let consumer = {
            let space = space.clone();
            thread::spawn(move || {
                let jobs = space.key("jobs");
                (0..10_000)
                    .map(|_| jobs.take_blocking().unwrap())
                    .collect::<Vec<_>>()
            })
        };
        let jobs = space.key("jobs");
        (0..10_000).for_each(|i| jobs.try_push(i).unwrap());
        assert_eq!(consumer.join().unwrap(), (0..10_000).collect::<Vec<_>>());
        assert!(jobs.is_empty());
    }
}

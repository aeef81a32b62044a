//! Ring behaviour beyond the unit tests: a model-based property test against `VecDeque`, the
//! waiting API under `futures::executor` and tokio, Stream/Sink, blocking threads, `Send + Sync`.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use futures::{Sink, SinkExt, StreamExt};
use lindy::ring::{
    HeapRing, LockingHeapRing, LockingRing, Push, Ring, RingBase, RingSink, RingStream, Storage,
    Take, TryPushError, TryTakeError,
};
use lindy::{Closed, Full};
use proptest::prelude::*;

// ---------------------------------------------------------------- model-based property test

#[derive(Clone, Debug)]
enum Op {
    Push(u16),
    Pop,
    Overwrite(u16),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => any::<u16>().prop_map(Op::Push),
        4 => Just(Op::Pop),
        2 => any::<u16>().prop_map(Op::Overwrite),
        1 => Just(Op::Clear),
    ]
}

/// Applies `ops` to `ring` and to a `VecDeque` model of the same capacity, comparing after each.
fn check_against_model<S: Storage<u16> + ?Sized>(
    ring: &mut RingBase<u16, S>,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let cap = ring.capacity();
    let mut model: VecDeque<u16> = VecDeque::new();
    for op in ops {
        match *op {
            Op::Push(v) => {
                let got = ring.try_push(v);
                if model.len() < cap {
                    model.push_back(v);
                    prop_assert_eq!(got, Ok(()));
                } else {
                    prop_assert_eq!(got, Err(Full(v)));
                }
            }
            Op::Pop => prop_assert_eq!(ring.try_take(), model.pop_front()),
            Op::Overwrite(v) => {
                let evicted = if model.len() == cap {
                    model.pop_front()
                } else {
                    None
                };
                model.push_back(v);
                prop_assert_eq!(ring.push_overwrite(v), evicted);
            }
            Op::Clear => {
                ring.clear();
                model.clear();
            }
        }
        prop_assert_eq!(ring.len(), model.len());
        prop_assert_eq!(ring.is_empty(), model.is_empty());
        prop_assert_eq!(ring.is_full(), model.len() == cap);
        prop_assert_eq!(ring.front(), model.front());
        prop_assert_eq!(ring.back(), model.back());
        prop_assert!(ring.iter().eq(model.iter()));
        prop_assert!(ring.iter().rev().eq(model.iter().rev()));
        let (a, b) = ring.as_slices();
        prop_assert!(a.iter().chain(b).eq(model.iter()));
    }
    Ok(())
}

proptest! {
    #[test]
    fn ring_behaves_like_a_bounded_vecdeque(ops in proptest::collection::vec(op(), 0..300)) {
        let mut ring: Ring<u16, 7> = Ring::new();
        check_against_model(&mut ring, &ops)?;
        let mut pow2: Ring<u16, 8> = Ring::new(); // the masking fast path
        check_against_model(&mut pow2, &ops)?;
        let mut one: Ring<u16, 1> = Ring::new();
        check_against_model(one.as_mut_view(), &ops)?;
    }

    #[test]
    fn heap_ring_behaves_like_a_bounded_vecdeque(
        cap in 1usize..12,
        ops in proptest::collection::vec(op(), 0..300),
    ) {
        let mut ring = HeapRing::with_capacity(cap).unwrap();
        check_against_model(&mut ring, &ops)?;
    }
}

// ------------------------------------------- LockingRing against a model, from any start state

#[derive(Clone, Debug)]
enum SharedOp {
    TryPush(u16),
    TryTake,
    /// A `push` future polled once with a no-op waker, then dropped or (if it finished) done.
    PushPolledOnce(u16),
    /// A `take` future polled once, then dropped.
    TakePolledOnce,
    Close,
}

fn shared_op() -> impl Strategy<Value = SharedOp> {
    prop_oneof![
        4 => any::<u16>().prop_map(SharedOp::TryPush),
        4 => Just(SharedOp::TryTake),
        2 => any::<u16>().prop_map(SharedOp::PushPolledOnce),
        2 => Just(SharedOp::TakePolledOnce),
        1 => Just(SharedOp::Close),
    ]
}

/// Runs `ops` on a locking ring that starts as `start` (a plain ring whose positions may have
/// wrapped) and on a `VecDeque` model; compares every answer, `len`, and what `into_inner` hands
/// back at the end.
fn check_locking_against_model<S: Storage<u16>>(
    start: RingBase<u16, S>,
    ops: &[SharedOp],
) -> Result<(), TestCaseError> {
    let cap = start.capacity();
    let mut model: VecDeque<u16> = start.iter().copied().collect();
    let mut closed = false;
    let ring: lindy::ring::LockingRingBase<u16, S> = start.into();
    let mut cx = Context::from_waker(Waker::noop());
    for op in ops {
        match *op {
            SharedOp::TryPush(v) => match ring.try_push(v) {
                Ok(()) => {
                    prop_assert!(!closed && model.len() < cap);
                    model.push_back(v);
                }
                Err(TryPushError::Full(back)) => {
                    prop_assert!(!closed && model.len() == cap && back == v)
                }
                Err(TryPushError::Closed(back)) => prop_assert!(closed && back == v),
            },
            SharedOp::TryTake => match ring.try_take() {
                Ok(v) => prop_assert_eq!(Some(v), model.pop_front()),
                Err(TryTakeError::Empty) => prop_assert!(!closed && model.is_empty()),
                Err(TryTakeError::Closed) => prop_assert!(closed && model.is_empty()),
            },
            SharedOp::PushPolledOnce(v) => {
                let mut push = ring.push(v);
                match Pin::new(&mut push).poll(&mut cx) {
                    Poll::Ready(Ok(())) => {
                        prop_assert!(!closed && model.len() < cap);
                        model.push_back(v);
                    }
                    Poll::Ready(Err(Closed(back))) => prop_assert!(closed && back == v),
                    Poll::Pending => {
                        prop_assert!(!closed && model.len() == cap);
                        prop_assert_eq!(push.cancel(), Some(v));
                    }
                }
            }
            SharedOp::TakePolledOnce => {
                let mut take = ring.take();
                match Pin::new(&mut take).poll(&mut cx) {
                    Poll::Ready(Some(v)) => prop_assert_eq!(Some(v), model.pop_front()),
                    Poll::Ready(None) => prop_assert!(closed && model.is_empty()),
                    Poll::Pending => prop_assert!(!closed && model.is_empty()),
                }
            }
            SharedOp::Close => {
                prop_assert_eq!(ring.close(), !closed);
                closed = true;
            }
        }
        prop_assert_eq!(ring.len(), model.len());
        prop_assert_eq!(ring.is_closed(), closed);
    }
    let back = ring.into_inner();
    prop_assert!(back.iter().eq(model.iter()));
    Ok(())
}

/// A plain ring holding `fill` values after `shift` push/take rounds (so its positions wrapped).
fn start_state<S: Storage<u16>>(
    mut ring: RingBase<u16, S>,
    shift: usize,
    fill: usize,
) -> RingBase<u16, S> {
    for i in 0..shift {
        ring.push_overwrite(i as u16);
        ring.try_take();
    }
    for i in 0..fill.min(ring.capacity()) {
        ring.try_push(1000 + i as u16).unwrap();
    }
    ring
}

proptest! {
    #[test]
    fn locking_ring_behaves_like_a_bounded_vecdeque(
        shift in 0usize..20,
        fill in 0usize..9,
        ops in proptest::collection::vec(shared_op(), 0..200),
    ) {
        check_locking_against_model(start_state(Ring::<u16, 7>::new(), shift, fill), &ops)?;
        check_locking_against_model(start_state(Ring::<u16, 8>::new(), shift, fill), &ops)?;
        check_locking_against_model(start_state(Ring::<u16, 1>::new(), shift, fill), &ops)?;
    }

    #[test]
    fn locking_heap_ring_behaves_like_a_bounded_vecdeque(
        cap in 1usize..12,
        shift in 0usize..30,
        fill in 0usize..12,
        ops in proptest::collection::vec(shared_op(), 0..200),
    ) {
        let start = start_state(HeapRing::with_capacity(cap).unwrap(), shift, fill);
        check_locking_against_model(start, &ops)?;
    }
}

// ---------------------------------------------------------------- shared-ring static checks

#[test]
fn shared_types_are_send_and_sync_on_std() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Ring<String, 4>>();
    send_sync::<HeapRing<String>>();
    send_sync::<LockingRing<String, 4>>();
    send_sync::<LockingHeapRing<String>>();
    send::<Push<'static, String, [std::mem::MaybeUninit<String>; 4]>>();
    send::<Take<'static, String, [std::mem::MaybeUninit<String>; 4]>>();
    send::<RingStream<'static, String, [std::mem::MaybeUninit<String>; 4]>>();
    send::<RingSink<'static, String, [std::mem::MaybeUninit<String>; 4]>>();
}

// ---------------------------------------------------------------- futures::executor

/// Spawns `fut` on `pool` and runs until nothing can progress, so the task is parked (or done).
fn spawn_parked<F: Future<Output = ()> + 'static>(pool: &mut LocalPool, fut: F) {
    pool.spawner().spawn_local(fut).unwrap();
    pool.run_until_stalled();
}

#[test]
fn waiting_consumers_are_served_in_fifo_order() {
    let ring: Arc<LockingRing<u32, 4>> = Arc::new(LockingRing::new());
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut pool = LocalPool::new();
    for id in 0..3u32 {
        let (ring, order) = (ring.clone(), order.clone());
        spawn_parked(&mut pool, async move {
            let v = ring.take().await.unwrap();
            order.lock().unwrap().push((id, v));
        });
    }
    assert!(order.lock().unwrap().is_empty(), "all three are waiting");
    for v in 10..13 {
        ring.try_push(v).unwrap();
    }
    pool.run_until_stalled();
    assert_eq!(*order.lock().unwrap(), [(0, 10), (1, 11), (2, 12)]);
}

#[test]
fn waiting_producers_are_served_in_fifo_order() {
    let ring: Arc<LockingRing<u32, 1>> = Arc::new(LockingRing::new());
    ring.try_push(0).unwrap();
    let mut pool = LocalPool::new();
    for v in 1..=3u32 {
        let ring = ring.clone();
        spawn_parked(&mut pool, async move { ring.push(v).await.unwrap() });
    }
    let mut got = vec![];
    for _ in 0..4 {
        got.push(ring.try_take().unwrap()); // frees the slot: the oldest producer fills it
        pool.run_until_stalled();
    }
    assert_eq!(got, [0, 1, 2, 3]);
    assert_eq!(ring.try_take(), Err(TryTakeError::Empty));
}

#[test]
fn close_wakes_every_waiter_and_hands_values_back() {
    let empty: Arc<LockingRing<String, 1>> = Arc::new(LockingRing::new());
    let full: Arc<LockingHeapRing<String>> = Arc::new(LockingHeapRing::with_capacity(1).unwrap());
    full.try_push("kept".into()).unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let mut pool = LocalPool::new();
    for i in 0..3 {
        let (empty, full) = (empty.clone(), full.clone());
        spawn_parked(&mut pool, {
            let done = done.clone();
            async move {
                assert_eq!(empty.take().await, None);
                done.fetch_add(1, Ordering::SeqCst);
            }
        });
        spawn_parked(&mut pool, {
            let done = done.clone();
            async move {
                let value = format!("v{i}");
                let Err(Closed(back)) = full.push(value.clone()).await else {
                    panic!("push into a closed ring must fail");
                };
                assert_eq!(back, value, "the value is handed back");
                done.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    assert_eq!(done.load(Ordering::SeqCst), 0);
    assert!(empty.close());
    assert!(full.close());
    pool.run_until_stalled();
    assert_eq!(
        done.load(Ordering::SeqCst),
        6,
        "every waiter woke and finished"
    );
    assert_eq!(
        full.try_take().as_deref(),
        Ok("kept"),
        "values inside survive close"
    );
}

#[test]
fn woken_then_dropped_pop_hands_the_value_to_the_next_waiter_futures_executor() {
    let ring: Arc<LockingRing<u32, 2>> = Arc::new(LockingRing::new());
    let mut first = Box::pin(ring.take());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(first.as_mut().poll(&mut cx).is_pending(), "first in line");

    let got = Arc::new(AtomicUsize::new(0));
    let mut pool = LocalPool::new();
    let (r, g) = (ring.clone(), got.clone());
    spawn_parked(&mut pool, async move {
        g.store(r.take().await.unwrap() as usize, Ordering::SeqCst);
    });
    ring.try_push(42).unwrap(); // wakes `first`, not the task
    pool.run_until_stalled();
    assert_eq!(got.load(Ordering::SeqCst), 0, "the task was not woken");
    drop(first); // cancelled after its wake-up: must pass it on
    pool.run_until_stalled();
    assert_eq!(
        got.load(Ordering::SeqCst),
        42,
        "the next waiter got the value"
    );
}

#[test]
fn woken_then_dropped_push_hands_the_room_to_the_next_producer() {
    let ring: Arc<LockingRing<u32, 1>> = Arc::new(LockingRing::new());
    ring.try_push(0).unwrap();
    let mut first = Box::pin(ring.push(1));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(first.as_mut().poll(&mut cx).is_pending());

    let mut pool = LocalPool::new();
    let r = ring.clone();
    spawn_parked(&mut pool, async move { r.push(2).await.unwrap() });
    assert_eq!(ring.try_take(), Ok(0)); // room: wakes `first`
    pool.run_until_stalled();
    assert_eq!(ring.len(), 0, "the second producer was not woken yet");
    drop(first);
    pool.run_until_stalled();
    assert_eq!(ring.try_take(), Ok(2), "the second producer got the room");
}

#[test]
fn stream_and_sink_round_trip() {
    let ring: LockingRing<u32, 2> = LockingRing::new();
    let (sent, got) = futures::executor::block_on(async {
        let produce = futures::stream::iter(0..500).map(Ok).forward(ring.sink());
        let consume = ring.stream().collect::<Vec<u32>>();
        futures::join!(produce, consume)
    });
    sent.unwrap();
    assert_eq!(got, (0..500).collect::<Vec<_>>());
    assert!(ring.is_closed(), "closing the sink closes the ring");
}

#[test]
fn stream_is_fused_and_sink_hands_values_back_when_closed() {
    use futures::stream::FusedStream;
    let ring: LockingRing<u32, 1> = LockingRing::new();
    futures::executor::block_on(async {
        let mut sink = ring.sink();
        sink.send(1).await.unwrap();
        let mut stream = ring.stream();
        assert_eq!(stream.next().await, Some(1));
        ring.close();
        assert_eq!(stream.next().await, None);
        assert!(stream.is_terminated());
        assert_eq!(stream.next().await, None);
        let err = sink.send(2).await.unwrap_err();
        assert_eq!((err.code(), err.into_inner()), ("CLOSED", 2));
    });
}

#[test]
fn sink_holds_one_value_when_another_producer_took_the_room() {
    let ring: LockingRing<u32, 1> = LockingRing::new();
    let mut sink = ring.sink();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(matches!(
        Pin::new(&mut sink).poll_ready(&mut cx),
        Poll::Ready(Ok(()))
    ));
    ring.try_push(0).unwrap(); // another producer fills the ring in between
    Pin::new(&mut sink).start_send(1).unwrap(); // held, not lost
    let again = Pin::new(&mut sink).start_send(2).unwrap_err(); // poll_ready was skipped
    assert!(matches!(again, TryPushError::Full(2)));
    assert!(Pin::new(&mut sink).poll_flush(&mut cx).is_pending());
    assert_eq!(ring.try_take(), Ok(0));
    assert!(matches!(
        Pin::new(&mut sink).poll_flush(&mut cx),
        Poll::Ready(Ok(()))
    ));
    assert_eq!(ring.try_take(), Ok(1));
}

// ---------------------------------------------------------------- tokio, multi-thread

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_many_producers_and_consumers_lose_nothing() {
    const PRODUCERS: u32 = 4;
    const PER: u32 = 2_000;
    let ring: Arc<LockingRing<u32, 8>> = Arc::new(LockingRing::new());
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let ring = ring.clone();
            tokio::spawn(async move {
                let mut got = vec![];
                while let Some(v) = ring.take().await {
                    got.push(v);
                }
                got
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let ring = ring.clone();
            tokio::spawn(async move {
                for i in 0..PER {
                    ring.push(p * PER + i).await.unwrap();
                }
            })
        })
        .collect();
    for p in producers {
        p.await.unwrap();
    }
    ring.close();
    let mut all = vec![];
    for c in consumers {
        let got = c.await.unwrap();
        // Each producer's values reach any one consumer in the order they were pushed.
        for p in 0..PRODUCERS {
            let mine: Vec<u32> = got.iter().copied().filter(|v| v / PER == p).collect();
            assert!(mine.windows(2).all(|w| w[0] < w[1]), "FIFO per producer");
        }
        all.extend(got);
    }
    all.sort_unstable();
    assert_eq!(all, (0..PRODUCERS * PER).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_cancelled_pops_lose_no_value() {
    // Consumers race every pop against a yield, so pops are cancelled at arbitrary points,
    // including after being woken for a value.
    let ring: Arc<LockingRing<u32, 4>> = Arc::new(LockingRing::new());
    let consumers: Vec<_> = (0..3)
        .map(|_| {
            let ring = ring.clone();
            tokio::spawn(async move {
                let mut got = vec![];
                loop {
                    tokio::select! {
                        v = ring.take() => match v {
                            Some(v) => got.push(v),
                            None => return got,
                        },
                        _ = tokio::task::yield_now() => {}
                    }
                }
            })
        })
        .collect();
    for v in 0..3_000 {
        ring.push(v).await.unwrap();
    }
    ring.close();
    let mut all = vec![];
    for c in consumers {
        all.extend(c.await.unwrap());
    }
    all.sort_unstable();
    assert_eq!(all, (0..3_000).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_woken_then_dropped_pop_hands_the_wake_up_on() {
    let ring: Arc<LockingRing<u32, 2>> = Arc::new(LockingRing::new());
    // Boxed so `drop(first)` really drops the future (dropping a `pin!` reference would not).
    let mut first = Box::pin(ring.take());
    assert!(futures::poll!(first.as_mut()).is_pending(), "first in line");

    // A second consumer task parks behind it and reports once it is parked.
    let (parked_tx, parked_rx) = tokio::sync::oneshot::channel();
    let second = tokio::spawn({
        let ring = ring.clone();
        async move {
            let mut pop = pin!(ring.take());
            let mut parked_tx = Some(parked_tx);
            std::future::poll_fn(|cx| {
                let poll = pop.as_mut().poll(cx);
                if poll.is_pending() {
                    if let Some(tx) = parked_tx.take() {
                        let _ = tx.send(());
                    }
                }
                poll
            })
            .await
        }
    });
    parked_rx.await.unwrap();
    ring.try_push(7).unwrap(); // wakes `first` (the oldest waiter) only
    drop(first); // cancelled before taking it: the wake-up must reach `second`
                 // The task is only re-polled if woken; a lost wake-up would hang here (guarded).
    let got = tokio::time::timeout(Duration::from_secs(60), second)
        .await
        .expect("the second consumer was never woken: the wake-up was lost")
        .unwrap();
    assert_eq!(got, Some(7));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_stream_sink_round_trip_across_tasks() {
    let ring: Arc<LockingHeapRing<u64>> = Arc::new(LockingHeapRing::with_capacity(3).unwrap());
    let consumer = tokio::spawn({
        let ring = ring.clone();
        async move {
            ring.stream()
                .fold(0u64, |acc, v| async move { acc + v })
                .await
        }
    });
    futures::stream::iter(1..=1_000u64)
        .map(Ok)
        .forward(ring.sink())
        .await
        .unwrap();
    assert_eq!(consumer.await.unwrap(), 500_500);
}

// ---------------------------------------------------------------- blocking threads

#[test]
fn blocking_spsc_threads_keep_fifo_order() {
    let ring: LockingRing<u32, 4> = LockingRing::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            for v in 0..20_000 {
                ring.push_blocking(v).unwrap();
            }
            ring.close();
        });
        let mut expected = 0;
        while let Some(v) = ring.take_blocking() {
            assert_eq!(v, expected);
            expected += 1;
        }
        assert_eq!(expected, 20_000);
    });
    assert_eq!(ring.push_blocking(1), Err(Closed(1)));
}

#[test]
fn close_releases_blocked_threads() {
    let empty: LockingRing<u32, 1> = LockingRing::new();
    let full: LockingRing<u32, 1> = LockingRing::new();
    full.try_push(0).unwrap();
    std::thread::scope(|s| {
        let popper = s.spawn(|| empty.take_blocking());
        let pusher = s.spawn(|| full.push_blocking(5));
        // Whether they are parked yet or not, close must release them.
        empty.close();
        full.close();
        assert_eq!(popper.join().unwrap(), None);
        assert_eq!(pusher.join().unwrap(), Err(Closed(5)));
    });
}

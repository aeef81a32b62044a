//! Behaviour of the stream hub: boundaries, backpressure, EOF, queue and persistent readers,
//! replay, broadcast, lifecycle, two executors, cancel-safety.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures::executor::block_on;
use futures::stream::FusedStream;
use futures::StreamExt;
use lindy::stream::{Bytes, StreamOptions, Streams, TryRecvError, TryWriteError};

type Hub = Streams;

fn hub(buffer: usize, persistent: bool) -> Hub {
    Streams::with_options(
        StreamOptions::new()
            .buffer_size(buffer)
            .persistent(persistent),
    )
}

/// A waker that counts its wake-ups.
struct Counter(AtomicUsize);
impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
fn counting_waker() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter(AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>, w: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(w))
}

// ---------------------------------------------------------------- configuration and paths

#[test]
fn config_from_a_string_map_like_the_seed_registry() {
    let mut map = HashMap::new();
    map.insert("buffer_size".to_owned(), "100".to_owned());
    map.insert("persistent".to_owned(), "true".to_owned());
    let h: Hub = Streams::from_config(&map).unwrap();
    assert_eq!(h.options().buffer_len(), 100);
    assert!(h.options().is_persistent());

    let bad = BTreeMap::from([("buffer_size", "100"), ("persistant", "true")]);
    let err = Hub::from_config(bad).unwrap_err();
    assert_eq!(err.code(), "INVALID_CONFIG");
    assert!(err.to_string().contains("persistant"), "{err}");
    for pairs in [
        [("buffer_size", "-1")],
        [("persistent", "maybe")],
        [("replay_bytes", "x")],
    ] {
        assert_eq!(
            Hub::from_config(pairs).unwrap_err().code(),
            "INVALID_CONFIG"
        );
    }
}

#[test]
fn empty_paths_are_invalid_and_a_closed_hub_refuses_handles() {
    let h = Hub::new();
    assert_eq!(h.writer("").unwrap_err().code(), "INVALID_PATH");
    assert_eq!(h.reader("").unwrap_err().code(), "INVALID_PATH");
    h.close();
    h.close(); // harmless
    assert!(h.is_closed());
    let err = h.writer("a").unwrap_err();
    assert_eq!(err.code(), "CLOSED");
    assert!(err.to_string().contains("hub is closed"), "{err}");
    assert_eq!(h.reader("a").unwrap_err().code(), "CLOSED");
}

#[test]
fn exists_list_count_and_delete() {
    let h = Hub::new();
    for p in ["b/2", "a", "b/1", "c", "b/10"] {
        drop(h.reader(p).unwrap());
    }
    assert!(h.exists("a") && !h.exists("b"));
    assert_eq!(h.channel_count(), 5);
    assert_eq!(h.list("b/"), ["b/1", "b/10", "b/2"]);
    assert_eq!(h.list(""), ["a", "b/1", "b/10", "b/2", "c"]);
    assert!(h.list("zz").is_empty());
    assert_eq!(h.delete("a"), Some(0));
    assert_eq!(h.delete("a"), None);
    assert_eq!(h.channel_count(), 4);
    h.close();
    assert_eq!(h.channel_count(), 0);
}

// ---------------------------------------------------------------- messages

#[test]
fn one_write_is_one_read_even_for_empty_messages() {
    let h = Hub::new();
    let w = h.writer("p").unwrap();
    let mut r = h.reader("p").unwrap();
    block_on(async {
        w.write("first").await.unwrap();
        w.write(Bytes::new()).await.unwrap();
        w.write(vec![1u8, 2, 3]).await.unwrap();
    });
    drop(w);
    let got: Vec<Bytes> = block_on(r.by_ref().collect());
    assert_eq!(got, [&b"first"[..], b"", &[1, 2, 3]]);
    assert!(r.is_terminated());
}

#[test]
fn a_short_read_buffer_keeps_the_rest_for_the_next_read() {
    let h = Hub::new();
    let w = h.writer("p").unwrap();
    let mut r = h.reader("p").unwrap();
    w.try_write("abcdefg").unwrap();
    w.try_write("xy").unwrap();
    drop(w);
    block_on(async {
        let mut buf = [0u8; 3];
        let mut chunks = Vec::new();
        while let Some(n) = r.read(&mut buf).await {
            chunks.push(String::from_utf8(buf[..n].to_vec()).unwrap());
        }
        // A read never spans two messages.
        assert_eq!(chunks, ["abc", "def", "g", "xy"]);
        assert_eq!(r.read(&mut buf).await, None, "EOF stays EOF");
    });
}

#[test]
fn recv_returns_the_rest_of_a_partly_read_message() {
    let h = Hub::new();
    let w = h.writer("p").unwrap();
    let mut r = h.reader("p").unwrap();
    w.try_write("hello").unwrap();
    block_on(async {
        let mut buf = [0u8; 2];
        assert_eq!(r.read(&mut buf).await, Some(2));
        assert_eq!(r.remaining(), 3);
        assert_eq!(r.recv().await.unwrap(), "llo");
        let mut none = [0u8; 0];
        w.try_write("z").unwrap();
        assert_eq!(
            r.read(&mut none).await,
            Some(0),
            "a zero-length buffer consumes nothing"
        );
        assert_eq!(r.recv().await.unwrap(), "z");
    });
}

// ---------------------------------------------------------------- backpressure and EOF

#[test]
fn write_waits_for_room_and_try_write_hands_the_message_back() {
    let h = hub(2, false);
    let w = h.writer("p").unwrap();
    let mut r = h.reader("p").unwrap();
    w.try_write("1").unwrap();
    w.try_write("2").unwrap();
    let err = w.try_write("3").unwrap_err();
    assert!(err.is_full());
    assert_eq!(err.code(), "BUFFER_FULL");
    assert_eq!(err.into_inner(), "3");

    let (woken, waker) = counting_waker();
    let mut write = pin!(w.write("3"));
    assert!(poll_once(write.as_mut(), &waker).is_pending());
    assert_eq!(h.stats("p").unwrap().waiting_writers, 1);
    assert_eq!(r.try_recv(), Ok(Bytes::from("1")));
    assert_eq!(
        woken.0.load(Ordering::SeqCst),
        1,
        "a read wakes a waiting writer"
    );
    assert_eq!(poll_once(write.as_mut(), &waker), Poll::Ready(Ok(())));
    let rest: Vec<_> = std::iter::from_fn(|| r.try_recv().ok()).collect();
    assert_eq!(rest, ["2", "3"]);
}

#[test]
fn eof_after_the_last_writer_closes_and_the_buffer_drains() {
    let h = Hub::new();
    let mut w1 = h.writer("p").unwrap();
    let w2 = w1.clone();
    let mut r = h.reader("p").unwrap();
    w1.try_write("a").unwrap();
    w1.close();
    w1.close(); // harmless
    assert!(w1.is_closed());
    assert_eq!(w1.try_write("x").unwrap_err().code(), "CLOSED");
    assert_eq!(r.try_recv(), Ok(Bytes::from("a")));
    assert_eq!(
        r.try_recv(),
        Err(TryRecvError::Empty),
        "another writer is still open"
    );
    w2.try_write("b").unwrap();
    drop(w2);
    assert_eq!(r.try_recv(), Ok(Bytes::from("b")));
    assert_eq!(r.try_recv(), Err(TryRecvError::Closed), "EOF");
    assert!(h.stats("p").unwrap().ended);
    let err = h.writer("p").unwrap_err();
    assert_eq!(err.code(), "CLOSED");
    assert!(err.to_string().contains("delete it"), "{err}");
    h.delete("p");
    assert!(h.writer("p").is_ok(), "a deleted name can be reused");
}

#[test]
fn a_waiting_reader_wakes_with_eof_when_the_writer_closes() {
    let h = Hub::new();
    let w = h.writer("p").unwrap();
    let mut r = h.reader("p").unwrap();
    let (woken, waker) = counting_waker();
    let mut recv = pin!(r.recv());
    assert!(poll_once(recv.as_mut(), &waker).is_pending());
    drop(w);
    assert_eq!(woken.0.load(Ordering::SeqCst), 1);
    assert_eq!(poll_once(recv.as_mut(), &waker), Poll::Ready(None));
}

#[test]
fn delete_wakes_readers_with_eof_and_fails_writers() {
    let h = hub(1, false);
    let w = h.writer("p").unwrap();
    let mut r1 = h.reader("p").unwrap();
    let mut r2 = h.reader("p").unwrap();
    let (w1, k1) = counting_waker();
    let (w2, k2) = counting_waker();
    let mut f1 = pin!(r1.recv());
    let mut f2 = pin!(r2.recv());
    assert!(poll_once(f1.as_mut(), &k1).is_pending());
    assert!(poll_once(f2.as_mut(), &k2).is_pending());
    assert_eq!(h.delete("p"), Some(0));
    assert_eq!(
        (w1.0.load(Ordering::SeqCst), w2.0.load(Ordering::SeqCst)),
        (1, 1)
    );
    assert_eq!(poll_once(f1.as_mut(), &k1), Poll::Ready(None));
    assert_eq!(poll_once(f2.as_mut(), &k2), Poll::Ready(None));
    let back = block_on(w.write("late")).unwrap_err();
    assert_eq!(back.into_inner(), "late");
    assert!(!h.exists("p"));
}

#[test]
fn delete_drops_unread_messages_and_says_how_many() {
    let h = Hub::new();
    let w = h.writer("p").unwrap();
    let mut r = h.reader("p").unwrap();
    for m in ["a", "b", "c"] {
        w.try_write(m).unwrap();
    }
    assert_eq!(h.delete("p"), Some(3));
    assert_eq!(
        r.try_recv(),
        Err(TryRecvError::Closed),
        "EOF at once, not after draining"
    );
}

#[test]
fn hub_close_lets_readers_drain_then_eof() {
    let h = Hub::new();
    let w = h.writer("p").unwrap();
    let mut r = h.reader("p").unwrap();
    w.try_write("kept").unwrap();
    h.close();
    assert!(w.is_closed());
    assert!(matches!(w.try_write("x"), Err(TryWriteError::Closed(_))));
    assert_eq!(r.try_recv(), Ok(Bytes::from("kept")));
    assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
}

// ---------------------------------------------------------------- queue and persistent readers

#[test]
fn queue_readers_compete_each_message_goes_to_one() {
    let h = Hub::new();
    let w = h.writer("jobs").unwrap();
    let mut a = h.reader("jobs").unwrap();
    let mut b = h.reader("jobs").unwrap();
    for i in 0..10u8 {
        w.try_write(vec![i]).unwrap();
    }
    drop(w);
    let mut seen = Vec::new();
    loop {
        let (x, y) = (a.try_recv(), b.try_recv());
        assert!(!matches!(x, Err(TryRecvError::Empty)) && !matches!(y, Err(TryRecvError::Empty)));
        if x.is_err() && y.is_err() {
            break;
        }
        seen.extend(x.into_iter().chain(y).map(|m| m[0]));
    }
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
}

#[test]
fn late_persistent_reader_replays_with_boundaries_then_live_without_duplicates() {
    let h = hub(100, true);
    let w = h.writer("data").unwrap();
    w.try_write("message 1").unwrap();
    w.try_write("message 2").unwrap();
    w.try_write("").unwrap();

    let mut late = h.reader("data").unwrap();
    assert_eq!(late.try_recv(), Ok(Bytes::from("message 1")));
    w.try_write("live 1").unwrap(); // written mid-replay
    let mut rest = Vec::new();
    while let Ok(m) = late.try_recv() {
        rest.push(m);
    }
    assert_eq!(rest, [&b"message 2"[..], b"", b"live 1"]);
    w.try_write("live 2").unwrap();
    assert_eq!(late.try_recv(), Ok(Bytes::from("live 2")));
    assert_eq!(late.try_recv(), Err(TryRecvError::Empty), "nothing twice");
    assert_eq!(late.missed(), 0);
}

#[test]
fn every_persistent_reader_sees_every_message_and_the_fixture_use_case_works() {
    let h = hub(10, true);
    let mut early = h.reader("input").unwrap();
    let mut w = h.writer("input").unwrap();
    w.try_write("test data").unwrap();
    w.try_write("more").unwrap();
    w.close();
    // Readers can get the data after the writer closed.
    let mut late = h.reader("input").unwrap();
    for r in [&mut early, &mut late] {
        let got: Vec<Bytes> = block_on(r.collect());
        assert_eq!(got, ["test data", "more"]);
    }
}

#[test]
fn replay_is_bounded_by_the_byte_cap_and_reports_what_was_missed() {
    // Each message weighs its length + 32 bytes: 10-byte messages weigh 42; a cap of 130
    // keeps the last 3.
    let h: Hub = Streams::with_options(
        StreamOptions::new()
            .persistent(true)
            .buffer_size(4)
            .replay_bytes(130),
    );
    let w = h.writer("p").unwrap();
    for i in 0..10u8 {
        w.try_write(vec![i; 10]).unwrap(); // no reader: never waits
    }
    assert_eq!(h.stats("p").unwrap().held, 3);
    assert!(h.stats("p").unwrap().history_bytes <= 130);
    let mut late = h.reader("p").unwrap();
    assert_eq!(late.missed(), 0);
    let first = late.try_recv().unwrap();
    assert_eq!(first[0], 7);
    assert_eq!(
        late.missed(),
        7,
        "told before the first message after the gap"
    );
    w.try_write(vec![10; 10]).unwrap();
    let rest: Vec<u8> = std::iter::from_fn(|| late.try_recv().ok())
        .map(|m| m[0])
        .collect();
    assert_eq!(rest, [8, 9, 10]);
}

#[test]
fn history_dropped_mid_replay_is_counted_at_the_gap() {
    // Room for 4 messages of history (10 bytes + 32 each).
    let h: Hub = Streams::with_options(
        StreamOptions::new()
            .persistent(true)
            .buffer_size(100)
            .replay_bytes(42 * 4),
    );
    let mut slow = h.reader("p").unwrap();
    let w = h.writer("p").unwrap();
    for i in 0..6u8 {
        w.try_write(vec![i; 10]).unwrap(); // all live for `slow`: protected, not history
    }
    let mut r = h.reader("p").unwrap(); // joins late: 0..6 is history for r
    assert_eq!(r.try_recv().unwrap()[0], 0);
    // `slow` catches up: 0..6 becomes history, 6 messages > the cap of 4, so the two oldest
    // go, and r has not replayed 1 yet.
    let seen_by_slow: Vec<u8> = std::iter::from_fn(|| slow.try_recv().ok())
        .map(|m| m[0])
        .collect();
    assert_eq!(seen_by_slow, [0, 1, 2, 3, 4, 5]);
    assert_eq!(h.stats("p").unwrap().held, 4);
    let next = r.try_recv().unwrap();
    assert_eq!((next[0], r.missed()), (2, 1), "skipped 1, and says so");
    let rest: Vec<u8> = std::iter::from_fn(|| r.try_recv().ok())
        .map(|m| m[0])
        .collect();
    assert_eq!(rest, [3, 4, 5]);
    assert_eq!(r.missed(), 1);
}

#[test]
fn persistent_writers_wait_for_the_slowest_live_reader_not_for_replay() {
    let h = hub(2, true);
    let w = h.writer("p").unwrap();
    for i in 0..5u8 {
        w.try_write(vec![i]).unwrap(); // no readers: history only
    }
    let mut slow = h.reader("p").unwrap();
    // The late reader has 5 messages of history to replay but is 0 live messages behind.
    w.try_write(vec![5]).unwrap();
    w.try_write(vec![6]).unwrap();
    assert!(
        w.try_write(vec![7]).unwrap_err().is_full(),
        "2 live messages behind"
    );
    // Replaying history does not make room...
    for i in 0..5u8 {
        assert_eq!(slow.try_recv().unwrap()[0], i);
        assert!(w.try_write(vec![7]).unwrap_err().is_full());
    }
    // ...reading a live message does.
    assert_eq!(slow.try_recv().unwrap()[0], 5);
    w.try_write(vec![7]).unwrap();
    // A reader that leaves stops holding writers back.
    drop(slow);
    for i in 8..20u8 {
        w.try_write(vec![i]).unwrap();
    }
}

// ---------------------------------------------------------------- broadcast

#[test]
fn broadcast_reaches_every_path_under_the_prefix_and_skips_full_and_ended_ones() {
    let h = hub(1, false);
    let mut readers: Vec<_> = (0..3)
        .map(|i| h.reader(&format!("subscriber/{i}")).unwrap())
        .collect();
    let _other = h.reader("subscriberX").unwrap();
    let _unrelated = h.reader("other/1").unwrap();
    // subscriber/1 is full; subscriber/2 has ended.
    let w1 = h.writer("subscriber/1").unwrap();
    w1.try_write("backlog").unwrap();
    drop(h.writer("subscriber/2").unwrap());

    let report = h.broadcast("subscriber/", "event data");
    assert_eq!((report.delivered, report.full, report.closed), (1, 1, 1));
    assert_eq!((report.matched(), report.skipped()), (3, 2));
    assert_eq!(readers[0].try_recv(), Ok(Bytes::from("event data")));
    assert_eq!(readers[1].try_recv(), Ok(Bytes::from("backlog")));
    assert_eq!(
        readers[1].try_recv(),
        Err(TryRecvError::Empty),
        "the full path was skipped, not blocked on"
    );
    assert_eq!(readers[2].try_recv(), Err(TryRecvError::Closed));
    assert_eq!(h.stats("subscriberX").unwrap().held, 0);

    let everyone = h.broadcast("", "all");
    assert_eq!(everyone.matched(), 5);
}

#[test]
fn broadcast_to_persistent_paths_is_replayed_too() {
    let h = hub(10, true);
    drop(h.reader("t/a").unwrap());
    assert_eq!(h.broadcast("t/", "hello").delivered, 1);
    let mut late = h.reader("t/a").unwrap();
    assert_eq!(late.try_recv(), Ok(Bytes::from("hello")));
}

// ---------------------------------------------------------------- executors

async fn pipeline(h: Hub, n: u32) -> Vec<u32> {
    let w = h.writer("stage1").unwrap();
    let producer = async move {
        for i in 0..n {
            w.write(i.to_le_bytes().to_vec()).await.unwrap();
        }
    };
    let mut r = h.reader("stage1").unwrap();
    let consumer = async move {
        let mut got = Vec::new();
        while let Some(m) = r.recv().await {
            got.push(u32::from_le_bytes(m[..].try_into().unwrap()));
        }
        got
    };
    futures::join!(producer, consumer).1
}

#[test]
fn pipeline_under_futures_executor_thread_pool() {
    let pool = futures::executor::ThreadPool::builder()
        .pool_size(2)
        .create()
        .unwrap();
    let h = hub(4, false);
    let w = h.writer("p").unwrap();
    let mut r = h.reader("p").unwrap();
    let (tx, rx) = futures::channel::oneshot::channel();
    pool.spawn_ok(async move {
        let mut got = Vec::new();
        while let Some(m) = r.recv().await {
            got.push(m[0]);
        }
        tx.send(got).unwrap();
    });
    pool.spawn_ok(async move {
        for i in 0..200u8 {
            w.write(vec![i]).await.unwrap();
        }
    });
    let got = block_on(rx).unwrap();
    assert_eq!(got, (0..200).collect::<Vec<u8>>());
    assert_eq!(
        block_on(pipeline(hub(3, false), 500)),
        (0..500).collect::<Vec<_>>()
    );
}

#[test]
fn pipeline_under_tokio_multi_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let h = hub(4, true);
        let w = h.writer("p").unwrap();
        let readers: Vec<_> = (0..3).map(|_| h.reader("p").unwrap()).collect();
        let tasks: Vec<_> = readers
            .into_iter()
            .map(|r| tokio::spawn(async move { r.map(|m| m[0]).collect::<Vec<u8>>().await }))
            .collect();
        tokio::spawn(async move {
            for i in 0..100u8 {
                w.write(vec![i]).await.unwrap();
            }
        });
        for t in tasks {
            assert_eq!(
                t.await.unwrap(),
                (0..100).collect::<Vec<u8>>(),
                "each reader, all"
            );
        }
        assert_eq!(
            tokio::spawn(pipeline(hub(2, false), 300)).await.unwrap(),
            (0..300).collect::<Vec<_>>()
        );
    });
}

// ---------------------------------------------------------------- cancel-safety

#[test]
fn cancelled_woken_reader_hands_the_message_on_futures_executor() {
    let h = Hub::new();
    let w = h.writer("p").unwrap();
    let mut first = h.reader("p").unwrap();
    let mut second = h.reader("p").unwrap();
    let (_c, noop) = counting_waker();
    // `first` parks first, so it is the one notified by the write.
    let mut f = Box::pin(first.recv());
    assert!(poll_once(f.as_mut(), &noop).is_pending());
    let pool = futures::executor::ThreadPool::builder()
        .pool_size(1)
        .create()
        .unwrap();
    let (tx, rx) = futures::channel::oneshot::channel();
    pool.spawn_ok(async move {
        tx.send(second.recv().await).unwrap();
    });
    while h.stats("p").unwrap().waiting_readers < 2 {
        std::thread::yield_now();
    }
    w.try_write("only one").unwrap();
    drop(f); // woken, never polled again: the wake-up must reach `second`
    assert_eq!(block_on(rx).unwrap().unwrap(), "only one");
    assert_eq!(first.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn cancelled_woken_reader_hands_the_message_on_tokio() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let h = Hub::new();
        let w = h.writer("p").unwrap();
        let mut first = h.reader("p").unwrap();
        let mut second = h.reader("p").unwrap();
        let (parked_tx, parked_rx) = tokio::sync::oneshot::channel();
        let (written_tx, written_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            {
                let mut f = Box::pin(first.recv());
                std::future::poll_fn(|cx| {
                    assert!(f.as_mut().poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                parked_tx.send(()).unwrap();
                written_rx.await.unwrap();
                // `f` was woken by the write; it is dropped without being polled again.
            }
            first
        });
        parked_rx.await.unwrap();
        let second_task = tokio::spawn(async move { second.recv().await });
        while h.stats("p").unwrap().waiting_readers < 2 {
            tokio::task::yield_now().await;
        }
        w.try_write("only one").unwrap();
        written_tx.send(()).unwrap();
        let mut first = task.await.unwrap();
        assert_eq!(second_task.await.unwrap().unwrap(), "only one");
        assert_eq!(first.try_recv(), Err(TryRecvError::Empty));
    });
}

#[test]
fn cancelled_woken_writer_hands_the_room_on() {
    let h = hub(1, false);
    let w = h.writer("p").unwrap();
    let mut r = h.reader("p").unwrap();
    w.try_write("fill").unwrap();
    let (c1, k1) = counting_waker();
    let (c2, k2) = counting_waker();
    let mut first = Box::pin(w.write("first"));
    let mut second = Box::pin(w.write("second"));
    assert!(poll_once(first.as_mut(), &k1).is_pending());
    assert!(poll_once(second.as_mut(), &k2).is_pending());
    assert_eq!(r.try_recv(), Ok(Bytes::from("fill")));
    assert_eq!(c1.0.load(Ordering::SeqCst), 1);
    assert_eq!(c2.0.load(Ordering::SeqCst), 0);
    drop(first);
    assert_eq!(c2.0.load(Ordering::SeqCst), 1, "the room was handed on");
    assert_eq!(poll_once(second.as_mut(), &k2), Poll::Ready(Ok(())));
    assert_eq!(r.try_recv(), Ok(Bytes::from("second")));
}

#[test]
fn a_dropped_pending_recv_loses_nothing() {
    let h = Hub::new();
    let w = h.writer("p").unwrap();
    let mut r = h.reader("p").unwrap();
    let (_c, k) = counting_waker();
    {
        let mut f = pin!(r.recv());
        assert!(poll_once(f.as_mut(), &k).is_pending());
    }
    w.try_write("x").unwrap();
    assert_eq!(h.stats("p").unwrap().waiting_readers, 0);
    assert_eq!(r.try_recv(), Ok(Bytes::from("x")));
}

// ---------------------------------------------------------------- model-based properties

mod props {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Write(usize),
        Join,
        Read(usize),
        Leave(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            5 => (0..40usize).prop_map(Op::Write),
            1 => Just(Op::Join),
            5 => (0..4usize).prop_map(Op::Read),
            1 => (0..4usize).prop_map(Op::Leave),
        ]
    }

    fn msg(seq: u32, pad: usize) -> Vec<u8> {
        let mut m = seq.to_le_bytes().to_vec();
        m.resize(4 + pad, 0xAB);
        m
    }

    struct Tracked {
        reader: lindy::stream::Reader,
        joined_at: u32,
        last: Option<u32>,
        received: u64,
    }

    impl Tracked {
        /// Receives one message and checks it against everything before it.
        fn check(&mut self, m: Bytes, missed_before: u64) -> Result<(), TestCaseError> {
            let seq = u32::from_le_bytes(m[..4].try_into().unwrap());
            let expected_next = self.last.map_or(0, |l| l + 1);
            prop_assert!(
                seq >= expected_next,
                "out of order or duplicate: {seq} after {:?}",
                self.last
            );
            let gap = u64::from(seq - expected_next);
            prop_assert_eq!(
                self.reader.missed() - missed_before,
                gap,
                "gap not reported exactly"
            );
            if gap > 0 {
                prop_assert!(
                    seq - 1 < self.joined_at,
                    "a live message ({}) was dropped",
                    seq - 1
                );
            }
            self.last = Some(seq);
            self.received += 1;
            Ok(())
        }
    }

    proptest! {
        /// Persistent paths: every reader gets messages in order, each once; it misses only
        /// history that existed before it joined, and is told exactly how many; the history
        /// stays within the byte cap; writes are refused only when a reader is `buffer` live
        /// messages behind; at EOF every reader has reached the last message.
        #[test]
        fn persistent_paths_replay_exactly(
            buffer in 1..6usize,
            cap in 0..400usize,
            ops in proptest::collection::vec(op(), 0..120),
        ) {
            let h: Hub = Streams::with_options(
                StreamOptions::new().persistent(true).buffer_size(buffer).replay_bytes(cap),
            );
            let w = h.writer("p").unwrap();
            let mut readers: Vec<Tracked> = Vec::new();
            let mut written = 0u32;
            for op in ops {
                match op {
                    Op::Write(pad) => match w.try_write(msg(written, pad)) {
                        Ok(()) => written += 1,
                        Err(e) => {
                            prop_assert!(e.is_full());
                            let lag = readers.iter().map(|t| {
                                let read_to = t.last.map_or(0, |l| l + 1).max(t.joined_at);
                                written - read_to
                            }).max();
                            prop_assert_eq!(lag, Some(buffer as u32), "refused without a lagging reader");
                        }
                    },
                    Op::Join => readers.push(Tracked {
                        reader: h.reader("p").unwrap(),
                        joined_at: written,
                        last: None,
                        received: 0,
                    }),
                    Op::Read(i) if !readers.is_empty() => {
                        let n = readers.len();
                        let t = &mut readers[i % n];
                        let before = t.reader.missed();
                        if let Ok(m) = t.reader.try_recv() {
                            t.check(m, before)?;
                        }
                    }
                    Op::Leave(i) if !readers.is_empty() => {
                        let n = readers.len();
                        readers.remove(i % n);
                    }
                    _ => {}
                }
                prop_assert!(h.stats("p").unwrap().history_bytes <= cap);
            }
            drop(w);
            for t in &mut readers {
                loop {
                    let before = t.reader.missed();
                    match t.reader.try_recv() {
                        Ok(m) => t.check(m, before)?,
                        Err(TryRecvError::Closed) => break,
                        Err(TryRecvError::Empty) => prop_assert!(false, "no EOF after the writer closed"),
                    }
                }
                if written > t.joined_at {
                    prop_assert_eq!(t.last, Some(written - 1), "live messages all arrived");
                }
                prop_assert_eq!(t.received + t.reader.missed(), u64::from(written),
                    "every message was either received or reported missed");
            }
        }

        /// Queue paths: competing readers together receive every message exactly once, and
        /// each reader sees its share in write order.
        #[test]
        fn queue_paths_deliver_each_message_once(
            buffer in 1..6usize,
            ops in proptest::collection::vec(op(), 0..120),
        ) {
            let h = hub(buffer, false);
            let w = h.writer("p").unwrap();
            let mut readers = vec![h.reader("p").unwrap()];
            let mut written = 0u32;
            let mut got: Vec<Vec<u32>> = vec![Vec::new()];
            let mut leftovers = Vec::new();
            for op in ops {
                match op {
                    Op::Write(pad) => match w.try_write(msg(written, pad)) {
                        Ok(()) => written += 1,
                        Err(e) => prop_assert_eq!(h.stats("p").unwrap().held, buffer, "{:?}", e),
                    },
                    Op::Join => { readers.push(h.reader("p").unwrap()); got.push(Vec::new()); }
                    Op::Read(i) => {
                        let k = i % readers.len();
                        if let Ok(m) = readers[k].try_recv() {
                            got[k].push(u32::from_le_bytes(m[..4].try_into().unwrap()));
                        }
                    }
                    Op::Leave(i) if readers.len() > 1 => {
                        let k = i % readers.len();
                        readers.remove(k);
                        leftovers.extend(got.remove(k));
                    }
                    _ => {}
                }
            }
            drop(w);
            while let Ok(m) = readers[0].try_recv() {
                got[0].push(u32::from_le_bytes(m[..4].try_into().unwrap()));
            }
            for g in &got {
                prop_assert!(g.windows(2).all(|p| p[0] < p[1]));
            }
            let mut all: Vec<u32> = got.into_iter().flatten().chain(leftovers).collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..written).collect::<Vec<_>>());
        }
    }
}

// ---------------------------------------------------------------- pattern broadcast

#[test]
fn broadcast_matching_reaches_matching_channel_names_only_and_skips_full_ones() {
    use lindy::grammar::Pattern;
    let h = hub(1, false);
    let paths = [
        "public:chat.rooms.lobby",
        "public:chat.rooms.hall",
        "public:chat.dm.lobby",
        "public:chatter.rooms.lobby",
        "private:chat.rooms.lobby",
        "public:chat.rooms.lobby.typing",
        "chat/rooms/lobby", // not a channel name: never matched
    ];
    let mut readers: Vec<_> = paths.iter().map(|p| h.reader(p).unwrap()).collect();
    let pattern = Pattern::parse("public:chat.*.lobby").unwrap();

    let report = h.broadcast_matching(&pattern, "ping");
    assert_eq!((report.delivered, report.full, report.closed), (2, 0, 0));
    let got: Vec<bool> = readers
        .iter_mut()
        .map(|r| r.try_recv() == Ok(Bytes::from("ping")))
        .collect();
    assert_eq!(got, [true, false, true, false, false, false, false]);

    // A full reader is skipped, not waited on; an ended path counts as closed.
    let w = h.writer("public:chat.rooms.lobby").unwrap();
    w.try_write("backlog").unwrap();
    drop(h.writer("public:chat.dm.lobby").unwrap());
    let report = h.broadcast_matching(&pattern, "again");
    assert_eq!((report.delivered, report.full, report.closed), (0, 1, 1));
    assert_eq!(readers[0].try_recv(), Ok(Bytes::from("backlog")));

    let deep = Pattern::parse("public:chat.**").unwrap();
    assert_eq!(h.broadcast_matching(&deep, "all").matched(), 4);
}

/// A message whose owner inspects the hub when dropped: it must be dropped outside every
/// lock (a re-entrant lock would panic).
struct Reentrant {
    hub: Hub,
    drops: Arc<AtomicUsize>,
}
impl AsRef<[u8]> for Reentrant {
    fn as_ref(&self) -> &[u8] {
        b"owned"
    }
}
impl Drop for Reentrant {
    fn drop(&mut self) {
        let _ = self.hub.stats("p");
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn evicted_and_deleted_messages_are_dropped_outside_the_lock() {
    let drops = Arc::new(AtomicUsize::new(0));
    let h: Hub = Streams::with_options(StreamOptions::new().persistent(true).replay_bytes(0));
    let w = h.writer("p").unwrap();
    let msg = || {
        Bytes::from_owner(Reentrant {
            hub: h.clone(),
            drops: drops.clone(),
        })
    };
    w.try_write(msg()).unwrap(); // no reader, no history room: evicted at once
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    let _r = h.reader("p").unwrap();
    w.try_write(msg()).unwrap(); // protected for the reader
    assert_eq!(h.delete("p"), Some(1));
    assert_eq!(drops.load(Ordering::SeqCst), 2);
}

//! Behaviour of the file-backed store: the seed's behaviours, the seed's torn-tail defect, limits,
//! close, corruption, blocking pulls and their cancel-safety, group commit and poisoning.

use std::fs;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use lindy::error::codes;
use lindy::store::{
    replay, Durability, FaultStorage, FileStore, ReplayOptions, Store, StoreOptions,
};

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("store-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.join("queue.log")
}

fn drain(s: &FileStore, key: &str) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| s.try_take(key).unwrap()).collect()
}

#[test]
fn fifo_per_key() {
    let path = tmp("fifo");
    let s = FileStore::open(&path).unwrap();
    for i in 0..5u8 {
        s.push("a", &[i]).unwrap();
        s.push("b", &[10 + i]).unwrap();
    }
    assert_eq!(s.keys(), ["a", "b"]);
    assert_eq!(s.len("a"), 5);
    assert_eq!(s.len("nope"), 0);
    assert_eq!(
        drain(&s, "a"),
        (0..5u8).map(|i| vec![i]).collect::<Vec<_>>()
    );
    assert_eq!(s.keys(), ["b"]);
    assert_eq!(s.try_take("a").unwrap(), None);
    assert_eq!(s.peek("b"), Some(vec![10]));
}

#[test]
fn reopen_after_partial_pulls_keeps_the_rest_in_order() {
    let path = tmp("reopen");
    {
        let s = FileStore::open(&path).unwrap();
        assert!(s.open_report().created);
        for i in 0..10u8 {
            s.push("k", &[i]).unwrap();
        }
        for i in 0..4u8 {
            assert_eq!(s.try_take("k").unwrap(), Some(vec![i]));
        }
        // dropped without close: a crash
    }
    let s = FileStore::open(&path).unwrap();
    let rep = s.open_report();
    assert!(!rep.created);
    assert_eq!(
        (rep.records, rep.live_entries, rep.truncated_bytes),
        (14, 6, 0)
    );
    assert_eq!(
        drain(&s, "k"),
        (4..10u8).map(|i| vec![i]).collect::<Vec<_>>()
    );
}

#[test]
fn blocking_pull_is_woken_by_a_push_from_another_thread() {
    let path = tmp("blocking");
    let s = Arc::new(FileStore::open(&path).unwrap());
    let consumer = {
        let s = s.clone();
        std::thread::spawn(move || futures::executor::block_on(s.take("jobs")).unwrap())
    };
    // No sleep needed: whether the consumer registered yet or not, the entry reaches it.
    s.push("jobs", b"work").unwrap();
    assert_eq!(consumer.join().unwrap(), b"work");
    assert_eq!(s.len("jobs"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn producers_and_consumers_on_tokio_deliver_everything_exactly_once() {
    let path = tmp("tokio");
    let s = Arc::new(
        FileStore::open_with(
            &path,
            StoreOptions::new().with_durability(Durability::Never),
        )
        .unwrap(),
    );
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move {
                let mut got = vec![];
                for _ in 0..50 {
                    got.push(s.take("q").await.unwrap());
                }
                got
            })
        })
        .collect();
    let producers: Vec<_> = (0..4u8)
        .map(|p| {
            let s = s.clone();
            tokio::task::spawn_blocking(move || {
                for i in 0..50u8 {
                    s.push("q", &[p, i]).unwrap();
                }
            })
        })
        .collect();
    for p in producers {
        p.await.unwrap();
    }
    let mut all = vec![];
    for c in consumers {
        let got = c.await.unwrap();
        // Each producer's items reach any one consumer in push order.
        for p in 0..4u8 {
            let mine: Vec<u8> = got.iter().filter(|v| v[0] == p).map(|v| v[1]).collect();
            assert!(mine.windows(2).all(|w| w[0] < w[1]));
        }
        all.extend(got);
    }
    all.sort();
    let want: Vec<Vec<u8>> = (0..4u8)
        .flat_map(|p| (0..50u8).map(move |i| vec![p, i]))
        .collect();
    assert_eq!(all, want);
}

fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::pin::Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

struct Flag(AtomicBool);
impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_woken_pull_that_is_dropped_hands_the_wake_up_on() {
    let path = tmp("handon");
    let s = FileStore::open(&path).unwrap();
    let (fa, fb) = (
        Arc::new(Flag(AtomicBool::new(false))),
        Arc::new(Flag(AtomicBool::new(false))),
    );
    let (wa, wb) = (Waker::from(fa.clone()), Waker::from(fb.clone()));
    let mut a = Box::pin(s.take("k"));
    let mut b = Box::pin(s.take("k"));
    assert!(a.as_mut().poll(&mut Context::from_waker(&wa)).is_pending());
    assert!(b.as_mut().poll(&mut Context::from_waker(&wb)).is_pending());
    s.push("k", b"one").unwrap();
    assert!(fa.0.load(Ordering::SeqCst), "the first waiter is woken");
    assert!(!fb.0.load(Ordering::SeqCst));
    let written = s.stats().appended;
    drop(a); // cancelled after being woken: nothing taken, the entry passes on to b
    assert!(fb.0.load(Ordering::SeqCst), "the wake-up was handed on");
    assert_eq!(s.stats().appended, written, "a dropped pull writes nothing");
    // b takes the entry; under `Always` it then waits (Pending) for the committer thread's
    // fsync of its tombstone instead of blocking inside `poll`.
    assert_eq!(futures::executor::block_on(b).unwrap(), b"one");
}

#[tokio::test]
async fn cancel_safety_under_tokio() {
    let path = tmp("handon-tokio");
    let s = FileStore::open(&path).unwrap();
    let mut a = Box::pin(s.take("k"));
    let mut b = Box::pin(s.take("k"));
    assert!(futures::poll!(a.as_mut()).is_pending());
    assert!(futures::poll!(b.as_mut()).is_pending());
    s.push("k", b"one").unwrap();
    drop(a);
    assert_eq!(b.await.unwrap(), b"one");
    // A pull cancelled by a timeout removes nothing either.
    let r = tokio::time::timeout(std::time::Duration::from_millis(1), s.take("k")).await;
    assert!(r.is_err());
    s.push("k", b"two").unwrap();
    assert_eq!(s.take("k").await.unwrap(), b"two");
}

#[test]
fn compact_shrinks_the_file_and_reopen_keeps_live_entries_and_sequence() {
    let path = tmp("compact");
    let s = FileStore::open(&path).unwrap();
    for i in 0..100u8 {
        s.push(if i % 2 == 0 { "even" } else { "odd" }, &[i; 100])
            .unwrap();
    }
    for _ in 0..45 {
        s.try_take("even").unwrap().unwrap();
        s.try_take("odd").unwrap().unwrap();
    }
    let before = fs::metadata(&path).unwrap().len();
    s.compact().unwrap();
    let after = fs::metadata(&path).unwrap().len();
    assert!(after < before / 5, "{before} -> {after}");
    assert_eq!(after, s.stats().log_bytes);
    s.push("odd", b"late").unwrap();
    drop(s);
    let s = FileStore::open(&path).unwrap();
    assert_eq!(s.len("even"), 5);
    assert_eq!(s.peek("even"), Some(vec![90; 100]));
    assert_eq!(s.len("odd"), 6);
    // Sequence numbers survive compaction: strictly increasing in the file, the late push last.
    let r = replay(&fs::read(&path).unwrap(), ReplayOptions::default()).unwrap();
    let odd: Vec<u64> = r.queues["odd"].iter().map(|e| e.seq).collect();
    assert!(odd.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(*odd.last().unwrap(), 100);
    assert_eq!(r.next_seq, 101);
}

#[test]
fn compacting_everything_away_does_not_reuse_sequence_numbers() {
    let path = tmp("compact-empty");
    let s = FileStore::open(&path).unwrap();
    s.push("k", b"1").unwrap();
    s.try_take("k").unwrap();
    s.compact().unwrap();
    s.push("k", b"2").unwrap();
    drop(s);
    let r = replay(&fs::read(&path).unwrap(), ReplayOptions::default()).unwrap();
    assert_eq!(r.queues["k"][0].seq, 1);
}

#[test]
fn auto_compaction_kicks_in_past_the_dead_ratio() {
    let path = tmp("auto");
    let opts = StoreOptions::new()
        .with_durability(Durability::Never)
        .with_auto_compact(4096, 0.5);
    let s = FileStore::open_with(&path, opts).unwrap();
    for i in 0..200u32 {
        s.push("k", &i.to_le_bytes()).unwrap();
        if i >= 10 {
            s.try_take("k").unwrap().unwrap();
        }
    }
    let st = s.stats();
    assert!(st.compactions > 0);
    assert!(st.dead_ratio() <= 0.5 || st.log_bytes < 4096, "{st:?}");
    drop(s);
    let s = FileStore::open(&path).unwrap();
    assert_eq!(s.len("k"), 10);
    assert_eq!(s.peek("k"), Some(190u32.to_le_bytes().to_vec()));
}

#[test]
fn a_truncated_tail_is_dropped_and_reported() {
    let path = tmp("tail");
    let s = FileStore::open(&path).unwrap();
    s.push("k", b"first").unwrap();
    s.push("k", b"second").unwrap();
    let full = fs::metadata(&path).unwrap().len();
    drop(s);
    let f = fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(full - 3).unwrap();
    let s = FileStore::open(&path).unwrap();
    let rep = s.open_report();
    assert_eq!(rep.truncated_bytes, 32 + 1 + 6 - 3);
    assert_eq!(drain(&s, "k"), [b"first".to_vec()]);
}

#[test]
fn torn_tail_then_push_then_reopen_keeps_the_later_push() {
    // The seed's defect: it appended behind the torn bytes, so this push vanished at the next open.
    let path = tmp("torn-then-push");
    let s = FileStore::open(&path).unwrap();
    s.push("k", b"before").unwrap();
    drop(s);
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all_at_end(&[0x30, 0, 0, 0, 0xAB, 0xCD]); // half a record header
    let s = FileStore::open(&path).unwrap();
    assert_eq!(s.open_report().truncated_bytes, 6);
    s.push("k", b"after").unwrap();
    drop(s);
    let s = FileStore::open(&path).unwrap();
    assert_eq!(s.open_report().truncated_bytes, 0);
    assert_eq!(drain(&s, "k"), [b"before".to_vec(), b"after".to_vec()]);
}

trait WriteAtEnd {
    fn write_all_at_end(self, b: &[u8]);
}
impl WriteAtEnd for fs::File {
    fn write_all_at_end(mut self, b: &[u8]) {
        use std::io::Write;
        self.write_all(b).unwrap();
    }
}

#[test]
fn payloads_are_copied_in_and_out() {
    let path = tmp("copies");
    let s = FileStore::open(&path).unwrap();
    let mut buf = b"original".to_vec();
    s.push("k", &buf).unwrap();
    buf.fill(b'x');
    let mut peeked = s.peek("k").unwrap();
    peeked.fill(b'y');
    assert_eq!(s.peek("k").unwrap(), b"original");
    assert_eq!(s.try_take("k").unwrap().unwrap(), b"original");
}

#[test]
fn after_close_writes_fail_and_reads_answer() {
    let path = tmp("close");
    let s = FileStore::open(&path).unwrap();
    s.push("k", b"v").unwrap();
    let waiting = {
        let mut f = Box::pin(s.take("other"));
        assert!(poll_once(&mut f).is_pending());
        f
    };
    s.close().unwrap();
    s.close().unwrap(); // idempotent
    assert_eq!(
        futures::executor::block_on(waiting).unwrap_err().code(),
        codes::CLOSED
    );
    assert_eq!(s.push("k", b"w").unwrap_err().code(), codes::CLOSED);
    assert_eq!(s.compact().unwrap_err().code(), codes::CLOSED);
    assert_eq!(s.peek("k"), Some(b"v".to_vec()));
    assert_eq!(s.len("k"), 1);
    assert_eq!(s.keys(), ["k"]);
    assert!(s.is_closed());
    // The one close rule: takes drain what is queued (durably), then report CLOSED; the log is
    // released once drained, so it opens again in this process.
    assert!(
        FileStore::open(&path).is_err(),
        "still draining: still locked"
    );
    assert_eq!(s.try_take("k").unwrap(), Some(b"v".to_vec()));
    assert_eq!(s.try_take("k").unwrap_err().code(), codes::CLOSED);
    assert_eq!(
        futures::executor::block_on(s.take("k")).unwrap_err().code(),
        codes::CLOSED
    );
    let again = FileStore::open(&path).expect("drained: released");
    assert_eq!(
        again.len("k"),
        0,
        "the drained entry's tombstone is durable"
    );
}

#[test]
fn limits_reject_bad_keys_and_big_values_without_writing() {
    let path = tmp("limits");
    let opts = StoreOptions::new()
        .with_max_key_len(8)
        .with_max_value_len(16);
    let s = FileStore::open_with(&path, opts).unwrap();
    let len = fs::metadata(&path).unwrap().len();
    assert_eq!(s.push("", b"v").unwrap_err().code(), codes::KEY_INVALID);
    assert_eq!(
        s.push("123456789", b"v").unwrap_err().code(),
        codes::KEY_INVALID
    );
    assert_eq!(s.try_take("").unwrap_err().code(), codes::KEY_INVALID);
    let e = s.push("k", &[0; 17]).unwrap_err();
    assert_eq!(e.code(), codes::VALUE_TOO_LARGE);
    assert!(e.to_string().contains("17 bytes"), "{e}");
    assert_eq!(fs::metadata(&path).unwrap().len(), len, "nothing written");
    s.push("12345678", &[0; 16]).unwrap();
    // The limit functions are public, for the browser store to share.
    assert!(lindy::store::validate_key("k", lindy::store::DEFAULT_MAX_KEY_LEN).is_ok());
    assert!(lindy::store::validate_value(17, 16).is_err());
}

#[test]
fn corruption_in_the_middle_refuses_to_open_unless_salvaged() {
    let path = tmp("corrupt");
    let s = FileStore::open(&path).unwrap();
    for v in [b"aaaa", b"bbbb", b"cccc"] {
        s.push("k", v).unwrap();
    }
    drop(s);
    let mut bytes = fs::read(&path).unwrap();
    let second = 32 + 37; // header, then the first record (32 + key 1 + value 4)
    bytes[second + 34] ^= 0xFF; // a value byte of the second record
    fs::write(&path, &bytes).unwrap();
    let e = FileStore::open(&path).unwrap_err();
    assert_eq!(e.code(), codes::STORE_CORRUPT);
    assert_eq!(e.corrupt_offset(), Some(second as u64));
    assert!(e.to_string().contains(&format!("offset {second}")), "{e}");
    let s = FileStore::open_with(&path, StoreOptions::new().with_salvage(true)).unwrap();
    assert_eq!(s.open_report().skipped.len(), 1);
    assert_eq!(drain(&s, "k"), [b"aaaa".to_vec(), b"cccc".to_vec()]);
    drop(s);
    FileStore::open(&path).expect("salvage rewrote the log");
}

#[test]
fn a_damaged_header_is_corrupt_at_offset_zero() {
    let path = tmp("header");
    fs::write(&path, b"definitely not a lindy log, just some text").unwrap();
    let e = FileStore::open(&path).unwrap_err();
    assert_eq!(
        (e.code(), e.corrupt_offset()),
        (codes::STORE_CORRUPT, Some(0))
    );
}

#[test]
fn group_commit_shares_fsyncs_between_concurrent_pushers() {
    const WRITERS: usize = 8;
    let storage = FaultStorage::new();
    let store = Arc::new(
        Store::<FaultStorage>::with_storage(storage.clone(), StoreOptions::new()).unwrap(),
    );
    let record = 32 + 1 + 8;
    let all_appended = 32 + WRITERS * record;
    // Hold the first fsync open until every writer has appended: they must all ride on one more.
    let probe = storage.clone();
    let first = Arc::new(AtomicBool::new(true));
    storage.set_sync_hook(move || {
        if first.swap(false, Ordering::SeqCst) {
            while probe.contents().len() < all_appended {
                std::thread::yield_now();
            }
        }
    });
    let threads: Vec<_> = (0..WRITERS)
        .map(|i| {
            let store = store.clone();
            std::thread::spawn(move || store.push("k", &(i as u64).to_le_bytes()).unwrap())
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert!(
        storage.syncs() <= 2,
        "{} fsyncs for {WRITERS} pushes",
        storage.syncs()
    );
    let st = store.stats();
    assert_eq!((st.appended, st.durable), (WRITERS as u64, WRITERS as u64));
    // Every acknowledged push is in the durable image.
    let r = replay(&storage.power_loss(), ReplayOptions::default()).unwrap();
    assert_eq!(r.queues["k"].len(), WRITERS);
}

#[test]
fn a_failed_fsync_poisons_the_store_until_reopen() {
    let storage = FaultStorage::new();
    let store = Store::<FaultStorage>::with_storage(storage.clone(), StoreOptions::new()).unwrap();
    store.push("k", b"acked").unwrap();
    let mut waiting = Box::pin(store.take("other"));
    assert!(poll_once(&mut waiting).is_pending());
    storage.fail_sync(0);
    let e = store.push("k", b"failed").unwrap_err();
    // Its record is in the file and may be durable: the outcome is unknown, and says so.
    assert_eq!(e.code(), codes::STORE_POISONED);
    assert!(
        e.to_string().contains("outcome of this push is unknown"),
        "{e}"
    );
    assert!(store.is_poisoned());
    assert_eq!(store.len("k"), 2, "memory follows the file");
    // Every later write fails, even though the next fsync would "succeed" (fsyncgate).
    for e in [
        store.push("k", b"x").unwrap_err(),
        store.try_take("k").unwrap_err(),
        store.compact().unwrap_err(),
        futures::executor::block_on(waiting).unwrap_err(),
    ] {
        assert_eq!(e.code(), codes::STORE_POISONED, "{e}");
    }
    assert_eq!(store.peek("k"), Some(b"acked".to_vec()));
    store.close().unwrap();
    // Reopen from what the disk holds: the acknowledged push is there.
    let reopened = Store::<FaultStorage>::with_storage(
        FaultStorage::from_bytes(storage.power_loss()),
        StoreOptions::new(),
    )
    .unwrap();
    assert_eq!(reopened.try_take("k").unwrap(), Some(b"acked".to_vec()));
}

#[test]
fn interval_mode_flushes_in_the_background_and_never_mode_on_close() {
    let storage = FaultStorage::new();
    let opts = StoreOptions::new().with_durability(Durability::Interval(1));
    let store = Store::<FaultStorage>::with_storage(storage.clone(), opts).unwrap();
    store.push("k", b"v").unwrap();
    // Wait (bounded) for the flusher; no timing assertion, just progress.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while store.stats().durable < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the flusher never synced"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(
        replay(&storage.power_loss(), ReplayOptions::default())
            .unwrap()
            .queues["k"]
            .len(),
        1
    );
    drop(store);

    let storage = FaultStorage::new();
    let opts = StoreOptions::new().with_durability(Durability::Never);
    let store = Store::<FaultStorage>::with_storage(storage.clone(), opts).unwrap();
    store.push("k", b"v").unwrap();
    assert_eq!(storage.syncs(), 0);
    assert!(replay(&storage.power_loss(), ReplayOptions::default())
        .unwrap()
        .queues
        .is_empty());
    store.close().unwrap();
    assert_eq!(storage.syncs(), 1);
    assert_eq!(
        replay(&storage.power_loss(), ReplayOptions::default())
            .unwrap()
            .queues["k"]
            .len(),
        1
    );
}

#[test]
fn errors_carry_codes_and_messages() {
    let path = tmp("errors");
    let s = FileStore::open(&path).unwrap();
    let e = s.push("", b"").unwrap_err();
    assert_eq!(e.code(), "KEY_INVALID");
    assert_eq!(e.to_string(), "store key is empty");
    let e = FileStore::open(tmp("errors").parent().unwrap().join("missing-dir/q.log")).unwrap_err();
    assert_eq!(e.code(), "IO");
    assert!(e.to_string().contains("missing-dir"), "{e}");
}

#[test]
fn a_log_open_in_one_store_cannot_be_opened_by_another() {
    let path = tmp("lock");
    let s = FileStore::open(&path).unwrap();
    let e = FileStore::open(&path).unwrap_err();
    assert_eq!(e.code(), codes::IO);
    assert!(e.to_string().contains("locked"), "{e}");
    s.push("k", b"v").unwrap();
    drop(s);
    let s = FileStore::open(&path).expect("the lock is released on drop");
    assert_eq!(s.len("k"), 1);
}

/// `Never` with a write buffer through the shared store: records reach the file at sync points
/// (the group-commit path's `sync`, and `close`), and everything is there after a reopen.
#[test]
fn never_with_a_write_buffer_writes_at_sync_points() {
    let path = tmp("write-buffer");
    let opts = StoreOptions::new()
        .with_durability(Durability::Never)
        .with_write_buffer(4096);
    let s = FileStore::open_with(&path, opts.clone()).unwrap();
    for i in 0..1000u32 {
        s.push("k", &i.to_le_bytes()).unwrap();
    }
    let record = 32 + 1 + 4;
    let full = 32 + 1000 * record as u64;
    let on_disk = fs::metadata(&path).unwrap().len();
    assert!(
        on_disk < full && full - on_disk < 4096,
        "{on_disk} of {full}"
    );
    assert_eq!(s.stats().log_bytes, full);
    s.sync().unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), full);
    assert_eq!(s.try_take("k").unwrap(), Some(0u32.to_le_bytes().to_vec()));
    s.close().unwrap();
    drop(s);
    let s = FileStore::open_with(&path, opts).unwrap();
    assert_eq!(s.len("k"), 999);
    assert_eq!(s.peek("k"), Some(1u32.to_le_bytes().to_vec()));
    s.close().unwrap();
}

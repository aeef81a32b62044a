//! Behaviour of the batcher and the batch writer: the seed's cases, the split property, errors.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Context;

use lindy::batch::{
    Batch, BatchOptions, BatchWriter, Batcher, Client, Insert, Kind, ManualTimer, Message, Reason,
    StdTimer,
};
use lindy::ErrorCode;
use proptest::prelude::*;

fn ins(table: &str, rows: Vec<u32>, bytes: u64) -> Message<u32> {
    Message::insert(table, rows, bytes)
}

fn insert_rows(b: &Batch<u32>) -> (&str, &[u32]) {
    match b {
        Batch::Insert(i) => (&i.table, &i.rows),
        other => panic!("expected an insert batch, got {other:?}"),
    }
}

// ---------------------------------------------------------------- the seed's cases (batcher)

#[test]
fn a_new_message_type_flushes_the_previous_one() {
    let mut b = Batcher::new(BatchOptions::new().timeout_ms(3_600_000));
    b.push(Message::migrate("t1"), 0).unwrap();
    assert_eq!(b.ready_len(), 0, "a migration waits for more of its kind");
    assert_eq!(b.pending_rows(), 1);

    b.push(ins("t1", vec![1], 8), 1).unwrap();
    assert_eq!(
        b.take_with_reason(),
        Some((Batch::Migrate(vec!["t1".into()]), Reason::KindChange))
    );
    assert_eq!(b.pending_rows(), 1, "the insert is in flight, not flushed");

    b.push(Message::migrate("t1"), 2).unwrap();
    let (batch, reason) = b.take_with_reason().unwrap();
    assert_eq!(insert_rows(&batch), ("t1", &[1][..]));
    assert_eq!(reason, Reason::KindChange);

    b.push(Message::delete_stale("t1"), 3).unwrap();
    b.push(Message::delete_records("t2"), 4).unwrap();
    b.close();
    let rest: Vec<_> = b.drain().collect();
    assert_eq!(
        rest,
        vec![
            Batch::Migrate(vec!["t1".into()]),
            Batch::DeleteStale(vec!["t1".into()]),
            Batch::DeleteRecords(vec!["t2".into()]),
        ]
    );
}

#[test]
fn row_limit_commits_in_pairs() {
    let mut b = Batcher::new(BatchOptions::new().max_rows(2).timeout_ms(3_600_000));
    b.push(ins("t", vec![1], 8), 0).unwrap();
    assert_eq!((b.ready_len(), b.pending_rows()), (0, 1));
    b.push(ins("t", vec![2], 8), 0).unwrap();
    assert_eq!((b.ready_len(), b.pending_rows()), (1, 0));
    b.push(ins("t", vec![3], 8), 0).unwrap();
    assert_eq!((b.ready_len(), b.pending_rows()), (1, 1));
    let (batch, reason) = b.take_with_reason().unwrap();
    assert_eq!(insert_rows(&batch), ("t", &[1, 2][..]));
    assert_eq!(reason, Reason::Rows);
}

#[test]
fn timeout_flush_is_driven_by_now() {
    let mut b = Batcher::new(BatchOptions::new().max_rows(50).timeout_ms(1_000));
    assert_eq!(b.poll_timeout(), None, "nothing pending, no deadline");
    b.push(ins("t", vec![1], 8), 100).unwrap();
    assert_eq!(b.poll_timeout(), Some(1_100));
    b.handle_timeout(1_099);
    assert_eq!((b.ready_len(), b.pending_rows()), (0, 1));
    b.handle_timeout(1_100);
    let (batch, reason) = b.take_with_reason().unwrap();
    assert_eq!(insert_rows(&batch), ("t", &[1][..]));
    assert_eq!(reason, Reason::Timeout);
    assert_eq!(b.poll_timeout(), None);
}

#[test]
fn a_push_first_completes_what_timed_out() {
    let mut b = Batcher::new(BatchOptions::new().timeout_ms(10));
    b.push(ins("t", vec![1], 8), 0).unwrap();
    b.push(ins("t", vec![2], 8), 10).unwrap(); // the first batch timed out at 10
    assert_eq!(insert_rows(&b.take().unwrap()), ("t", &[1][..]));
    assert_eq!(b.poll_timeout(), Some(20));
}

#[test]
fn deadlines_are_per_batch_and_time_never_runs_backwards() {
    let mut b = Batcher::new(BatchOptions::new().timeout_ms(10));
    b.push(ins("a", vec![1], 8), 0).unwrap();
    b.push(ins("b", vec![2], 8), 5).unwrap();
    assert_eq!(b.poll_timeout(), Some(10));
    b.handle_timeout(10);
    assert_eq!(insert_rows(&b.take().unwrap()).0, "a");
    assert_eq!(b.poll_timeout(), Some(15));
    b.push(ins("c", vec![3], 8), 3).unwrap(); // an old `now` counts as 10
    b.handle_timeout(15);
    assert_eq!(insert_rows(&b.take().unwrap()).0, "b");
    assert_eq!(b.poll_timeout(), Some(20));
}

#[test]
fn no_timeout_mode_never_flushes_on_time() {
    let mut b = Batcher::new(BatchOptions::new().max_rows(50).timeout_ms(0));
    b.push(ins("t", vec![1], 8), 0).unwrap();
    b.handle_timeout(u64::MAX);
    assert_eq!(b.poll_timeout(), None);
    assert_eq!((b.ready_len(), b.pending_rows()), (0, 1));
    b.flush();
    assert_eq!(b.take_with_reason().unwrap().1, Reason::Flush);
}

#[test]
fn upserts_are_not_deduplicated() {
    let mut b = Batcher::new(BatchOptions::new().max_rows(2).timeout_ms(3_600_000));
    b.push(ins("t", vec![7], 8), 0).unwrap();
    assert_eq!(b.ready_len(), 0);
    b.push(ins("t", vec![7], 8), 0).unwrap();
    assert_eq!(insert_rows(&b.take().unwrap()), ("t", &[7, 7][..]));
}

// ---------------------------------------------------------------- limits, splitting, lifecycle

#[test]
fn inserts_batch_per_table() {
    let mut b = Batcher::new(BatchOptions::new().max_rows(2));
    b.push(ins("a", vec![1], 1), 0).unwrap();
    b.push(ins("b", vec![2], 1), 0).unwrap();
    b.push(ins("a", vec![3], 1), 0).unwrap();
    assert_eq!(insert_rows(&b.take().unwrap()), ("a", &[1, 3][..]));
    assert_eq!(b.pending_rows(), 1);
    b.flush();
    assert_eq!(insert_rows(&b.take().unwrap()), ("b", &[2][..]));
}

#[test]
fn a_large_insert_is_split_by_bytes_proportionally() {
    let mut b = Batcher::new(BatchOptions::new().max_bytes(100).timeout_ms(0));
    b.push(ins("t", vec![0, 1], 40), 0).unwrap(); // 20 bytes a row
    b.push(ins("t", (2..10).collect(), 160), 0).unwrap(); // 3 rows fit in the 60 bytes left
    let (first, reason) = b.take_with_reason().unwrap();
    assert_eq!(insert_rows(&first).1, &[0, 1, 2, 3, 4]);
    assert_eq!((first.bytes(), reason), (100, Reason::Bytes));
    b.close();
    let rest: Vec<_> = b.drain().collect();
    assert_eq!(insert_rows(&rest[0]).1, &[5, 6, 7, 8, 9]);
    assert_eq!(rest[0].bytes(), 100);
    assert_eq!(rest.len(), 1);
}

#[test]
fn a_row_above_the_byte_limit_travels_alone() {
    let mut b = Batcher::new(BatchOptions::new().max_bytes(10).timeout_ms(0));
    b.push(ins("t", vec![1], 4), 0).unwrap();
    b.push(ins("t", vec![2, 3], 50), 0).unwrap(); // 25 bytes each
    let got: Vec<_> = b
        .drain()
        .map(|x| (insert_rows(&x).1.to_vec(), x.bytes()))
        .collect();
    assert_eq!(
        got,
        vec![(vec![1], 4), (vec![2], 25), (vec![3], 25)],
        "the small batch completes, then each big row alone"
    );
}

#[test]
fn row_and_byte_limits_combine() {
    let mut b = Batcher::new(
        BatchOptions::new()
            .max_rows(3)
            .max_bytes(1_000)
            .timeout_ms(0),
    );
    b.push(ins("t", (0..7).collect(), 70), 0).unwrap();
    let sizes: Vec<_> = b.drain().map(|x| x.len()).collect();
    assert_eq!(sizes, [3, 3]);
    assert_eq!(b.pending_rows(), 1);
}

#[test]
fn unlimited_rows_and_bytes() {
    let mut b = Batcher::new(BatchOptions::new().max_rows(0).max_bytes(0).timeout_ms(0));
    for i in 0..1_000 {
        b.push(ins("t", vec![i], u64::MAX / 2), 0).unwrap();
    }
    assert_eq!(b.ready_len(), 0);
    b.close();
    assert_eq!(b.take().unwrap().len(), 1_000);
}

#[test]
fn non_insert_batches_obey_the_row_limit_and_keep_repeats() {
    let mut b = Batcher::new(BatchOptions::new().max_rows(2));
    for t in ["a", "b", "a"] {
        b.push(Message::<u32>::migrate(t), 0).unwrap();
    }
    assert_eq!(
        b.take_with_reason(),
        Some((Batch::Migrate(vec!["a".into(), "b".into()]), Reason::Rows))
    );
    assert_eq!(b.pending_rows(), 1);
}

#[test]
fn empty_inserts_add_nothing_but_change_the_kind() {
    let mut b = Batcher::new(BatchOptions::new());
    b.push(Message::migrate("t"), 0).unwrap();
    b.push(ins("t", vec![], 0), 0).unwrap();
    assert_eq!(b.take(), Some(Batch::Migrate(vec!["t".into()])));
    assert_eq!(b.pending_rows(), 0);
    assert_eq!(b.pending_kind(), Some(Kind::Insert));
    b.close();
    assert_eq!(b.take(), None);
}

#[test]
fn close_completes_everything_and_refuses_more() {
    let mut b = Batcher::new(BatchOptions::new());
    b.push(ins("t", vec![1, 2], 16), 0).unwrap();
    b.close();
    b.close();
    assert!(b.is_closed());
    let refused = b.push(ins("t", vec![3], 8), 0).unwrap_err();
    assert_eq!(refused.code(), "CLOSED");
    assert_eq!(refused.into_inner(), ins("t", vec![3], 8), "handed back");
    assert_eq!(b.take_with_reason().unwrap().1, Reason::Close);
    assert_eq!(b.take(), None);
}

/// One step of a random batcher workload.
#[derive(Clone, Debug)]
enum Step {
    Insert {
        table: usize,
        rows: usize,
        bytes: u64,
    },
    Migrate(usize),
    Advance(u64),
    Flush,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..3usize, 0..40usize, 0..400u64).prop_map(|(table, rows, bytes)| Step::Insert { table, rows, bytes }),
        1 => (0..3usize).prop_map(Step::Migrate),
        2 => (0..50u64).prop_map(Step::Advance),
        1 => Just(Step::Flush),
    ]
}

proptest! {
    /// Whatever the limits and the workload: no row is lost or duplicated, rows of a table come
    /// out in the order they went in, bytes add up, every batch is within the limits (a batch
    /// above the byte limit holds exactly one row), and no batch is empty.
    #[test]
    fn splitting_loses_nothing_and_respects_limits(
        max_rows in 0..12usize,
        max_bytes in 0..150u64,
        timeout in 0..60u64,
        steps in proptest::collection::vec(step(), 0..60),
    ) {
        let opts = BatchOptions::new().max_rows(max_rows).max_bytes(max_bytes).timeout_ms(timeout);
        let mut b = Batcher::new(opts);
        let mut now = 0u64;
        let mut next_row = 0u32;
        let mut sent: HashMap<String, (Vec<u32>, u64)> = HashMap::new();
        let mut got: HashMap<String, (Vec<u32>, u64)> = HashMap::new();
        let check = |b: &mut Batcher<u32>, got: &mut HashMap<String, (Vec<u32>, u64)>| -> Result<(), TestCaseError> {
            while let Some(batch) = b.take() {
                prop_assert!(!batch.is_empty());
                if max_rows != 0 {
                    prop_assert!(batch.len() <= max_rows, "{} rows > {max_rows}", batch.len());
                }
                if let Batch::Insert(Insert { table, rows, bytes }) = batch {
                    prop_assert!(max_bytes == 0 || bytes <= max_bytes || rows.len() == 1,
                        "{bytes} bytes in {} rows > {max_bytes}", rows.len());
                    let e = got.entry(table).or_default();
                    e.0.extend(rows);
                    e.1 += bytes;
                }
            }
            Ok(())
        };
        for s in steps {
            match s {
                Step::Insert { table, rows, bytes } => {
                    let table = format!("t{table}");
                    let ids: Vec<u32> = (next_row..next_row + rows as u32).collect();
                    next_row += rows as u32;
                    let e = sent.entry(table.clone()).or_default();
                    e.0.extend(&ids);
                    e.1 += bytes;
                    b.push(Message::insert(table, ids, bytes), now).unwrap();
                }
                Step::Migrate(t) => b.push(Message::migrate(format!("t{t}")), now).unwrap(),
                Step::Advance(ms) => { now += ms; b.handle_timeout(now); }
                Step::Flush => b.flush(),
            }
            if let Some(d) = b.poll_timeout() {
                prop_assert!(d > now, "a deadline already passed was not acted on");
            }
            check(&mut b, &mut got)?;
        }
        b.close();
        check(&mut b, &mut got)?;
        prop_assert_eq!(b.pending_rows(), 0);
        sent.retain(|_, v| !v.0.is_empty());
        // Bytes of row-less inserts have no row to ride on.
        for v in sent.values_mut() { v.1 = 0; }
        for v in got.values_mut() { v.1 = 0; }
        prop_assert_eq!(&sent, &got);
    }

    /// Byte totals are exact when every insert has rows.
    #[test]
    fn split_bytes_add_up_exactly(
        max_bytes in 1..500u64,
        inserts in proptest::collection::vec((1..30usize, 0..2_000u64), 1..20),
    ) {
        let mut b = Batcher::new(BatchOptions::new().max_rows(0).max_bytes(max_bytes).timeout_ms(0));
        let mut total = 0u64;
        for (i, (rows, bytes)) in inserts.into_iter().enumerate() {
            total += bytes;
            b.push(Message::insert("t", vec![i as u32; rows], bytes), 0).unwrap();
        }
        b.close();
        let sum: u64 = b.drain().map(|x| x.bytes()).sum();
        prop_assert_eq!(sum, total);
    }
}

// ---------------------------------------------------------------- the writer

/// A client that records every call, and fails the calls it is told to fail.
#[derive(Default, Clone)]
struct Recorder {
    log: Arc<Mutex<Vec<String>>>,
    /// `write_table` calls to fail, by (table, nth call for that table starting at 0).
    fail: Arc<Mutex<Vec<(String, usize)>>>,
    calls: Arc<Mutex<HashMap<String, usize>>>,
    fail_migrate: bool,
    /// When set, the time of each successful `write_table` call is recorded in `stamps`.
    clock: Option<Arc<dyn Fn() -> u64 + Send + Sync>>,
    stamps: Arc<Mutex<Vec<u64>>>,
}

#[derive(Debug, PartialEq)]
struct Boom(&'static str);
impl std::fmt::Display for Boom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}
impl ErrorCode for Boom {
    fn code(&self) -> &'static str {
        "IO"
    }
}

impl Recorder {
    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    #[cfg(feature = "tokio")]
    fn times(&self) -> Vec<u64> {
        self.stamps.lock().unwrap().clone()
    }
}

impl Client<u32> for Recorder {
    type Error = Boom;

    async fn write_table(&mut self, table: &str, rows: Vec<u32>) -> Result<(), Boom> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            let c = calls.entry(table.to_owned()).or_default();
            *c += 1;
            *c - 1
        };
        if self.fail.lock().unwrap().contains(&(table.to_owned(), n)) {
            return Err(Boom("disk full"));
        }
        self.log
            .lock()
            .unwrap()
            .push(format!("write {table} {rows:?}"));
        if let Some(clock) = &self.clock {
            self.stamps.lock().unwrap().push(clock());
        }
        Ok(())
    }

    async fn migrate_table(&mut self, tables: &[String]) -> Result<(), Boom> {
        if self.fail_migrate {
            return Err(Boom("bad schema"));
        }
        self.log.lock().unwrap().push(format!("migrate {tables:?}"));
        Ok(())
    }

    async fn delete_stale(&mut self, tables: &[String]) -> Result<(), Boom> {
        self.log
            .lock()
            .unwrap()
            .push(format!("delete_stale {tables:?}"));
        Ok(())
    }
}

/// The seed's `TestErrorCleanUpFirstMessage`: the handler fails before taking anything.
#[test]
fn writer_handler_error_on_the_first_batch_drops_that_table_only() {
    let client = Recorder::default();
    client.fail.lock().unwrap().push(("a".into(), 0));
    let mut w = BatchWriter::new(
        client.clone(),
        ManualTimer::default(),
        BatchOptions::new().max_rows(1),
    );
    futures::executor::block_on(async {
        for (t, v) in [("a", 1), ("b", 2), ("a", 3), ("b", 4), ("a", 5)] {
            w.write(ins(t, vec![v], 4)).await.unwrap();
        }
        assert!(w.has_failed("a") && !w.has_failed("b"));
        let report = w.close().await;
        assert_eq!(report.errors.len(), 1);
        let err = &report.errors[0];
        assert_eq!(
            (err.kind, err.tables.as_slice(), err.rows),
            (Kind::Insert, &["a".to_owned()][..], 1)
        );
        assert_eq!(
            err.to_string(),
            "write_table failed for table `a` (batch of 1 row): disk full"
        );
        assert_eq!(err.code(), "IO");
        assert_eq!((report.batches_written, report.rows_written), (2, 2));
        assert_eq!((report.batches_dropped, report.rows_dropped), (2, 2));
    });
    assert_eq!(client.log(), ["write b [2]", "write b [4]"]);
}

/// The seed's `TestErrorCleanUpAfterLastMessage`: the handler fails after a successful batch.
#[test]
fn writer_handler_error_after_a_good_batch_keeps_what_was_written() {
    let client = Recorder::default();
    client.fail.lock().unwrap().push(("a".into(), 1));
    let mut w = BatchWriter::new(
        client.clone(),
        ManualTimer::default(),
        BatchOptions::new().max_rows(2),
    );
    let report = futures::executor::block_on(async {
        for v in 0..7 {
            w.write(ins("a", vec![v], 4)).await.unwrap();
            w.write(ins("b", vec![v], 4)).await.unwrap();
        }
        w.close().await
    });
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].tables, ["a"]);
    assert_eq!(report.errors[0].rows, 2);
    // a: [0,1] written, [2,3] failed, [4,5] and [6] dropped. b: all four batches written.
    assert_eq!((report.batches_dropped, report.rows_dropped), (2, 3));
    let log = client.log();
    assert!(log.contains(&"write a [0, 1]".to_owned()));
    assert_eq!(log.iter().filter(|l| l.starts_with("write a")).count(), 1);
    assert_eq!(log.iter().filter(|l| l.starts_with("write b")).count(), 4);
}

#[test]
fn writer_failed_migration_fails_its_tables() {
    let client = Recorder {
        fail_migrate: true,
        ..Recorder::default()
    };
    let mut w = BatchWriter::new(client.clone(), ManualTimer::default(), BatchOptions::new());
    let report = futures::executor::block_on(async {
        w.write(Message::migrate("a")).await.unwrap();
        w.write(Message::migrate("a")).await.unwrap();
        w.write(ins("a", vec![1], 4)).await.unwrap();
        w.write(ins("b", vec![2], 4)).await.unwrap();
        w.write(Message::delete_stale("a")).await.unwrap();
        w.write(Message::delete_stale("b")).await.unwrap();
        w.close().await
    });
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].tables, ["a"], "listed once");
    assert_eq!(
        report.errors[0].to_string(),
        "migrate_table failed for table `a` (batch of 2 rows): bad schema"
    );
    assert_eq!(client.log(), ["write b [2]", "delete_stale [\"b\"]"]);
    assert_eq!(
        report.rows_dropped, 2,
        "a's insert row and a's delete_stale"
    );
}

#[test]
fn writer_run_flushes_on_the_timer_while_the_stream_is_idle() {
    let timer = ManualTimer::default();
    let client = Recorder::default();
    let (tx, rx) = futures::channel::mpsc::unbounded();
    let mut w = BatchWriter::new(
        client.clone(),
        timer.clone(),
        BatchOptions::new().timeout_ms(1_000),
    );
    let mut run = Box::pin(w.run(rx));
    fn poll<F: Future>(run: &mut Pin<Box<F>>) -> bool {
        let waker = futures::task::noop_waker();
        run.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
    }

    tx.unbounded_send(ins("t", vec![1], 4)).unwrap();
    assert!(!poll(&mut run));
    assert!(client.log().is_empty());
    timer.set(999);
    assert!(!poll(&mut run));
    assert!(client.log().is_empty(), "not before the deadline");
    timer.set(1_000);
    assert!(!poll(&mut run));
    assert_eq!(
        client.log(),
        ["write t [1]"],
        "the idle writer flushed on time"
    );

    tx.unbounded_send(ins("t", vec![2], 4)).unwrap();
    drop(tx);
    assert!(poll(&mut run), "the stream ended: run closes");
    drop(run);
    assert_eq!(client.log(), ["write t [1]", "write t [2]"]);
}

/// The library's `TokioTimer` on tokio's paused clock: the 50 ms timeout fires at exactly 50 ms
/// of tokio time, however busy the machine is.
#[cfg(feature = "tokio")]
#[tokio::test(start_paused = true)]
async fn writer_runs_under_tokio_with_the_tokio_timer() {
    use lindy::batch::{Timer, TokioTimer};
    let timer = TokioTimer::new();
    let client = Recorder {
        clock: Some(Arc::new(move || timer.now())),
        ..Recorder::default()
    };
    let mut w = BatchWriter::new(
        client.clone(),
        timer,
        BatchOptions::new().max_rows(3).timeout_ms(50),
    );
    let (tx, rx) = futures::channel::mpsc::channel(4);
    let feeder = tokio::spawn(async move {
        let mut tx = tx;
        use futures::SinkExt;
        for v in 0..4 {
            tx.send(ins("t", vec![v], 4)).await.unwrap();
        }
        // The writer's 50 ms deadline falls inside this sleep.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        tx.send(ins("t", vec![9], 4)).await.unwrap();
    });
    let report = w.run(rx).await;
    feeder.await.unwrap();
    assert_eq!(report.batches_written, 3);
    assert_eq!(
        client.log(),
        ["write t [0, 1, 2]", "write t [3]", "write t [9]"]
    );
    assert_eq!(
        client.times(),
        [0, 50, 100],
        "the timeout fired at 50 ms, not later"
    );
}

#[test]
fn writer_with_the_std_timer_flushes_on_time() {
    let client = Recorder::default();
    let (mut tx, rx) = futures::channel::mpsc::channel(1);
    let log = client.clone();
    let handle = std::thread::spawn(move || {
        let mut w = BatchWriter::new(client, StdTimer::new(), BatchOptions::new().timeout_ms(5));
        futures::executor::block_on(w.run(rx))
    });
    futures::executor::block_on(async {
        use futures::SinkExt;
        tx.send(ins("t", vec![1], 4)).await.unwrap();
        // The writer must flush on its own timer; we wait for it with no time limit.
        while log.log().is_empty() {
            std::thread::yield_now();
        }
        tx.send(ins("t", vec![2], 4)).await.unwrap();
    });
    drop(tx);
    let report = handle.join().unwrap();
    assert_eq!(report.batches_written, 2);
    assert_eq!(log.log(), ["write t [1]", "write t [2]"]);
}

#[test]
fn writer_refuses_after_close_and_run_counts_late_messages() {
    let client = Recorder::default();
    let mut w = BatchWriter::new(client.clone(), ManualTimer::default(), BatchOptions::new());
    futures::executor::block_on(async {
        w.close().await;
        let back = w.write(ins("t", vec![1], 4)).await.unwrap_err();
        assert_eq!(back.into_inner(), ins("t", vec![1], 4));
        let report = w
            .run(futures::stream::iter([ins("t", vec![1, 2], 8)]))
            .await;
        assert_eq!(report.rows_dropped, 2);
    });
    assert!(client.log().is_empty());
}

#[test]
fn writer_futures_are_send_when_the_client_is() {
    fn assert_send<T: Send>(_: &T) {}
    let mut w = BatchWriter::new(Recorder::default(), StdTimer::new(), BatchOptions::new());
    assert_send(&w.write(ins("t", vec![1], 4)));
    assert_send(&w.run(futures::stream::empty()));
    assert_send(&w);
}

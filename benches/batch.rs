//! Batcher throughput: messages per second through the sans-IO `Batcher` (and through the
//! async `BatchWriter` with a client that does nothing), batches popped as they complete.
//!
//! `cargo bench --bench batch` (set `LINDY_BENCH_QUICK=1` for a smoke run).
#[path = "common/mod.rs"]
mod common;

use std::future::Future;

use lindy::batch::{BatchOptions, BatchWriter, Batcher, Client, Message, Timer};

#[global_allocator]
static ALLOC: common::CountingAlloc = common::CountingAlloc;

/// Table names made once, so the measured loop does not format strings.
fn tables(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("table_{i}")).collect()
}

/// Feeds `n` messages from `make`, popping every completed batch; returns rows seen.
fn drive(opts: BatchOptions, n: u64, mut make: impl FnMut(u64) -> Message<u64>) -> u64 {
    let mut b = Batcher::new(opts);
    let mut rows = 0u64;
    for i in 0..n {
        b.push(make(i), i / 16).unwrap();
        while let Some(batch) = b.take() {
            rows += batch.len() as u64;
        }
    }
    b.close();
    rows + b.drain().map(|x| x.len() as u64).sum::<u64>()
}

struct Discard;
impl Client<u64> for Discard {
    type Error = ();
    async fn write_table(&mut self, _: &str, rows: Vec<u64>) -> Result<(), ()> {
        std::hint::black_box(rows);
        Ok(())
    }
}

/// A frozen clock: the writer's timer is not what is measured.
struct Frozen;
impl Timer for Frozen {
    fn now(&self) -> u64 {
        0
    }
    fn sleep_until(&self, _: u64) -> impl Future<Output = ()> {
        std::future::pending()
    }
}

fn main() {
    let one = tables(1);
    let hundred = tables(100);
    let mut t = common::Table::new("batcher throughput (messages in, batches out)", "msg");

    t.case("1 table, 1-row inserts, defaults", 2_000_000, |n| {
        let rows = drive(BatchOptions::new(), n, |i| {
            Message::insert(one[0].clone(), vec![i], 100)
        });
        assert_eq!(rows, n);
    });
    t.case("100 tables round-robin, 1-row inserts", 2_000_000, |n| {
        let rows = drive(BatchOptions::new().max_rows(1_000), n, |i| {
            Message::insert(hundred[(i % 100) as usize].clone(), vec![i], 100)
        });
        assert_eq!(rows, n);
    });
    t.case(
        "1 table, 100-row inserts split by a 4 KiB byte limit",
        200_000,
        |n| {
            let rows = drive(BatchOptions::new().max_bytes(4_096), n, |i| {
                Message::insert(one[0].clone(), (i * 100..i * 100 + 100).collect(), 10_000)
            });
            assert_eq!(rows, n * 100);
        },
    );
    t.case("migrate messages, 100 tables", 2_000_000, |n| {
        let rows = drive(BatchOptions::new(), n, |i| {
            Message::migrate(hundred[(i % 100) as usize].clone())
        });
        assert_eq!(rows, n);
    });
    t.case("kind change every message (worst case)", 1_000_000, |n| {
        let rows = drive(BatchOptions::new(), n, |i| {
            if i % 2 == 0 {
                Message::migrate(one[0].clone())
            } else {
                Message::insert(one[0].clone(), vec![i], 100)
            }
        });
        assert_eq!(rows, n);
    });
    t.case(
        "BatchWriter::write, no-op client, 1-row inserts",
        2_000_000,
        |n| {
            futures::executor::block_on(async {
                let mut w = BatchWriter::new(Discard, Frozen, BatchOptions::new());
                for i in 0..n {
                    w.write(Message::insert(one[0].clone(), vec![i], 100))
                        .await
                        .unwrap();
                }
                let report = w.close().await;
                assert_eq!(report.rows_written, n);
            });
        },
    );
    t.print();
    println!(
        "\n(each message allocates its table name and its row Vec: that is the caller's cost, \
         included above)"
    );
}

//! A streaming batch writer: a producer thread sends sync messages over a channel; the writer
//! groups them into batches by rows, bytes, timeout and message type, and hands each batch to
//! a client — which fails on one table, without stopping the others.
//!
//! `cargo run --example batch`

use std::thread;
use std::time::Duration;

use futures::SinkExt;
use lindy::batch::{BatchOptions, BatchWriter, Client, Message, StdTimer};

/// Prints each batch; refuses the second batch of `orders` (say, a constraint violation).
#[derive(Default)]
struct Warehouse {
    orders_batches: usize,
}

impl Client<(u32, &'static str)> for Warehouse {
    type Error = String;

    async fn write_table(
        &mut self,
        table: &str,
        rows: Vec<(u32, &'static str)>,
    ) -> Result<(), String> {
        if table == "orders" {
            self.orders_batches += 1;
            if self.orders_batches == 2 {
                return Err("unique constraint violated".into());
            }
        }
        println!(
            "   write_table {table:<8} {} rows: {:?}",
            rows.len(),
            ids(&rows)
        );
        Ok(())
    }

    async fn migrate_table(&mut self, tables: &[String]) -> Result<(), String> {
        println!("   migrate_table {tables:?}");
        Ok(())
    }

    async fn delete_stale(&mut self, tables: &[String]) -> Result<(), String> {
        println!("   delete_stale {tables:?}");
        Ok(())
    }
}

fn ids(rows: &[(u32, &str)]) -> Vec<u32> {
    rows.iter().map(|r| r.0).collect()
}

fn main() {
    // 3 rows or 1 KiB per batch; an idle batch goes out after 50 ms.
    let opts = BatchOptions::from_pairs([
        ("max_rows", "3"),
        ("max_bytes", "1024"),
        ("timeout_ms", "50"),
    ])
    .expect("valid options");
    let (mut tx, rx) = futures::channel::mpsc::channel(16);

    let producer = thread::spawn(move || {
        futures::executor::block_on(async {
            for t in ["users", "orders"] {
                tx.send(Message::migrate(t)).await.unwrap();
            }
            // Inserts: the type change above flushes the migrations first.
            for i in 0..5 {
                tx.send(Message::insert("users", vec![(i, "user")], 100))
                    .await
                    .unwrap();
                tx.send(Message::insert("orders", vec![(100 + i, "order")], 100))
                    .await
                    .unwrap();
            }
            // One big insert: 8 rows of 300 bytes against a 1 KiB limit → split 3 + 3 + 2.
            let big: Vec<_> = (200..208).map(|i| (i, "bulk")).collect();
            tx.send(Message::insert("users", big, 2_400)).await.unwrap();
            // Nothing for a while: the writer flushes the pending rows on its timer.
            thread::sleep(Duration::from_millis(120));
            tx.send(Message::delete_stale("users")).await.unwrap();
            tx.send(Message::delete_stale("orders")).await.unwrap();
        });
    });

    let mut writer = BatchWriter::new(Warehouse::default(), StdTimer::new(), opts);
    println!("== batches as the client sees them");
    let report = futures::executor::block_on(writer.run(rx));
    producer.join().unwrap();

    println!("== report");
    println!(
        "   written: {} batches / {} rows; dropped: {} batches / {} rows",
        report.batches_written, report.rows_written, report.batches_dropped, report.rows_dropped
    );
    for e in &report.errors {
        println!("   error: {e}");
    }
    assert_eq!(report.errors.len(), 1);
    assert_eq!(report.errors[0].tables, ["orders"]);
}

//! A store-and-forward queue surviving a crash: push while the endpoint is down, "crash" (drop
//! without close, plus half a record torn at the end of the log), restart, forward.
//!
//! Run: `cargo run --example store`

use std::io::Write;

use lindy::store::{FileStore, StoreError};

fn main() -> Result<(), StoreError> {
    let dir = std::env::temp_dir().join(format!("lindy-store-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    let path = dir.join("outbox.log");

    // First run: the endpoint is down, so messages queue up durably.
    {
        let store = FileStore::open(&path)?;
        for reading in ["temp=21.5", "temp=21.7", "temp=22.0"] {
            store.push("sensor-7", reading.as_bytes())?; // fsynced before it returns
        }
        let first = store.try_take("sensor-7")?.expect("queued");
        println!(
            "forwarded before the crash: {}",
            String::from_utf8_lossy(&first)
        );
        println!(
            "queued at crash time:       {} messages",
            store.len("sensor-7")
        );
        // Crash: no close(). And the power went out in the middle of a write: half a record.
        drop(store);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open log");
        f.write_all(&[0x2a, 0, 0, 0, 0x13, 0x37])
            .expect("tear the tail");
    }

    // Restart: replay the log, cut the torn tail, carry on.
    let store = FileStore::open(&path)?;
    let report = store.open_report();
    println!(
        "reopened: {} records replayed, {} live, torn tail of {} bytes truncated",
        report.records, report.live_entries, report.truncated_bytes
    );
    store.push("sensor-7", b"temp=22.4")?; // lands after the cut, not behind the garbage
                                           // The endpoint is back: forward everything, in order. `pull` waits when the queue is empty.
    while store.len("sensor-7") > 0 {
        let msg = futures::executor::block_on(store.take("sensor-7"))?;
        println!(
            "forwarded after restart:    {}",
            String::from_utf8_lossy(&msg)
        );
    }
    store.close()?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

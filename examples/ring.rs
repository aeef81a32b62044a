//! Rings: a telemetry history that keeps the newest readings, a ring sized at run time, a static
//! locking ring between threads with back-pressure, and a Sink → Stream pipeline between tasks.
//!
//! `cargo run --example ring`

use futures::executor::{block_on, ThreadPool};
use futures::StreamExt;
use lindy::ring::{HeapRing, LockingHeapRing, LockingRing, Ring};

fn main() {
    history();
    runtime_capacity();
    threads_with_back_pressure();
    sink_to_stream();
}

/// `push_overwrite` keeps the newest `N` values and hands back the one it evicts.
fn history() {
    println!("== history: the last 4 temperature readings");
    let mut last: Ring<f32, 4> = Ring::new();
    let mut evicted = Vec::new();
    for reading in [20.5, 20.7, 21.0, 21.4, 21.9, 22.3] {
        evicted.extend(last.push_overwrite(reading));
    }
    println!(
        "   kept {:?}, evicted {evicted:?}",
        last.iter().collect::<Vec<_>>()
    );
    assert!(last.iter().eq(&[21.0, 21.4, 21.9, 22.3]));
    assert_eq!(evicted, [20.5, 20.7]);
}

/// A capacity chosen at run time; bad capacities are errors with codes, never panics.
fn runtime_capacity() {
    println!("== runtime capacity");
    let capacity = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let mut ring = HeapRing::with_capacity(capacity).expect("capacity >= 1");
    let refused: Vec<u32> = (0..5)
        .filter_map(|v| ring.try_push(v).err().map(|full| full.into_inner()))
        .collect();
    println!("   capacity {capacity}: holds {ring:?}, handed back {refused:?}");
    let err = HeapRing::<u32>::with_capacity(0).unwrap_err();
    println!("   capacity 0 → {} ({err})", err.code());
}

/// A static ring shared by a producer thread and a consumer thread: the producer waits while
/// the ring is full (back-pressure), `close` lets the consumer drain and stop.
fn threads_with_back_pressure() {
    println!("== threads: producer → static LockingRing<u64, 8> → consumer");
    static RING: LockingRing<u64, 8> = LockingRing::new();
    let producer = std::thread::spawn(|| {
        for i in 1..=10_000 {
            RING.push_blocking(i).expect("open while producing");
        }
        RING.close();
    });
    let (mut count, mut sum) = (0, 0);
    while let Some(v) = RING.take_blocking() {
        count += 1;
        sum += v;
    }
    producer.join().unwrap();
    println!("   consumer got {count} values, sum {sum}");
    assert_eq!((count, sum), (10_000, 10_000 * 10_001 / 2));
    assert_eq!(RING.push_blocking(1).unwrap_err().code(), "CLOSED");
}

/// A task forwards a stream into the ring's Sink; another task reads the ring as a Stream.
/// Closing the sink closes the ring, which ends the consumer's stream.
fn sink_to_stream() {
    println!("== tasks: stream → ring.sink() … ring.stream() → consumer");
    let pool = ThreadPool::builder().pool_size(2).create().unwrap();
    let ring = std::sync::Arc::new(LockingHeapRing::with_capacity(2).unwrap());
    let producer = ring.clone();
    pool.spawn_ok(async move {
        let words = ["ring", "buffers", "can", "wait"].map(String::from);
        let words = futures::stream::iter(words).map(Ok);
        words.forward(producer.sink()).await.expect("ring open");
    });
    let got: Vec<String> = block_on(ring.stream().collect());
    println!("   consumer got {got:?}");
    assert_eq!(got, ["ring", "buffers", "can", "wait"]);
    assert!(ring.is_closed());
}

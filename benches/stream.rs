//! Stream message throughput: one writer task → one reader task, 64-byte messages, a buffer of
//! 100 messages, against `futures::channel::mpsc` and flume on the same tokio runtime.
//!
//! `cargo bench --bench stream` (set `LINDY_BENCH_QUICK=1` for a smoke run).
#[path = "common/mod.rs"]
mod common;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use lindy::stream::{StreamOptions, Streams};

#[global_allocator]
static ALLOC: common::CountingAlloc = common::CountingAlloc;

const BUFFER: usize = 100;
const MSG: &[u8] = &[7u8; 64];

fn lindy_case(rt: &tokio::runtime::Runtime, persistent: bool, n: u64) {
    rt.block_on(async move {
        let hub: Streams = Streams::with_options(
            StreamOptions::new()
                .buffer_size(BUFFER)
                .persistent(persistent)
                .replay_bytes(0),
        );
        let w = hub.writer("bench").unwrap();
        let mut r = hub.reader("bench").unwrap();
        let writer = tokio::spawn(async move {
            for _ in 0..n {
                w.write(Bytes::from_static(MSG)).await.unwrap();
            }
        });
        let reader = tokio::spawn(async move {
            let mut got = 0u64;
            while let Some(m) = r.recv().await {
                got += m.len() as u64;
            }
            got
        });
        writer.await.unwrap();
        assert_eq!(reader.await.unwrap(), n * MSG.len() as u64);
    });
}

fn mpsc_case(rt: &tokio::runtime::Runtime, n: u64) {
    rt.block_on(async move {
        let (mut tx, mut rx) = futures::channel::mpsc::channel::<Bytes>(BUFFER);
        let writer = tokio::spawn(async move {
            for _ in 0..n {
                tx.send(Bytes::from_static(MSG)).await.unwrap();
            }
        });
        let reader = tokio::spawn(async move {
            let mut got = 0u64;
            while let Some(m) = rx.next().await {
                got += m.len() as u64;
            }
            got
        });
        writer.await.unwrap();
        assert_eq!(reader.await.unwrap(), n * MSG.len() as u64);
    });
}

fn flume_case(rt: &tokio::runtime::Runtime, n: u64) {
    rt.block_on(async move {
        let (tx, rx) = flume::bounded::<Bytes>(BUFFER);
        let writer = tokio::spawn(async move {
            for _ in 0..n {
                tx.send_async(Bytes::from_static(MSG)).await.unwrap();
            }
        });
        let reader = tokio::spawn(async move {
            let mut got = 0u64;
            while let Ok(m) = rx.recv_async().await {
                got += m.len() as u64;
            }
            got
        });
        writer.await.unwrap();
        assert_eq!(reader.await.unwrap(), n * MSG.len() as u64);
    });
}

fn run(title: &str, rt: &tokio::runtime::Runtime, iters: u64) {
    let mut t = common::Table::new(title, "msg");
    t.case("lindy stream (queue path)", iters, |n| {
        lindy_case(rt, false, n)
    });
    t.case("lindy stream (persistent path)", iters, |n| {
        lindy_case(rt, true, n)
    });
    t.case("futures::channel::mpsc", iters, |n| mpsc_case(rt, n));
    t.case("flume (async)", iters, |n| flume_case(rt, n));
    t.print();
}

fn main() {
    let current = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    run(
        "stream throughput, 1 writer task → 1 reader task, tokio current-thread",
        &current,
        200_000,
    );
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    run(
        "stream throughput, 1 writer task → 1 reader task, tokio multi-thread (2 workers)",
        &multi,
        200_000,
    );
}

//! Stream message throughput: one writer task → one reader task, 64-byte messages, a buffer of
//! 100 messages, against flume (async), `tokio::sync::mpsc` and `futures::channel::mpsc` on the
//! same tokio runtime — current-thread and multi-thread — with rounds interleaved across rows.
//!
//! `cargo bench --bench stream` (set `LINDY_BENCH_QUICK=1` for a smoke run;
//! `LINDY_BENCH_CALLGRIND=1` adds instruction counts to the current-thread table, whose tasks all
//! run on one thread; `LINDY_BENCH_HOG=1` runs beside a spinning thread).
#[path = "common/mod.rs"]
mod common;

use bytes::Bytes;
use common::{Case, ParkingLotMutex, ParkingLotSpinMutex, Pick, Table};
use futures::{SinkExt, StreamExt};
use lindy::stream::{StreamOptions, Streams};
use lindy::sync::{DefaultRawMutex, RawMutex};

#[global_allocator]
static ALLOC: common::CountingAlloc = common::CountingAlloc;

const BUFFER: usize = 100;
const MSG: &[u8] = &[7u8; 64];

fn lindy_case<R: RawMutex + Send + Sync + 'static>(
    rt: &tokio::runtime::Runtime,
    persistent: bool,
    n: u64,
) {
    rt.block_on(async move {
        let hub: Streams<R> = Streams::with_lock(
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

fn tokio_mpsc_case(rt: &tokio::runtime::Runtime, n: u64) {
    rt.block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(BUFFER);
        let writer = tokio::spawn(async move {
            for _ in 0..n {
                tx.send(Bytes::from_static(MSG)).await.unwrap();
            }
        });
        let reader = tokio::spawn(async move {
            let mut got = 0u64;
            while let Some(m) = rx.recv().await {
                got += m.len() as u64;
            }
            got
        });
        writer.await.unwrap();
        assert_eq!(reader.await.unwrap(), n * MSG.len() as u64);
    });
}

const LINDY: &str = "lindy stream (queue path)";
const FLUME: &str = "flume bounded (async)";

fn run(t: &mut Table, rt: &tokio::runtime::Runtime, iters: u64, rounds: usize, pick: Pick) {
    let cases: Vec<Case<'_>> = vec![
        (
            LINDY,
            Box::new(|n| lindy_case::<DefaultRawMutex>(rt, false, n)),
        ),
        (
            "lindy stream (queue path), parking_lot + spin seam (tried)",
            Box::new(|n| lindy_case::<ParkingLotSpinMutex>(rt, false, n)),
        ),
        (
            "lindy stream (queue path), plain parking_lot seam (tried)",
            Box::new(|n| lindy_case::<ParkingLotMutex>(rt, false, n)),
        ),
        (
            "lindy stream (persistent path)",
            Box::new(|n| lindy_case::<DefaultRawMutex>(rt, true, n)),
        ),
        (FLUME, Box::new(|n| flume_case(rt, n))),
        ("tokio::sync::mpsc", Box::new(|n| tokio_mpsc_case(rt, n))),
        ("futures::channel::mpsc", Box::new(|n| mpsc_case(rt, n))),
    ];
    t.interleaved(iters, rounds, pick, cases);
    t.print();
    let (lindy, flume) = (t.get(LINDY).unwrap(), t.get(FLUME).unwrap());
    println!(
        "\nissue 18 target: stream ≤ 1.0× flume async: {lindy:.1} ns vs {flume:.1} ns → {:.2}× ({})",
        lindy / flume,
        common::verdict(lindy / flume, 1.0)
    );
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |name: &str| only.is_empty() || only.iter().any(|o| name.contains(o.as_str()));
    if wants("current-thread") {
        let current = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut t = Table::new(
            "stream throughput, 1 writer task → 1 reader task, tokio current-thread \
             (best of 15 interleaved rounds of 200k messages)",
            "msg",
        )
        .single_thread();
        run(&mut t, &current, 200_000, 15, Pick::Best);
    }
    if wants("multi-thread") {
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let mut t = Table::new(
            "stream throughput, 1 writer task → 1 reader task, tokio multi-thread, 2 workers \
             (median of 9 interleaved rounds of 200k messages)",
            "msg",
        );
        run(&mut t, &multi, 200_000, 9, Pick::Median);
    }
}

//! The durable queue against the physical limit and against SQLite, in one run.
//!
//! `cargo bench --bench store` (set `LINDY_BENCH_QUICK=1` for a smoke run). Files go to a temp
//! dir under `target/`, on the same disk for every row.
//!
//! 1. `Always`, 1 writer, 128-byte values vs a raw `write` + `fdatasync` loop (target ≥ 0.9×).
//! 2. `Always`, 8 writer threads doing push + pull (group commit) vs SQLite in WAL mode with
//!    `synchronous=FULL` doing the same queue as insert + delete-oldest (target ≥ 5×).
//! 3. `Never`, 1M pushes of 128 bytes vs raw buffered append, raw unbuffered `write`, and
//!    `write` plus a kept heap copy of each value (what holding the entries in memory costs).
//! 4. Replay: opening a log of 1M records (target ≤ 1 s), vs just reading the file.

#[path = "common/mod.rs"]
mod common;

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use lindy::store::{Durability, FileStore, StoreOptions};

const VALUE: [u8; 128] = [0xAB; 128];
/// A lindy record of key "k" and a 128-byte value: the raw loops write the same byte count.
const RECORD: usize = 32 + 1 + 128;

fn dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-store");
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A file opened for appending, created if missing: the raw peers' log.
fn append_file(path: impl AsRef<Path>) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

fn fresh(path: &Path) {
    let _ = fs::remove_file(path);
}

fn quick() -> bool {
    std::env::var_os("LINDY_BENCH_QUICK").is_some()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn always_one_writer(d: &Path) {
    let mut t = common::Table::new("store: Always, 1 writer, 128-byte values", "push");
    let lp = d.join("always1.log");
    fresh(&lp);
    let store = FileStore::open(&lp).unwrap();
    let rp = d.join("raw-sync.bin");
    fresh(&rp);
    let mut f = append_file(&rp);
    let rec = [0xABu8; RECORD];
    // fsync latency drifts with whatever else the disk is doing (other processes share it), so
    // the two alternate push by push: every lindy push is timed next to a raw write+fdatasync
    // under the same conditions. Each row is the median of its rounds.
    let n = if quick() { 10 } else { 300 };
    let (mut l, mut r) = (vec![], vec![]);
    for round in 0..rounds() * 2 + 2 {
        let (mut tl, mut tr) = (0u128, 0u128);
        for _ in 0..n {
            let a = Instant::now();
            store.push("k", &VALUE).unwrap();
            let b = Instant::now();
            f.write_all(&rec).unwrap();
            f.sync_data().unwrap();
            tl += (b - a).as_nanos();
            tr += b.elapsed().as_nanos();
        }
        if round > 0 {
            // round 0 is the warm-up
            l.push(tl as f64 / n as f64);
            r.push(tr as f64 / n as f64);
        }
    }
    let (l, r) = (median(l), median(r));
    t.record("lindy FileStore::push (Always: fdatasync per push)", l);
    t.record("raw write + fdatasync (the disk's limit)", r);
    t.print();
    println!(
        "\nlindy reaches {:.2}× the raw write+fdatasync throughput (target ≥ 0.9×)",
        r / l
    );
}

/// Runs `ops(thread, n)` on `threads` threads, `n` each; returns ns per op overall.
fn threaded(threads: usize, total: u64, ops: impl Fn(usize, u64) + Sync) -> f64 {
    let per = (total / threads as u64).max(1);
    let start = Instant::now();
    std::thread::scope(|s| {
        for i in 0..threads {
            let ops = &ops;
            s.spawn(move || ops(i, per));
        }
    });
    start.elapsed().as_nanos() as f64 / (per * threads as u64) as f64
}

fn rounds() -> usize {
    if quick() {
        1
    } else {
        3
    }
}

fn always_eight_writers(d: &Path) {
    const THREADS: usize = 8;
    let mut t = common::Table::new(
        "store: Always, 8 writer threads, push + pull of 128-byte values (group commit)",
        "push+pull",
    );
    let total = if quick() { 64 } else { 8_000 };
    let keys: Vec<String> = (0..THREADS).map(|i| format!("q{i}")).collect();

    let lp = d.join("always8.log");
    fresh(&lp);
    let store = FileStore::open(&lp).unwrap();
    let lindy = median(
        (0..rounds())
            .map(|_| {
                threaded(THREADS, total, |i, n| {
                    for _ in 0..n {
                        store.push(&keys[i], &VALUE).unwrap();
                        store.try_take(&keys[i]).unwrap().unwrap();
                    }
                })
            })
            .collect(),
    );
    t.record("lindy FileStore (Always, group commit)", lindy);
    let st = store.stats();
    let batch = st.appended as f64 / st.syncs.max(1) as f64;
    drop(store);

    let sqlite_total = if quick() { 16 } else { 800 };
    let setup = |path: &Path| {
        let c = rusqlite::Connection::open(path).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        c.pragma_update(None, "synchronous", "FULL").unwrap();
        c.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
        c.execute_batch(
            "CREATE TABLE IF NOT EXISTS q (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, value BLOB NOT NULL);
             CREATE INDEX IF NOT EXISTS q_key ON q (key, id);",
        )
        .unwrap();
        c
    };
    let queue_op = |c: &rusqlite::Connection, key: &str| {
        c.prepare_cached("INSERT INTO q (key, value) VALUES (?1, ?2)")
            .unwrap()
            .execute(rusqlite::params![key, &VALUE[..]])
            .unwrap();
        let v: Vec<u8> = c
            .prepare_cached(
                "DELETE FROM q WHERE id = (SELECT id FROM q WHERE key = ?1 ORDER BY id LIMIT 1) RETURNING value",
            )
            .unwrap()
            .query_row([key], |r| r.get(0))
            .unwrap();
        assert_eq!(v.len(), 128);
    };

    // SQLite, one connection per thread (writers contend through SQLite's busy handler).
    let sp = d.join("sqlite-conns.db");
    fresh(&sp);
    drop(setup(&sp));
    let per_conn = median(
        (0..rounds())
            .map(|_| {
                threaded(THREADS, sqlite_total, |i, n| {
                    let c = setup(&sp);
                    for _ in 0..n {
                        queue_op(&c, &keys[i]);
                    }
                })
            })
            .collect(),
    );
    t.record("SQLite WAL synchronous=FULL, 8 connections", per_conn);

    // SQLite, one connection shared behind a mutex (no busy-wait sleeps: its best case here).
    let sp = d.join("sqlite-shared.db");
    fresh(&sp);
    let shared = Mutex::new(setup(&sp));
    let one_conn = median(
        (0..rounds())
            .map(|_| {
                threaded(THREADS, sqlite_total, |i, n| {
                    for _ in 0..n {
                        queue_op(&shared.lock().unwrap(), &keys[i]);
                    }
                })
            })
            .collect(),
    );
    t.record("SQLite WAL synchronous=FULL, 1 shared connection", one_conn);
    t.print();
    let best = per_conn.min(one_conn);
    println!(
        "\nlindy is {:.1}× faster than the faster SQLite setup (target ≥ 5×); group commit \
         averaged {batch:.1} records per fsync",
        best / lindy
    );
}

fn never_million(d: &Path) -> PathBuf {
    let n: u64 = if quick() { 1_000 } else { 1_000_000 };
    let mut t = common::Table::new(
        &format!("store: Never, {n} pushes of 128-byte values (rounds interleaved)"),
        "push",
    );
    let lp = d.join("never.log");
    let bp = d.join("never-buffered.log");
    let rp = d.join("raw.bin");
    let opts = StoreOptions::new().with_durability(Durability::Never);
    // The same with a 64 KiB write buffer (StoreOptions::with_write_buffer): one write(2) per
    // ~400 records; a process crash may lose what is buffered. Its peer is BufWriter.
    let buffered_opts = opts.clone().with_write_buffer(64 << 10);
    let rec = [0xABu8; RECORD];
    let (mut lindy, mut lindy_buffered, mut buffered, mut unbuffered, mut kept) =
        (vec![], vec![], vec![], vec![], vec![]);
    // Round-robin, so a burst of outside load hits one round of every row, not every round of
    // one row; each row is the median of its rounds.
    for _ in 0..3 {
        fresh(&lp);
        let store = FileStore::open_with(&lp, opts.clone()).unwrap();
        let start = Instant::now();
        for _ in 0..n {
            store.push("k", &VALUE).unwrap();
        }
        lindy.push(start.elapsed().as_nanos() as f64 / n as f64);
        store.close().unwrap();

        fresh(&bp);
        let store = FileStore::open_with(&bp, buffered_opts.clone()).unwrap();
        let start = Instant::now();
        for _ in 0..n {
            store.push("k", &VALUE).unwrap();
        }
        store.close().unwrap();
        lindy_buffered.push(start.elapsed().as_nanos() as f64 / n as f64);
        fresh(&bp);

        fresh(&rp);
        let mut w = BufWriter::with_capacity(64 << 10, File::create(&rp).unwrap());
        let start = Instant::now();
        for _ in 0..n {
            w.write_all(&rec).unwrap();
        }
        w.flush().unwrap();
        buffered.push(start.elapsed().as_nanos() as f64 / n as f64);
        drop(w);

        fresh(&rp);
        let mut f = append_file(&rp);
        let start = Instant::now();
        for _ in 0..n {
            f.write_all(&rec).unwrap();
        }
        unbuffered.push(start.elapsed().as_nanos() as f64 / n as f64);
        drop(f);

        fresh(&rp);
        let mut f = append_file(&rp);
        let mut copies = std::collections::VecDeque::new();
        let start = Instant::now();
        for _ in 0..n {
            f.write_all(&rec).unwrap();
            copies.push_back(Box::<[u8]>::from(&VALUE[..]));
        }
        kept.push(start.elapsed().as_nanos() as f64 / n as f64);
        drop(copies);
    }
    fresh(&rp);
    let (lindy, lindy_buffered, buffered, unbuffered, kept) = (
        median(lindy),
        median(lindy_buffered),
        median(buffered),
        median(unbuffered),
        median(kept),
    );
    t.record(
        "lindy FileStore::push (Never: one write(2) per push)",
        lindy,
    );
    t.record(
        "lindy FileStore::push (Never + 64 KiB write buffer, close included)",
        lindy_buffered,
    );
    t.record("raw buffered append (BufWriter, 64 KiB)", buffered);
    t.record(
        "raw unbuffered append (one write(2) per record)",
        unbuffered,
    );
    t.record(
        "one write(2) per record + a heap copy of each value kept in a VecDeque",
        kept,
    );
    t.print();
    println!(
        "\nNever ÷ one write(2) per record: {:.2}× (target ≤ 1.2×); Never + write buffer ÷ one \
         write(2) per record: {:.2}×; Never + write buffer ÷ BufWriter: {:.2}×; one write(2) + \
         a kept copy ÷ one write(2): {:.2}× (what keeping the entries in memory costs any store)",
        lindy / unbuffered,
        lindy_buffered / unbuffered,
        lindy_buffered / buffered,
        kept / unbuffered
    );
    lp
}

fn replay_million(log: &Path) {
    let size = fs::metadata(log).unwrap().len();
    let mut t = common::Table::new(
        &format!("store: replay (open) of the log above, {size} bytes (rounds interleaved)"),
        "open",
    );
    let (mut opens, mut reads) = (vec![], vec![]);
    let mut records = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let s = FileStore::open(log).unwrap();
        opens.push(start.elapsed().as_nanos() as f64);
        records = s.open_report().records;
        drop(s);
        let start = Instant::now();
        let b = fs::read(log).unwrap();
        reads.push(start.elapsed().as_nanos() as f64);
        assert_eq!(b.len() as u64, size);
        drop(b);
    }
    let (open, read) = (median(opens), median(reads));
    t.record(&format!("lindy FileStore::open ({records} records)"), open);
    t.record("fs::read of the same file (page cache)", read);
    t.print();
    println!(
        "\nreplay of {records} records: {:.3} s (target ≤ 1 s); replay ÷ fs::read: {:.2}× \
         (target ≤ 2×)",
        open / 1e9,
        open / read
    );
}

/// The `Never` push rows as a single-thread table, interleaved, so `LINDY_BENCH_CALLGRIND=1`
/// adds user-space instruction counts per push (`make bench-store-callgrind`). The kernel's
/// share of a `write(2)` is not counted: the raw rows show what the peers spend around it.
fn never_instructions(d: &Path) {
    let mut t = common::Table::new(
        "store: single thread, Never push of 128 bytes (interleaved, best round)",
        "push",
    )
    .single_thread();
    let opts = StoreOptions::new().with_durability(Durability::Never);
    let (lp, bp, rp) = (d.join("i.log"), d.join("ib.log"), d.join("i.bin"));
    for p in [&lp, &bp, &rp] {
        fresh(p);
    }
    let store = FileStore::open_with(&lp, opts.clone()).unwrap();
    let buffered = FileStore::open_with(&bp, opts.with_write_buffer(64 << 10)).unwrap();
    let mut writer = BufWriter::with_capacity(64 << 10, File::create(d.join("iw.bin")).unwrap());
    let mut raw = append_file(&rp);
    let rec = [0xABu8; RECORD];
    let mut kept_file = append_file(d.join("ik.bin"));
    let mut copies = std::collections::VecDeque::new();
    let cases: Vec<common::Case<'_>> = vec![
        (
            "lindy FileStore::push (Never: one write(2) per push)",
            Box::new(|n| {
                for _ in 0..n {
                    store.push("k", &VALUE).unwrap();
                }
            }),
        ),
        (
            "lindy FileStore::push (Never + 64 KiB write buffer)",
            Box::new(|n| {
                for _ in 0..n {
                    buffered.push("k", &VALUE).unwrap();
                }
            }),
        ),
        (
            "raw buffered append (BufWriter, 64 KiB)",
            Box::new(|n| {
                for _ in 0..n {
                    writer.write_all(&rec).unwrap();
                }
            }),
        ),
        (
            "raw unbuffered append (one write(2) per record)",
            Box::new(|n| {
                for _ in 0..n {
                    raw.write_all(&rec).unwrap();
                }
            }),
        ),
        (
            "one write(2) per record + a heap copy of each value kept",
            Box::new(|n| {
                for _ in 0..n {
                    kept_file.write_all(&rec).unwrap();
                    copies.push_back(Box::<[u8]>::from(&VALUE[..]));
                }
            }),
        ),
    ];
    t.interleaved(100_000, 5, common::Pick::Best, cases);
    t.print();
}

/// `STORE_BENCH=always1,always8,never,instr` runs a subset (replay needs `never`'s log).
fn main() {
    let only = std::env::var("STORE_BENCH").ok();
    let on = |name: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|x| x == name))
    };
    let d = dir();
    if on("always1") {
        always_one_writer(&d);
    }
    if on("always8") {
        always_eight_writers(&d);
    }
    if on("never") {
        let log = never_million(&d);
        replay_million(&log);
    }
    if on("instr") {
        never_instructions(&d);
    }
    let _ = fs::remove_dir_all(&d);
}

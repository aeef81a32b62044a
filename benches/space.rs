//! The tuple space against its physical floor (a bare `HashMap<String, VecDeque>`) and against
//! channels (flume, crossbeam-channel) for thread hand-off. `cargo bench --bench space`.
//!
//! Fairness notes:
//! * Single-thread rows do the same work per operation: look the key up, push / pop. The bare map
//!   is shown twice: keeping empty keys forever (the floor, but memory grows with every key ever
//!   seen) and removing them when empty (lindy's memory behaviour).
//! * Thread rows block the consumer thread in each implementation's own blocking receive:
//!   `take_blocking` for lindy (poll the `take` future, park the thread until its waker unparks
//!   it), `recv` for the channels. lindy's space is unbounded, so the channels are measured both
//!   bounded (1024, as the issue asks) and unbounded.
#[path = "common/mod.rs"]
mod common;

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hint::black_box;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;

use common::{Case, CountingAlloc, ParkingLotMutex, ParkingLotSpinMutex, Pick, Table};
use lindy::space::{Key, LocalSpace, ShardedSpace};

#[global_allocator]
static A: CountingAlloc = CountingAlloc;

/// The floor: a map of queues, keeping empty keys (std `HashMap`, SipHash).
#[derive(Default)]
struct BareKeep(HashMap<String, VecDeque<u64>>);

/// The same floor with hashbrown and foldhash: the map and hasher lindy itself uses.
#[derive(Default)]
struct FastKeep(hashbrown::HashMap<String, VecDeque<u64>>);

impl FastKeep {
    fn out(&mut self, key: &str, v: u64) {
        match self.0.get_mut(key) {
            Some(q) => q.push_back(v),
            None => {
                self.0.insert(key.to_owned(), VecDeque::from([v]));
            }
        }
    }
    fn take(&mut self, key: &str) -> Option<u64> {
        self.0.get_mut(key)?.pop_front()
    }
}

impl BareKeep {
    fn out(&mut self, key: &str, v: u64) {
        match self.0.get_mut(key) {
            Some(q) => q.push_back(v),
            None => {
                self.0.insert(key.to_owned(), VecDeque::from([v]));
            }
        }
    }
    fn take(&mut self, key: &str) -> Option<u64> {
        self.0.get_mut(key)?.pop_front()
    }
}

/// The floor with lindy's memory behaviour: a key leaves the map when its queue empties.
#[derive(Default)]
struct BareRemove(HashMap<String, VecDeque<u64>>);

impl BareRemove {
    fn out(&mut self, key: &str, v: u64) {
        match self.0.get_mut(key) {
            Some(q) => q.push_back(v),
            None => {
                self.0.insert(key.to_owned(), VecDeque::from([v]));
            }
        }
    }
    fn take(&mut self, key: &str) -> Option<u64> {
        let q = self.0.get_mut(key)?;
        let v = q.pop_front();
        if q.is_empty() {
            self.0.remove(key);
        }
        v
    }
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("public:app.jobs.{i}")).collect()
}

/// Interleaved rounds for single-thread tables (the best round is reported).
const ROUNDS_1T: usize = 21;
/// Interleaved rounds for thread tables (the median round is reported).
const ROUNDS_2T: usize = 7;

const ONE_KEY_LINDY: &str = "lindy LocalSpace (out + try_take)";
const ONE_KEY_HANDLE: &str = "lindy Key handle (space.key(\"jobs\"): try_push + try_take)";
const ONE_KEY_FLOOR: &str =
    "bare hashbrown::HashMap<String, VecDeque> (foldhash, keeps empty keys)";

fn single_thread_one_key() {
    let mut t = Table::new(
        // The title is what `LINDY_BENCH_INSTR` matches (docs/benchmarks/queue.md): keep it.
        // Best of ROUNDS_1T interleaved rounds.
        "single thread, one key: out + take",
        "out+take",
    )
    .single_thread();
    let space = LocalSpace::<u64>::new();
    let parking = LocalSpace::<u64, ParkingLotMutex>::new();
    let spinning = LocalSpace::<u64, ParkingLotSpinMutex>::new();
    let mut keep = BareKeep::default();
    let mut fast = FastKeep::default();
    let mut remove = BareRemove::default();
    let waker = Waker::noop();
    let jobs = space.key("jobs");
    let (flume_tx, flume_rx) = flume::unbounded::<u64>();
    let cases: Vec<Case<'_>> = vec![
        (
            ONE_KEY_LINDY,
            Box::new(|n| {
                for i in 0..n {
                    space.try_push("jobs", i).unwrap();
                    black_box(space.try_take(black_box("jobs")));
                }
            }),
        ),
        (
            ONE_KEY_HANDLE,
            Box::new(|n| {
                let jobs = black_box(jobs);
                for i in 0..n {
                    jobs.try_push(i).unwrap();
                    black_box(jobs.try_take());
                }
            }),
        ),
        (
            "lindy LocalSpace, parking_lot + spin seam (tried)",
            Box::new(|n| {
                for i in 0..n {
                    spinning.try_push("jobs", i).unwrap();
                    black_box(spinning.try_take(black_box("jobs")));
                }
            }),
        ),
        (
            "lindy LocalSpace, plain parking_lot seam (tried)",
            Box::new(|n| {
                for i in 0..n {
                    parking.try_push("jobs", i).unwrap();
                    black_box(parking.try_take(black_box("jobs")));
                }
            }),
        ),
        (
            "lindy LocalSpace (out + take future, one poll)",
            Box::new(|n| {
                let mut cx = Context::from_waker(waker);
                for i in 0..n {
                    space.try_push("jobs", i).unwrap();
                    let mut f = std::pin::pin!(space.take(black_box("jobs")));
                    match f.as_mut().poll(&mut cx) {
                        Poll::Ready(v) => {
                            black_box(v.unwrap());
                        }
                        Poll::Pending => unreachable!(),
                    }
                }
            }),
        ),
        (
            "lindy LocalSpace (take waits, then out wakes it: the hand-off path)",
            Box::new(|n| {
                let mut cx = Context::from_waker(waker);
                for i in 0..n {
                    let mut f = std::pin::pin!(space.take(black_box("jobs")));
                    assert!(f.as_mut().poll(&mut cx).is_pending());
                    space.try_push("jobs", i).unwrap();
                    match f.as_mut().poll(&mut cx) {
                        Poll::Ready(v) => {
                            black_box(v.unwrap());
                        }
                        Poll::Pending => unreachable!(),
                    }
                }
            }),
        ),
        (
            // The 1 → 1 tables' peer on one thread: what a value costs when producer and consumer
            // share a core (the loaded regime, mostly), docs/benchmarks/threads.md lever 12.
            "flume::unbounded (send + try_recv, one thread)",
            Box::new(|n| {
                for i in 0..n {
                    flume_tx.send(i).unwrap();
                    black_box(flume_rx.try_recv().unwrap());
                }
            }),
        ),
        (
            "bare HashMap<String, VecDeque> (keeps empty keys)",
            Box::new(|n| {
                for i in 0..n {
                    keep.out("jobs", i);
                    black_box(keep.take(black_box("jobs")));
                }
            }),
        ),
        (
            ONE_KEY_FLOOR,
            Box::new(|n| {
                for i in 0..n {
                    fast.out("jobs", i);
                    black_box(fast.take(black_box("jobs")));
                }
            }),
        ),
        (
            "bare HashMap<String, VecDeque> (removes empty keys)",
            Box::new(|n| {
                for i in 0..n {
                    remove.out("jobs", i);
                    black_box(remove.take(black_box("jobs")));
                }
            }),
        ),
    ];
    t.interleaved(1_000_000, ROUNDS_1T, Pick::Best, cases);
    t.print();
    println!();
    for (row, how) in [
        (ONE_KEY_LINDY, "naming the key"),
        (ONE_KEY_HANDLE, "a Key handle"),
    ] {
        let (lindy, floor) = (t.get(row).unwrap(), t.get(ONE_KEY_FLOOR).unwrap());
        print!(
            "issue 18 target: single thread ≤ 1.5× the hashbrown floor, {how}: {lindy:.1} ns vs \
             {floor:.1} ns → {:.2}× ({})",
            lindy / floor,
            common::verdict(lindy / floor, 1.5)
        );
        match (t.ir(row), t.ir(ONE_KEY_FLOOR)) {
            (Some(a), Some(b)) => println!(
                "; instructions {a:.0} vs {b:.0} → {:.2}× ({})",
                a / b,
                common::verdict(a / b, 1.5)
            ),
            _ => println!(),
        }
    }
}

fn single_thread_many_keys() {
    const K: usize = 10_000;
    let ks = keys(K);
    let mut t = Table::new(
        "single thread, 10k keys: out on every key, then take from every key",
        "out+take",
    );
    // `n` operations = n / K rounds over all keys.
    let rounds = |n: u64| (n as usize).div_ceil(K);
    let space = LocalSpace::<u64>::new();
    t.case("lindy LocalSpace", 5_000_000, |n| {
        for _ in 0..rounds(n) {
            for (i, k) in ks.iter().enumerate() {
                space.try_push(k, i as u64).unwrap();
            }
            for k in &ks {
                black_box(space.try_take(k));
            }
        }
    });
    let mut keep = BareKeep::default();
    t.case(
        "bare HashMap<String, VecDeque> (keeps empty keys)",
        5_000_000,
        |n| {
            for _ in 0..rounds(n) {
                for (i, k) in ks.iter().enumerate() {
                    keep.out(k, i as u64);
                }
                for k in &ks {
                    black_box(keep.take(k));
                }
            }
        },
    );
    let mut fast = FastKeep::default();
    t.case(
        "bare hashbrown::HashMap<String, VecDeque> (foldhash, keeps empty keys)",
        5_000_000,
        |n| {
            for _ in 0..rounds(n) {
                for (i, k) in ks.iter().enumerate() {
                    fast.out(k, i as u64);
                }
                for k in &ks {
                    black_box(fast.take(k));
                }
            }
        },
    );
    let mut remove = BareRemove::default();
    t.case(
        "bare HashMap<String, VecDeque> (removes empty keys)",
        5_000_000,
        |n| {
            for _ in 0..rounds(n) {
                for (i, k) in ks.iter().enumerate() {
                    remove.out(k, i as u64);
                }
                for k in &ks {
                    black_box(remove.take(k));
                }
            }
        },
    );
    t.print();

    let mut t = Table::new(
        "single thread, 10k keys that stay non-empty: out + take on key i % 10k",
        "out+take",
    );
    let space = LocalSpace::<u64>::new();
    let mut keep = BareKeep::default();
    let mut fast = FastKeep::default();
    for k in &ks {
        space.try_push(k, 0).unwrap();
        keep.out(k, 0);
        fast.out(k, 0);
    }
    t.case("lindy LocalSpace", 10_000_000, |n| {
        for i in 0..n as usize {
            let k = &ks[i % K];
            space.try_push(k, i as u64).unwrap();
            black_box(space.try_take(k));
        }
    });
    t.case("bare HashMap<String, VecDeque>", 10_000_000, |n| {
        for i in 0..n as usize {
            let k = &ks[i % K];
            keep.out(k, i as u64);
            black_box(keep.take(k));
        }
    });
    t.case(
        "bare hashbrown::HashMap<String, VecDeque> (foldhash)",
        10_000_000,
        |n| {
            for i in 0..n as usize {
                let k = &ks[i % K];
                fast.out(k, i as u64);
                black_box(fast.take(k));
            }
        },
    );
    t.print();
}

/// Runs `producer` and `consumer` on two threads; returns when both are done.
fn pair(producer: impl FnOnce() + Send + 'static, consumer: impl FnOnce() + Send + 'static) {
    let c = thread::spawn(consumer);
    let p = thread::spawn(producer);
    p.join().unwrap();
    c.join().unwrap();
}

/// One producer thread `out`s `n` values on one key, one consumer thread takes them.
fn space_pair<R: lindy::sync::RawMutex + Send + Sync + 'static>(n: u64, blocking: bool) {
    let space = Arc::new(LocalSpace::<u64, R>::new());
    let s2 = space.clone();
    pair(
        move || (0..n).for_each(|i| space.try_push("jobs", i).unwrap()),
        move || {
            (0..n).for_each(|_| {
                let v = if blocking {
                    s2.take_blocking("jobs").unwrap()
                } else {
                    futures::executor::block_on(s2.take("jobs")).unwrap()
                };
                black_box(v);
            })
        },
    );
}

/// [`space_pair`] through a `Key` handle on each side (the key hashed once per thread).
fn space_pair_handle(n: u64) {
    let space = Arc::new(LocalSpace::<u64>::new());
    let s2 = space.clone();
    pair(
        move || {
            let jobs = space.key("jobs");
            (0..n).for_each(|i| jobs.try_push(i).unwrap())
        },
        move || {
            let jobs = s2.key("jobs");
            (0..n).for_each(|_| {
                black_box(jobs.take_blocking().unwrap());
            })
        },
    );
}

/// `send` / `recv` of a channel, one producer thread and one consumer thread.
macro_rules! channel_pair {
    ($make:expr) => {
        Box::new(|n| {
            let (tx, rx) = $make;
            pair(
                move || (0..n).for_each(|i| tx.send(i).unwrap()),
                move || {
                    (0..n).for_each(|_| {
                        black_box(rx.recv().unwrap());
                    })
                },
            );
        })
    };
}

const PAIR_LINDY: &str = "lindy LocalSpace (out / take_blocking)";
const PAIR_HANDLE: &str = "lindy Key handle (try_push / take_blocking)";

fn one_producer_one_consumer() {
    let mut t = Table::new(
        &format!(
            "one producer thread, one consumer thread, one key (1M values per round, median of \
             {ROUNDS_2T} interleaved rounds)"
        ),
        "value",
    );
    let cases: Vec<Case<'_>> = vec![
        (
            PAIR_LINDY,
            Box::new(|n| space_pair::<lindy::sync::DefaultRawMutex>(n, true)),
        ),
        (
            "lindy LocalSpace, parking_lot + spin seam (tried)",
            Box::new(|n| space_pair::<ParkingLotSpinMutex>(n, true)),
        ),
        (
            "lindy LocalSpace, plain parking_lot seam (tried)",
            Box::new(|n| space_pair::<ParkingLotMutex>(n, true)),
        ),
        (
            "lindy LocalSpace (out / futures::executor::block_on(take))",
            Box::new(|n| space_pair::<lindy::sync::DefaultRawMutex>(n, false)),
        ),
        (PAIR_HANDLE, Box::new(space_pair_handle)),
        ("flume::bounded(1024)", channel_pair!(flume::bounded(1024))),
        ("flume::unbounded", channel_pair!(flume::unbounded())),
        (
            "crossbeam_channel::bounded(1024)",
            channel_pair!(crossbeam_channel::bounded(1024)),
        ),
        (
            "crossbeam_channel::unbounded",
            channel_pair!(crossbeam_channel::unbounded()),
        ),
    ];
    t.interleaved(1_000_000, ROUNDS_2T, Pick::Median, cases);
    t.print();
    for row in [PAIR_LINDY, PAIR_HANDLE] {
        let lindy = t.get(row).unwrap();
        for (peer, target) in [
            ("flume::unbounded", "≤ 1.0× flume"),
            ("crossbeam_channel::unbounded", "moonshot ≤ 1.0× crossbeam"),
        ] {
            let ns = t.get(peer).unwrap();
            println!(
                "issue 18 target {target} ({row}): {lindy:.1} ns vs {peer} {ns:.1} ns → {:.2}× ({})",
                lindy / ns,
                common::verdict(lindy / ns, 1.0)
            );
        }
    }
}

const P: usize = 8;
const C: usize = 8;
const KEYS: usize = 64;

/// Producer `p` sends to keys `p, p+8, p+16, …` (one per consumer), round after round; consumer `c`
/// owns keys `c*8 .. c*8+8` and takes round-robin from them, so every consumer hears from every
/// producer. Every key receives `per_key` values, so every blocking take completes.
fn many_to_many<S: Send + Sync + 'static>(
    n: u64,
    shared: Arc<S>,
    send: fn(&S, usize, u64),
    recv: fn(&S, usize) -> u64,
) {
    let per_key = (n as usize).div_ceil(KEYS);
    let per_producer_round = KEYS / P; // each producer covers its share of every round
    let consumers: Vec<_> = (0..C)
        .map(|c| {
            let s = shared.clone();
            thread::spawn(move || {
                for i in 0..per_key * (KEYS / C) {
                    black_box(recv(&s, c * (KEYS / C) + i % (KEYS / C)));
                }
            })
        })
        .collect();
    let producers: Vec<_> = (0..P)
        .map(|p| {
            let s = shared.clone();
            thread::spawn(move || {
                for round in 0..per_key {
                    for j in 0..per_producer_round {
                        send(&s, p + P * j, round as u64);
                    }
                }
            })
        })
        .collect();
    producers.into_iter().for_each(|h| h.join().unwrap());
    consumers.into_iter().for_each(|h| h.join().unwrap());
}

const EIGHT_LINDY: &str = "lindy LocalSpace (one space, 64 keys)";
const EIGHT_HANDLE: &str = "lindy LocalSpace, Key handles (one space, 64 keys)";
const EIGHT_SHARDED: &str = "lindy ShardedSpace, 16 shards (64 keys)";
const EIGHT_SHARDED_64: &str = "lindy ShardedSpace, 64 shards (64 keys)";
const EIGHT_SHARDED_HANDLE: &str = "lindy ShardedSpace, 16 shards, Key handles";

/// [`many_to_many`] on one space through `Key` handles: each thread makes the handles of its keys
/// once (scoped threads, so the handles borrow the space), then works them.
fn many_to_many_handles<Sp: Sync>(
    n: u64,
    names: &[String],
    space: &Sp,
    key: for<'a> fn(&'a Sp, &'a str) -> Key<'a, u64>,
) {
    let per_key = (n as usize).div_ceil(KEYS);
    let per_producer_round = KEYS / P;
    thread::scope(|scope| {
        for c in 0..C {
            scope.spawn(move || {
                let mine: Vec<_> = (0..KEYS / C)
                    .map(|j| key(space, &names[c * (KEYS / C) + j]))
                    .collect();
                for i in 0..per_key * (KEYS / C) {
                    black_box(mine[i % (KEYS / C)].take_blocking().unwrap());
                }
            });
        }
        for p in 0..P {
            scope.spawn(move || {
                let mine: Vec<_> = (0..per_producer_round)
                    .map(|j| key(space, &names[p + P * j]))
                    .collect();
                for round in 0..per_key {
                    for k in &mine {
                        k.try_push(round as u64).unwrap();
                    }
                }
            });
        }
    });
}

fn eight_by_eight() {
    let mut t = Table::new(
        &format!(
            "8 producers / 8 consumers, 64 keys (1.28M values per round, median of {ROUNDS_2T} \
             interleaved rounds)"
        ),
        "value",
    );
    let names: Arc<Vec<String>> = Arc::new(keys(KEYS));
    fn lindy<R: lindy::sync::RawMutex + Send + Sync + 'static>(n: u64, names: &Arc<Vec<String>>) {
        struct S<R: lindy::sync::RawMutex>(LocalSpace<u64, R>, Arc<Vec<String>>);
        many_to_many(
            n,
            Arc::new(S(LocalSpace::<u64, R>::new(), names.clone())),
            |s, k, v| s.0.try_push(&s.1[k], v).unwrap(),
            |s, k| s.0.take_blocking(&s.1[k]).unwrap(),
        );
    }
    fn sharded<const SHARDS: usize>(n: u64, names: &Arc<Vec<String>>) {
        struct S<const SHARDS: usize>(
            ShardedSpace<u64, lindy::sync::DefaultRawMutex, SHARDS>,
            Arc<Vec<String>>,
        );
        many_to_many(
            n,
            Arc::new(S::<SHARDS>(ShardedSpace::new(), names.clone())),
            |s, k, v| s.0.try_push(&s.1[k], v).unwrap(),
            |s, k| s.0.take_blocking(&s.1[k]).unwrap(),
        );
    }
    let cases: Vec<Case<'_>> = vec![
        (EIGHT_SHARDED, Box::new(|n| sharded::<16>(n, &names))),
        (EIGHT_SHARDED_64, Box::new(|n| sharded::<64>(n, &names))),
        (
            EIGHT_SHARDED_HANDLE,
            Box::new(|n| {
                many_to_many_handles(n, &names, &ShardedSpace::<u64>::new(), |s, k| s.key(k))
            }),
        ),
        (
            EIGHT_LINDY,
            Box::new(|n| lindy::<lindy::sync::DefaultRawMutex>(n, &names)),
        ),
        (
            EIGHT_HANDLE,
            Box::new(|n| {
                many_to_many_handles(n, &names, &LocalSpace::<u64>::new(), |s, k| s.key(k))
            }),
        ),
        (
            "lindy LocalSpace, parking_lot + spin seam (tried)",
            Box::new(|n| lindy::<ParkingLotSpinMutex>(n, &names)),
        ),
        (
            "lindy LocalSpace, plain parking_lot seam (tried)",
            Box::new(|n| lindy::<ParkingLotMutex>(n, &names)),
        ),
        (
            "flume::unbounded, one channel per key",
            Box::new(|n| {
                let chans: Vec<_> = (0..KEYS).map(|_| flume::unbounded()).collect();
                many_to_many(
                    n,
                    Arc::new(chans),
                    |s, k, v| s[k].0.send(v).unwrap(),
                    |s, k| s[k].1.recv().unwrap(),
                );
            }),
        ),
        (
            "flume::bounded(1024), one channel per key",
            Box::new(|n| {
                let chans: Vec<_> = (0..KEYS).map(|_| flume::bounded(1024)).collect();
                many_to_many(
                    n,
                    Arc::new(chans),
                    |s, k, v| s[k].0.send(v).unwrap(),
                    |s, k| s[k].1.recv().unwrap(),
                );
            }),
        ),
    ];
    t.interleaved(1_280_000, ROUNDS_2T, Pick::Median, cases);
    t.print();
    println!();
    for row in [
        EIGHT_SHARDED,
        EIGHT_SHARDED_64,
        EIGHT_SHARDED_HANDLE,
        EIGHT_LINDY,
        EIGHT_HANDLE,
    ] {
        let (lindy, flume) = (
            t.get(row).unwrap(),
            t.get("flume::unbounded, one channel per key").unwrap(),
        );
        println!(
            "issue 18 target 8p/8c ≤ 1.0× flume, a channel per key ({row}): {lindy:.1} ns vs \
             {flume:.1} ns → {:.2}× ({})",
            lindy / flume,
            common::verdict(lindy / flume, 1.0)
        );
    }
}

fn main() {
    // `cargo bench --bench space -- NAME` runs the tables whose function name contains NAME.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if want("single_thread_one_key") {
        single_thread_one_key();
    }
    if want("single_thread_many_keys") {
        single_thread_many_keys();
    }
    if want("one_producer_one_consumer") {
        one_producer_one_consumer();
    }
    if want("eight_by_eight") {
        eight_by_eight();
    }
}

//! lindy-redis against raw redis-rs doing the same work, in one run, on one local server.
//!
//! ```text
//! make redis-bench        # starts a standalone redis-server, runs this, stops it
//! LINDY_REDIS_URL=redis://127.0.0.1:6379 cargo bench -p lindy-redis --bench redis
//! LINDY_BENCH=space make redis-bench   # only some tables: space, queue, sweep (comma-separated)
//! ```
//!
//! Every row runs `TASKS` concurrent tokio tasks on one multiplexed connection (so both sides
//! get the same pipelining), each doing `OPS` iterations; the figure is iterations per second,
//! the best of `ROUNDS`. The rows of a table run interleaved, round by round (A B C A B C …), so
//! a machine whose load changes during the run affects them alike. Ratios compare rows of the
//! same run.

use std::future::Future;
use std::time::{Duration, Instant};

use lindy::channels::AsyncRegistry;
use lindy::grammar::Name;
use lindy_redis::{Connection, RedisQueue, RedisRegistry, RedisSpace, SpaceConfig};
use redis::AsyncCommands;

const TASKS: usize = 32;
const OPS: usize = 500;
const ROUNDS: usize = 5;

/// CPU seconds the server has used (`INFO cpu`: user + sys of its main process).
async fn server_cpu(conn: &Connection) -> f64 {
    let info: String = redis::cmd("INFO")
        .arg("cpu")
        .query_async(&mut conn.clone())
        .await
        .unwrap();
    info.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| *k == "used_cpu_user" || *k == "used_cpu_sys")
        .map(|(_, v)| v.trim().parse::<f64>().unwrap())
        .sum()
}

/// CPU seconds this process (the client) has used, from `/proc/self/stat` (utime + stime).
fn client_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the `(comm)`: state is field 3, utime 14 and stime 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0 // USER_HZ, 100 on Linux
}

/// A row's figures over its rounds: the best throughput, and the CPU each side spent per
/// iteration over all rounds (robust to a loaded machine, unlike the throughput).
#[derive(Default)]
struct Row {
    best: f64,
    server: f64,
    client: f64,
    iterations: usize,
}

impl Row {
    fn print(&self, name: &str, base: &Row) {
        let per = |s: f64| s * 1e6 / self.iterations as f64;
        println!(
            "| {name} | {:.0} | {:.2}x | {:.1} | {:.1} |",
            self.best,
            self.best / base.best,
            per(self.server),
            per(self.client)
        );
    }
}

/// One round: `TASKS` tasks running `f` at once, added to `row`.
async fn round<F, Fut>(conn: &Connection, row: &mut Row, f: &F)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (server0, client0) = (server_cpu(conn).await, client_cpu());
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS).map(|t| tokio::spawn(f(t))).collect();
    for t in tasks {
        t.await.unwrap();
    }
    let ops = (TASKS * OPS) as f64 / started.elapsed().as_secs_f64();
    row.best = row.best.max(ops);
    row.server += server_cpu(conn).await - server0;
    row.client += client_cpu() - client0;
    row.iterations += TASKS * OPS;
}

const COST_HEAD: &str = "server CPU µs/iteration | client CPU µs/iteration |";
const COST_RULE: &str = "---|---|";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let url = std::env::var("LINDY_REDIS_URL")
        .expect("set LINDY_REDIS_URL (make redis-bench starts a server)");
    let conn = Connection::connect(&url).await.unwrap();
    let only = std::env::var("LINDY_BENCH").unwrap_or_default();
    let wanted = |table: &str| only.is_empty() || only.split(',').any(|t| t.trim() == table);
    println!(
        "lindy-redis bench: {TASKS} tasks x {OPS} iterations on one connection, best of {ROUNDS}\n"
    );

    if wanted("space") {
        space_table(&conn).await;
    }
    if wanted("queue") {
        queue_table(&conn).await;
    }
    if wanted("sweep") {
        sweep_table(&conn).await;
    }
}

async fn space_table(conn: &Connection) {
    // 1. Space push + take vs raw RPUSH + LPOP (each task its own key: no contention).
    let raw_f = |t: usize| {
        let mut c = conn.clone();
        async move {
            let key = format!("lindy-bench-raw:{{{t}}}");
            for i in 0..OPS {
                let _: i64 = c.rpush(&key, i.to_le_bytes().as_slice()).await.unwrap();
                let v: Option<Vec<u8>> = c.lpop(&key, None).await.unwrap();
                assert!(v.is_some());
            }
        }
    };
    let space = RedisSpace::open_with(conn, "bench", SpaceConfig::default())
        .await
        .unwrap();
    let lindy_f = |t: usize| {
        let s = space.clone();
        async move {
            let key = format!("k{t}");
            for i in 0..OPS {
                s.push(&key, i.to_le_bytes().to_vec()).await.unwrap();
                assert!(s.try_take(&key).await.unwrap().is_some());
            }
        }
    };
    let leased_f = |t: usize| {
        let s = space.clone();
        async move {
            let key = format!("k{t}");
            for i in 0..OPS {
                s.push(&key, i.to_le_bytes().to_vec()).await.unwrap();
                let l = s
                    .try_take_leased(&key, Duration::from_secs(30))
                    .await
                    .unwrap()
                    .unwrap();
                s.ack(&l).await.unwrap();
            }
        }
    };
    let (mut raw, mut lindy, mut leased) = (Row::default(), Row::default(), Row::default());
    for _ in 0..ROUNDS {
        round(conn, &mut raw, &raw_f).await;
        round(conn, &mut lindy, &lindy_f).await;
        round(conn, &mut leased, &leased_f).await;
    }
    println!("| space: push + take (iterations/s) | ops/s | vs raw RPUSH+LPOP | {COST_HEAD}\n|---|---|---|{COST_RULE}");
    raw.print("raw redis-rs RPUSH + LPOP", &raw);
    lindy.print("RedisSpace push + try_take", &raw);
    leased.print("RedisSpace push + try_take_leased + ack", &raw);

    space.destroy().await.unwrap();
    for t in 0..TASKS {
        let _: i64 = redis::cmd("DEL")
            .arg(format!("lindy-bench-raw:{{{t}}}"))
            .query_async(&mut conn.clone())
            .await
            .unwrap();
    }
}

async fn queue_table(conn: &Connection) {
    // 2. Queue push + leased pull + ack vs raw XADD + XREADGROUP + XACK.
    let raw_q_f = |t: usize| {
        let mut c = conn.clone();
        async move {
            let key = format!("lindy-bench-rawq:{{{t}}}");
            let _: Result<(), _> = redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(&key)
                .arg("g")
                .arg("$")
                .arg("MKSTREAM")
                .query_async(&mut c)
                .await;
            for i in 0..OPS {
                let _: String = redis::cmd("XADD")
                    .arg(&key)
                    .arg("*")
                    .arg("v")
                    .arg(i.to_le_bytes().as_slice())
                    .query_async(&mut c)
                    .await
                    .unwrap();
                let r: redis::streams::StreamReadReply = redis::cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg("g")
                    .arg("c")
                    .arg("COUNT")
                    .arg(1)
                    .arg("STREAMS")
                    .arg(&key)
                    .arg(">")
                    .query_async(&mut c)
                    .await
                    .unwrap();
                let id = r.keys[0].ids[0].id.clone();
                let _: i64 = redis::cmd("XACK")
                    .arg(&key)
                    .arg("g")
                    .arg(&id)
                    .query_async(&mut c)
                    .await
                    .unwrap();
            }
        }
    };
    let queue = RedisQueue::open(conn, "bench").await.unwrap();
    let lindy_q_f = |t: usize| {
        let q = queue.clone();
        async move {
            let key = format!("k{t}");
            for i in 0..OPS {
                q.push(&key, i.to_le_bytes().to_vec()).await.unwrap();
                let d = q.try_take_leased(&key).await.unwrap().unwrap();
                q.ack(&d).await.unwrap();
            }
        }
    };
    let (mut raw_q, mut lindy_q) = (Row::default(), Row::default());
    for _ in 0..ROUNDS {
        round(conn, &mut raw_q, &raw_q_f).await;
        round(conn, &mut lindy_q, &lindy_q_f).await;
    }
    println!("\n| queue: push + leased take + ack (iterations/s) | ops/s | vs raw XADD+XREADGROUP+XACK | {COST_HEAD}\n|---|---|---|{COST_RULE}");
    raw_q.print("raw redis-rs XADD + XREADGROUP + XACK", &raw_q);
    lindy_q.print("RedisQueue push + try_take_leased + ack", &raw_q);

    for t in 0..TASKS {
        queue.destroy(&[&format!("k{t}")]).await.unwrap();
        let _: i64 = redis::cmd("DEL")
            .arg(format!("lindy-bench-rawq:{{{t}}}"))
            .query_async(&mut conn.clone())
            .await
            .unwrap();
    }
}

async fn sweep_table(conn: &Connection) {
    // 3. Sweep of 100 000 channels: 1 % due vs 100 % due, and the seed's full-hash scan.
    let n = 100_000usize;
    let mut results = Vec::new();
    for due_pct in [1usize, 100] {
        let reg = RedisRegistry::new(conn, &format!("bench-sweep-{due_pct}")).unwrap();
        reg.destroy().await.unwrap();
        let due = n * due_pct / 100;
        let fill: Vec<_> = (0..TASKS)
            .map(|t| {
                let reg = reg.clone();
                tokio::spawn(async move {
                    for i in (t..n).step_by(TASKS) {
                        let ttl = if i < due {
                            Duration::ZERO
                        } else {
                            Duration::from_secs(3600)
                        };
                        let name = Name::parse(&format!("public:bench.c{i}")).unwrap();
                        reg.open_public(&name, ttl).await.unwrap();
                    }
                })
            })
            .collect();
        for f in fill {
            f.await.unwrap();
        }
        let started = Instant::now();
        let events = reg.sweep().await.unwrap();
        let took = started.elapsed();
        assert_eq!(events.len(), due);
        let started = Instant::now();
        let all: Vec<(String, String)> = redis::cmd("HGETALL")
            .arg(format!("lindy:reg:{{bench-sweep-{due_pct}}}:ch"))
            .query_async(&mut conn.clone())
            .await
            .unwrap();
        let scan = started.elapsed();
        assert_eq!(all.len(), n);
        results.push((due_pct, due, took, scan));
        reg.destroy().await.unwrap();
    }
    let base = results[1].2.as_secs_f64();
    println!("\n| sweep of {n} channels | due | sweep time | vs 100 % due | seed-style HGETALL scan of all |\n|---|---|---|---|---|");
    for (pct, due, took, scan) in results {
        println!(
            "| {pct} % due | {due} | {:.2} ms | {:.3}x | {:.2} ms |",
            took.as_secs_f64() * 1e3,
            took.as_secs_f64() / base,
            scan.as_secs_f64() * 1e3
        );
    }
}

//! Several worker processes share one `RedisSpace`; one is killed (SIGKILL) mid-run while it
//! holds leases; its jobs come back when the leases run out and the survivors finish every job
//! exactly once.
//!
//! ```text
//! make demo-redis                  # starts a local redis-server, runs this, stops the server
//! LINDY_REDIS_URL=redis://127.0.0.1:6379 cargo run -p lindy-redis --example redis_workers
//! ```
//!
//! Options: `--jobs N` (default 400), `--workers W` (default 4), `--space NAME` (default a fresh
//! one), `--keep` (leave the space for a caller to inspect). A worker is this same binary run as
//! `redis_workers worker URL SPACE ID`.

use std::collections::HashMap;
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

use lindy_redis::{Connection, RedisSpace, SpaceConfig};

const LEASE: Duration = Duration::from_millis(1500);

fn space_config() -> SpaceConfig {
    SpaceConfig {
        max_deliveries: 0, // never dead-letter here: every job must be done
        poll_interval: Duration::from_millis(100),
        ..SpaceConfig::default()
    }
}

async fn worker(url: &str, space: &str, id: &str) -> Result<(), lindy_redis::Error> {
    let conn = Connection::connect(url).await?;
    let space = RedisSpace::open_with(&conn, space, space_config()).await?;
    loop {
        let lease = match space.take_leased("jobs", LEASE).await {
            Ok(lease) => lease,
            Err(lindy_redis::Error::Closed) => return Ok(()),
            Err(e) => return Err(e),
        };
        // "Work": a few milliseconds per job.
        tokio::time::sleep(Duration::from_millis(15)).await;
        let job = String::from_utf8_lossy(lease.value()).into_owned();
        let result = format!("{job} by worker {id} (delivery {})", lease.delivery());
        match space.ack_with(&lease, "done", result).await {
            Ok(()) => {}
            // Our lease ran out and the job went back: someone else does it. Not an error.
            Err(lindy_redis::Error::LeaseLost) => eprintln!("worker {id}: lease lost on {job}"),
            Err(e) => return Err(e),
        }
    }
}

struct Args {
    jobs: usize,
    workers: usize,
    space: Option<String>,
    keep: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        jobs: 400,
        workers: 4,
        space: None,
        keep: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--jobs" => {
                a.jobs = value("--jobs")?
                    .parse()
                    .map_err(|e| format!("--jobs: {e}"))?
            }
            "--workers" => {
                a.workers = value("--workers")?
                    .parse()
                    .map_err(|e| format!("--workers: {e}"))?
            }
            "--space" => a.space = Some(value("--space")?),
            "--keep" => a.keep = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if a.workers < 2 {
        return Err("--workers must be at least 2 (one is killed)".into());
    }
    Ok(a)
}

async fn coordinator(url: &str, args: Args) -> Result<bool, Box<dyn std::error::Error>> {
    let name = args
        .space
        .unwrap_or_else(|| format!("demo-{}", std::process::id()));
    let conn = Connection::connect(url).await?;
    let space = RedisSpace::open_with(&conn, &name, space_config()).await?;
    space.destroy().await?;
    println!(
        "== {} jobs, {} worker processes, one space `{name}` on {url}",
        args.jobs, args.workers
    );
    for i in 0..args.jobs {
        space
            .push("jobs", format!("job-{i:04}"))
            .await
            .map_err(|e| e.error)?;
    }
    let exe = std::env::current_exe()?;
    let mut children: Vec<Child> = (0..args.workers)
        .map(|w| {
            Command::new(&exe)
                .args(["worker", url, &name, &w.to_string()])
                .spawn()
        })
        .collect::<Result<_, _>>()?;
    println!(
        "   started workers (pids {:?})",
        children.iter().map(Child::id).collect::<Vec<_>>()
    );

    // Kill worker 0 once about a third of the jobs are done, while it holds a lease.
    let started = Instant::now();
    let mut killed_at = None;
    loop {
        let done = space.len("done").await?;
        // Every worker holds at most one lease: all of them holding one means worker 0 does.
        let held = space.leased().await?;
        if killed_at.is_none() && done >= args.jobs / 3 && held == args.workers {
            children[0].kill()?; // SIGKILL: no clean-up, its leases stay held
            children[0].wait()?;
            println!(
                "   killed worker 0 (SIGKILL) at {done} done; {held} leases held across workers"
            );
            killed_at = Some(Instant::now());
        }
        if done >= args.jobs {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            println!("   timed out at {done} of {} done", args.jobs);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();

    // Every job done once: one result per job, no job left or leased.
    let mut per_job: HashMap<String, usize> = HashMap::new();
    let mut redelivered = 0;
    while let Some(result) = space.try_take("done").await? {
        let text = String::from_utf8_lossy(&result).into_owned();
        if !text.ends_with("(delivery 1)") {
            redelivered += 1;
        }
        let job = text.split(' ').next().unwrap_or_default().to_owned();
        *per_job.entry(job).or_default() += 1;
    }
    let left = space.len("jobs").await?;
    let leased = space.leased().await?;
    space.close().await?; // the workers' waiting takes end with CLOSED
    for c in &mut children[1..] {
        c.wait()?;
    }
    let duplicates = per_job.values().filter(|&&n| n > 1).count();
    let ok = per_job.len() == args.jobs && duplicates == 0 && left == 0 && leased == 0;
    println!(
        "   {} of {} jobs done in {:.2?}; {redelivered} after a redelivery (the killed worker's leases, back after {LEASE:?}); duplicates {duplicates}; left {left}; leased {leased}",
        per_job.len(),
        args.jobs,
        elapsed
    );
    println!(
        "RESULT jobs={} done={} duplicates={duplicates} redelivered={redelivered} killed=1 ok={ok}",
        args.jobs,
        per_job.len()
    );
    if !args.keep {
        space.destroy().await?;
    }
    Ok(ok)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("worker") {
        let [_, url, space, id] = &args[..] else {
            eprintln!("usage: redis_workers worker URL SPACE ID");
            return ExitCode::from(2);
        };
        return match worker(url, space, id).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("worker {id}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let Ok(url) = std::env::var("LINDY_REDIS_URL") else {
        eprintln!("set LINDY_REDIS_URL (make demo-redis starts a server and sets it)");
        return ExitCode::from(2);
    };
    let args = match parse_args(&args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("redis_workers: {e}");
            return ExitCode::from(2);
        }
    };
    match coordinator(&url, args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("redis_workers: {e}");
            ExitCode::FAILURE
        }
    }
}

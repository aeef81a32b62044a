//! A producer/consumer run on the tuple space: producer threads `out` jobs under per-queue keys,
//! worker threads `take` them (each worker owns a queue), an auditor takes every `…failed` job by
//! pattern, and a reader watches a config key without consuming it. Prints what happened and the
//! throughput.
//!
//! `cargo run --release --example space`

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use lindy::grammar::Pattern;
use lindy::space::{LocalSpace, WaitError};
use lindy::ErrorCode;

#[derive(Clone, Debug)]
enum Job {
    Resize { image: u64, width: u32 },
    Failed { image: u64, reason: &'static str },
    Config { max_width: u32 },
}

const PRODUCERS: u64 = 3;
const WORKERS: usize = 3;
const JOBS_PER_PRODUCER: u64 = 200_000;

fn queue(worker: usize) -> String {
    format!("public:images.resize.q{worker}")
}

fn main() {
    let space: Arc<LocalSpace<Job>> = Arc::new(LocalSpace::new());
    let started = Instant::now();

    // A config entry that every worker reads (not takes) before starting.
    space
        .try_push("public:images.config", Job::Config { max_width: 4096 })
        .unwrap();

    // Workers: each takes from its own queue until the space closes.
    let done = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (space, done) = (space.clone(), done.clone());
            thread::spawn(move || {
                let Job::Config { max_width } =
                    futures::executor::block_on(space.peek("public:images.config")).unwrap()
                else {
                    unreachable!("the config key only holds config")
                };
                let key = queue(w);
                let mut resized = 0u64;
                let mut pixels = 0u64;
                loop {
                    match space.take_blocking(&key) {
                        Ok(Job::Resize { image, width }) => {
                            resized += 1;
                            pixels += u64::from(width.min(max_width)) + image % 2;
                        }
                        Ok(other) => panic!("worker {w} got an unexpected job {other:?}"),
                        Err(WaitError::Closed) => break,
                        Err(e) => panic!("worker {w}: {e}"),
                    }
                }
                done.fetch_add(resized, Relaxed);
                (resized, pixels)
            })
        })
        .collect();

    // The auditor takes failures from any worker's queue, by pattern.
    let auditor = {
        let space = space.clone();
        thread::spawn(move || {
            let failures = Pattern::parse("public:images.failed.*").unwrap();
            let mut seen = Vec::new();
            while let Ok((key, job)) = futures::executor::block_on(space.take_matching(&failures)) {
                if let Job::Failed { image, reason } = job {
                    seen.push((key.id().unwrap_or("?").to_owned(), image, reason));
                }
            }
            seen
        })
    };

    // Producers: spread jobs over the worker queues; every 50 000th job "fails".
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let space = space.clone();
            thread::spawn(move || {
                for i in 0..JOBS_PER_PRODUCER {
                    let image = p * JOBS_PER_PRODUCER + i;
                    let worker = (image % WORKERS as u64) as usize;
                    let job = if image % 50_000 == 0 {
                        let key = format!("public:images.failed.q{worker}");
                        space.try_push(
                            &key,
                            Job::Failed {
                                image,
                                reason: "corrupt header",
                            },
                        )
                    } else {
                        space.try_push(
                            &queue(worker),
                            Job::Resize {
                                image,
                                width: 640 + (i % 3000) as u32,
                            },
                        )
                    };
                    job.expect("the space is open while producers run");
                }
            })
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    let produced = Instant::now();

    // Let the workers drain, then close: waiting takers wake with `Closed`.
    while (0..WORKERS).any(|w| space.len(&queue(w)) > 0) || space.total_len() > 1 {
        thread::sleep(Duration::from_millis(1));
    }
    space.close();
    let late = space
        .try_push(&queue(0), Job::Resize { image: 0, width: 1 })
        .unwrap_err();

    let mut total = 0;
    for (w, h) in workers.into_iter().enumerate() {
        let (resized, pixels) = h.join().unwrap();
        println!("worker {w}: resized {resized:>7} images ({pixels} px of width in total)");
        total += resized;
    }
    let failures = auditor.join().unwrap();
    println!(
        "auditor: {} failures taken by pattern `public:images.failed.*`:",
        failures.len()
    );
    for (queue, image, reason) in &failures {
        println!("  image {image:>6} on {queue}: {reason}");
    }
    let elapsed = started.elapsed();
    let jobs = PRODUCERS * JOBS_PER_PRODUCER;
    println!(
        "{jobs} jobs by {PRODUCERS} producers to {WORKERS} workers in {:.1} ms ({:.2} M jobs/s; producing took {:.1} ms)",
        elapsed.as_secs_f64() * 1e3,
        jobs as f64 / elapsed.as_secs_f64() / 1e6,
        (produced - started).as_secs_f64() * 1e3,
    );
    println!(
        "after close: `out` handed the job back ({}), the config entry is still readable: {:?}",
        ErrorCode::code(&late),
        space.try_peek("public:images.config"),
    );
    assert_eq!(
        total + failures.len() as u64,
        jobs,
        "every job handled exactly once"
    );
    assert_eq!(done.load(Relaxed), total);
}

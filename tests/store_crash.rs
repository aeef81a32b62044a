//! kill -9 crash loop: a child process pushes and pulls against a file store and reports every
//! acknowledged operation on its stdout (flushed per line); the test SIGKILLs it at a random
//! moment, reopens the log and checks it against the acknowledgements:
//! * every acknowledged push that was not acknowledged-pulled is present, in order;
//! * nothing acknowledged-pulled reappears;
//! * the one operation in flight at the kill may or may not have happened — exactly that much
//!   ambiguity is allowed, nothing more.
//!
//! The child is this test binary re-invoked on the `crash_child` test with an environment variable
//! set. `LINDY_CRASH_ITERS` sets the iteration count (default 200; `make soak` runs 2000),
//! `LINDY_CRASH_SEED` replays a run.
#![cfg(unix)]

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use lindy::store::{Durability, FileStorage, FileStore, Queue, StoreOptions};

const CHILD_LOG: &str = "LINDY_CRASH_CHILD_LOG";
const CHILD_SEED: &str = "LINDY_CRASH_CHILD_SEED";
const KEYS: [&str; 3] = ["k0", "k1", "k2"];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn options(seed: u64) -> StoreOptions {
    // Mostly Always; sometimes Never (a process crash keeps the page cache, so the same
    // invariants hold). A small auto-compaction threshold gets kills inside compactions.
    let durability = if seed % 4 == 3 {
        Durability::Never
    } else {
        Durability::Always
    };
    StoreOptions::new()
        .with_durability(durability)
        .with_auto_compact(32 << 10, 0.5)
}

/// The child: runs only when re-invoked by the crash loop.
#[test]
fn crash_child() {
    let (Ok(log), Ok(seed)) = (std::env::var(CHILD_LOG), std::env::var(CHILD_SEED)) else {
        return;
    };
    let seed: u64 = seed.parse().unwrap();
    let mut rng = Rng(seed);
    let store = FileStore::open_with(&log, options(seed)).expect("child: open");
    let out = std::io::stdout();
    let mut out = out.lock();
    let mut say = |line: &str| {
        out.write_all(line.as_bytes()).unwrap();
        out.write_all(b"\n").unwrap();
        out.flush().unwrap();
    };
    say("ready");
    // Bounded, so an orphaned child stops by itself.
    for n in 0..200_000u64 {
        let key = KEYS[rng.below(KEYS.len() as u64) as usize];
        match rng.below(100) {
            0..=54 => {
                // Unique, variously sized values: some span several pages.
                let pad = if rng.below(10) == 0 {
                    3000
                } else {
                    rng.below(64) as usize
                };
                let value = format!("{seed}.{n}.{}", "x".repeat(pad));
                say(&format!("P {key} {value}"));
                store.push(key, value.as_bytes()).expect("child: push");
                say("p");
            }
            55..=97 => {
                say(&format!("T {key}"));
                let got = store.try_take(key).expect("child: pull");
                match got {
                    Some(v) => say(&format!("t {}", String::from_utf8(v).unwrap())),
                    None => say("t -"),
                }
            }
            _ => {
                say("C");
                store.compact().expect("child: compact");
                say("c");
            }
        }
    }
}

#[derive(Debug)]
enum InFlight {
    None,
    Push(String, String),
    Pull(String),
}

type Model = BTreeMap<String, VecDeque<String>>;

/// Applies the child's acknowledgements to the model; returns the operation in flight.
fn apply(model: &mut Model, lines: &[String]) -> InFlight {
    let mut pending = InFlight::None;
    for line in lines {
        let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match tag {
            "ready" | "C" => {}
            "c" => pending = InFlight::None,
            "P" => {
                let (k, v) = rest.split_once(' ').unwrap();
                pending = InFlight::Push(k.into(), v.into());
            }
            "p" => {
                let InFlight::Push(k, v) = std::mem::replace(&mut pending, InFlight::None) else {
                    panic!("ack without intent")
                };
                model.entry(k).or_default().push_back(v);
            }
            "T" => pending = InFlight::Pull(rest.into()),
            "t" => {
                let InFlight::Pull(k) = std::mem::replace(&mut pending, InFlight::None) else {
                    panic!("ack without intent")
                };
                let q = model.entry(k.clone()).or_default();
                if rest == "-" {
                    assert!(
                        q.is_empty(),
                        "child pulled nothing from {k} but {q:?} is queued"
                    );
                } else {
                    // The live store serves exactly the model's head: no loss, no reordering.
                    assert_eq!(q.pop_front().as_deref(), Some(rest), "pull from {k}");
                }
            }
            other => panic!("unexpected child line {other:?}"),
        }
    }
    pending
}

/// Reads the log the way a restarted process would (truncating a torn tail).
fn reopen(path: &Path, seed: u64) -> (Model, u64) {
    let q = Queue::open(FileStorage::open(path).unwrap(), options(seed))
        .unwrap_or_else(|e| panic!("the log must reopen after kill -9 (seed {seed}): {e}"));
    let model = q
        .keys()
        .into_iter()
        .map(|k| {
            let v = q
                .entries(&k)
                .map(|e| String::from_utf8(e.value.to_vec()).unwrap())
                .collect();
            (k, v)
        })
        .collect();
    (model, q.open_report().truncated_bytes)
}

fn nonempty(m: &Model) -> Model {
    m.iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn kill_9_crash_loop() {
    let iters: u64 = std::env::var("LINDY_CRASH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let run_seed: u64 = std::env::var("LINDY_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("kill -9 crash loop: {iters} iterations, LINDY_CRASH_SEED={run_seed}");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("store-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("crash.log");
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(run_seed);
    let mut model = Model::new();
    let (mut acked_ops, mut ambiguous, mut torn, mut early) = (0usize, 0usize, 0u64, 0usize);
    for it in 0..iters {
        let seed = rng.next();
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env(CHILD_LOG, &path)
            .env(CHILD_SEED, seed.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready_rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut lines = Vec::new();
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if buf.last() != Some(&b'\n') => break, // cut mid-line by the kill
                    Ok(_) => {
                        let line = String::from_utf8_lossy(&buf[..buf.len() - 1]).into_owned();
                        if line == "ready" {
                            let _ = ready_tx.send(());
                        }
                        // libtest's own chatter is not ours.
                        let tag = line.split(' ').next().unwrap_or("");
                        if ["ready", "P", "p", "T", "t", "C", "c"].contains(&tag) {
                            lines.push(line);
                        }
                    }
                }
            }
            lines
        });
        if rng.below(10) == 0 {
            // Sometimes kill during startup: replay, truncation, header creation.
            early += 1;
            std::thread::sleep(Duration::from_micros(rng.below(5000)));
        } else {
            ready_rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("child never became ready (iteration {it})"));
            std::thread::sleep(Duration::from_micros(rng.below(25_000)));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        let before = nonempty(&model);
        let pending = apply(&mut model, &lines);
        acked_ops += lines
            .iter()
            .filter(|l| matches!(l.as_str(), "p") || l.starts_with("t "))
            .count();
        let (actual, truncated) = reopen(&path, seed);
        torn += truncated;
        let expected = nonempty(&model);
        let ctx = format!("iteration {it}, LINDY_CRASH_SEED={run_seed}, in flight {pending:?}");
        let ok = match &pending {
            InFlight::None => actual == expected,
            InFlight::Push(k, v) => {
                let mut with = model.clone();
                with.entry(k.clone()).or_default().push_back(v.clone());
                actual == expected || actual == nonempty(&with)
            }
            InFlight::Pull(k) => {
                let mut without = model.clone();
                without.entry(k.clone()).or_default().pop_front();
                actual == expected || actual == nonempty(&without)
            }
        };
        if !ok {
            panic!(
                "{ctx}\nexpected {expected:?}\nactual   {actual:?}\nbefore the child {before:?}"
            );
        }
        if actual != expected {
            ambiguous += 1;
        }
        model = actual;
    }
    eprintln!(
        "kill -9 crash loop: {iters} kills ({early} during startup), {acked_ops} acknowledged ops, \
         {ambiguous} in-flight ops that landed, {torn} torn-tail bytes truncated"
    );
    assert!(
        acked_ops > 0,
        "the children acknowledged nothing: the loop tested nothing"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

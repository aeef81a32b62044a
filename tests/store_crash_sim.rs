//! Power-loss simulation: for every syscall of a workload, cut the power there (with the page
//! cache losing, tearing at sector boundaries, reordering and garbling what was not synced, and
//! the directory losing unsynced renames), reopen from the disk image and compare with a model.
//!
//! The property, under `Durability::Always`: the reopened store holds exactly the acknowledged
//! state, except for the one operation in flight, which either happened or did not; a pull
//! whose own fsync failed (the store poisoned) was delivered at least once, so its entry may
//! come back, and every lease not acknowledged is back in its queue, in its place. `make test` runs a few thousand crash points; `LINDY_CRASH_WORKLOADS` runs more
//! (`make soak`).

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;

use lindy::store::{CrashStats, CrashVfs, FileStorage, LeaseId, Queue, StoreOptions};

/// Per key, the live entries in push order (what a reopen must show).
type Model = BTreeMap<String, VecDeque<Vec<u8>>>;

#[derive(Debug, Clone)]
enum Op {
    Push(usize, Vec<u8>),
    Pull(usize),
    /// Take the head of a key on a lease (nothing written).
    Lease(usize),
    /// Acknowledge the oldest outstanding lease (its tombstone).
    Ack,
    Compact,
}

/// The workload's view while it runs: live entries per key with a leased flag, and the leases
/// out (their key and value, oldest first).
#[derive(Clone, Default, Debug)]
struct Run {
    live: BTreeMap<String, VecDeque<(Vec<u8>, bool)>>,
    leases: VecDeque<(LeaseId, String, Vec<u8>)>,
}

impl Run {
    fn model(&self) -> Model {
        self.live
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(k, q)| (k.clone(), q.iter().map(|(v, _)| v.clone()).collect()))
            .collect()
    }
    fn head(&self, key: &str) -> Option<Vec<u8>> {
        self.live
            .get(key)?
            .iter()
            .find(|(_, leased)| !leased)
            .map(|(v, _)| v.clone())
    }
}

const KEYS: [&str; 3] = ["alpha", "beta", "gamma"];
const LOG: &str = "/data/q.log";

/// A deterministic generator for the workloads.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn workload(seed: u64, len: usize) -> Vec<Op> {
    let mut rng = Rng(seed);
    (0..len)
        .map(|i| match rng.below(10) {
            0..=4 => {
                // Small values, and multi-sector ones (records that tear inside).
                let n = if rng.below(3) == 0 {
                    500 + rng.below(4500) as usize
                } else {
                    rng.below(40) as usize
                };
                let fill = (seed as u8) ^ (i as u8);
                Op::Push(rng.below(3) as usize, vec![fill; n])
            }
            5..=6 => Op::Pull(rng.below(3) as usize),
            7 => Op::Lease(rng.below(3) as usize),
            8 => Op::Ack,
            _ => Op::Compact,
        })
        .collect()
}

fn opts() -> StoreOptions {
    StoreOptions::new().with_auto_compact(4096, 0.3)
}

fn state<S: lindy::store::Storage>(q: &Queue<S>) -> Model {
    q.keys()
        .into_iter()
        .map(|k| {
            let v = q.entries(&k).map(|e| e.value.to_vec()).collect();
            (k, v)
        })
        .collect()
}

/// The run after `op` succeeds (`lease`: the id it got).
fn apply(run: &Run, op: &Op, lease: Option<LeaseId>) -> Run {
    let mut r = run.clone();
    match op {
        Op::Push(k, v) => r
            .live
            .entry(KEYS[*k].into())
            .or_default()
            .push_back((v.clone(), false)),
        Op::Pull(k) => {
            if let Some(q) = r.live.get_mut(KEYS[*k]) {
                if let Some(i) = q.iter().position(|(_, leased)| !leased) {
                    q.remove(i);
                }
            }
        }
        Op::Lease(k) => {
            if let (Some(id), Some(q)) = (lease, r.live.get_mut(KEYS[*k])) {
                let i = q.iter().position(|(_, leased)| !leased).unwrap();
                q[i].1 = true;
                r.leases.push_back((id, KEYS[*k].into(), q[i].0.clone()));
            }
        }
        Op::Ack => {
            if let Some((_, key, value)) = r.leases.pop_front() {
                let q = r.live.get_mut(&key).unwrap();
                // The first leased entry with this value (values are unique per position).
                let i = q.iter().position(|(v, l)| *l && *v == value).unwrap();
                q.remove(i);
            }
        }
        Op::Compact => {}
    }
    r
}

/// Runs one op; `Ok(Some(bytes))` for what a pull or lease returned.
type Outcome = Result<(Option<Vec<u8>>, Option<LeaseId>), lindy::store::StoreError>;

fn run_op(q: &mut Queue<FileStorage<CrashVfs>>, run: &Run, op: &Op) -> Outcome {
    match op {
        Op::Push(k, v) => q.push(KEYS[*k], v).map(|()| (None, None)),
        Op::Pull(k) => q.try_take(KEYS[*k]).map(|v| (v, None)),
        Op::Lease(k) => q
            .take_leased(KEYS[*k], None, 0)
            .map(|l| l.map_or((None, None), |l| (Some(l.value), Some(l.id)))),
        Op::Ack => match run.leases.front() {
            Some((id, ..)) => q.ack(*id).map(|()| (None, None)),
            None => Ok((None, None)),
        },
        Op::Compact => q.compact().map(|()| (None, None)),
    }
}

/// A model in a line: each key's entries as length x first byte.
fn brief(m: &Model) -> String {
    m.iter()
        .map(|(k, q)| {
            let items: Vec<String> = q
                .iter()
                .map(|v| format!("{}x{}", v.len(), v.first().copied().unwrap_or(0)))
                .collect();
            format!("{k}: [{}]", items.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn open(vfs: &CrashVfs) -> Result<Queue<FileStorage<CrashVfs>>, lindy::store::StoreError> {
    Queue::open(FileStorage::open_in(vfs.clone(), LOG)?, opts())
}

#[derive(Default, Debug)]
struct Tally {
    crash_points: u64,
    torn_tails: u64,
    in_flight_applied: u64,
    /// Un-acknowledged leases outstanding at a crash (each back in its queue after the reopen).
    leases_back: u64,
    stats: CrashStats,
}

/// Runs `ops` with the power cut at syscall `crash_at`; checks the reopened state.
fn crash_once(ops: &[Op], crash_at: u64, seed: u64, tally: &mut Tally) {
    let vfs = CrashVfs::new();
    vfs.crash_at(crash_at, seed);
    let mut run = Run::default();
    let mut allowed: Vec<Model> = vec![Model::new()];
    let mut ctx = format!("crash at syscall {crash_at} (seed {seed})");
    if let Ok(mut q) = open(&vfs) {
        for (i, op) in ops.iter().enumerate() {
            let r = run_op(&mut q, &run, op);
            if vfs.crashed().is_none() {
                let (got, lease) = r.unwrap_or_else(|e| panic!("{ctx}: op {i} {op:?} failed: {e}"));
                if let Op::Pull(k) | Op::Lease(k) = op {
                    assert_eq!(got, run.head(KEYS[*k]), "{ctx}: op {i}");
                }
                run = apply(&run, op, lease);
                allowed = vec![run.model()];
                continue;
            }
            let what = match op {
                Op::Push(k, v) => format!("push {} ({} bytes)", KEYS[*k], v.len()),
                Op::Pull(k) => format!("pull {}", KEYS[*k]),
                Op::Lease(k) => format!("lease {}", KEYS[*k]),
                Op::Ack => "ack".into(),
                Op::Compact => "compact".into(),
            };
            let (ok, lease) = match &r {
                Ok((_, l)) => (true, *l),
                Err(_) => (false, None),
            };
            ctx = format!("{ctx}, in op {i} {what} -> {:?}", r.as_ref().map(|_| ()));
            let before = run.model();
            let after = apply(&run, op, lease).model();
            allowed = match op {
                Op::Push(..) | Op::Ack if ok => vec![after],
                Op::Pull(_) if ok && !q.is_poisoned() => vec![after],
                Op::Pull(_) if !ok => vec![before],
                Op::Lease(_) | Op::Compact => vec![before],
                // Outcome unknown (its own fsync failed), or delivered at least once.
                _ => vec![before, after],
            };
            break;
        }
    }
    let (image, stats) = vfs.crashed().expect("the power was cut");
    tally.crash_points += 1;
    tally.stats.sectors += stats.sectors;
    tally.stats.kept += stats.kept;
    tally.stats.garbage += stats.garbage;
    tally.stats.lost_sizes += stats.lost_sizes;
    tally.stats.lost_dir_ops += stats.lost_dir_ops;
    tally.leases_back += run.leases.len() as u64;
    let reboot = CrashVfs::from_image(&image);
    let mut q = open(&reboot).unwrap_or_else(|e| panic!("{ctx}: reopen failed: {e}"));
    if q.open_report().truncated_bytes > 0 {
        tally.torn_tails += 1;
    }
    let got = state(&q);
    assert!(
        allowed.contains(&got),
        "{ctx}: reopened to {}, allowed {:?}",
        brief(&got),
        allowed.iter().map(brief).collect::<Vec<_>>()
    );
    if allowed.len() == 2 && got == allowed[1] {
        tally.in_flight_applied += 1;
    }
    // Every un-acknowledged lease is back in the queue: the reopened store hands out exactly
    // what the model holds (at least once).
    assert_eq!(q.leased_len(), 0);
    // The reopened store works: a push after it survives a clean reopen.
    q.push("after", b"reboot").unwrap();
    q.close().unwrap();
    drop(q);
    let q = open(&reboot).unwrap();
    assert_eq!(q.peek("after"), Some(b"reboot".to_vec()), "{ctx}");
    assert_eq!(q.len("after"), 1);
}

#[test]
fn every_crash_point_reopens_to_the_acknowledged_state() {
    let workloads: u64 = std::env::var("LINDY_CRASH_WORKLOADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut tally = Tally::default();
    for w in 0..workloads {
        let ops = workload(w, 24);
        // A clean run counts the workload's syscalls.
        let vfs = CrashVfs::new();
        let mut q = open(&vfs).unwrap();
        let mut run = Run::default();
        for op in &ops {
            let (_, lease) = run_op(&mut q, &run, op).unwrap();
            run = apply(&run, op, lease);
        }
        let calls = vfs.calls();
        assert!(Path::new(LOG).is_absolute());
        for crash_at in 0..calls {
            for variant in 0..2 {
                crash_once(
                    &ops,
                    crash_at,
                    w << 32 | crash_at << 1 | variant,
                    &mut tally,
                );
            }
        }
    }
    eprintln!("crash simulation: {tally:?}");
    assert!(tally.crash_points >= workloads * 2 * 24, "{tally:?}");
    assert!(tally.torn_tails > 0 && tally.stats.garbage > 0 && tally.stats.lost_dir_ops > 0);
    assert!(tally.leases_back > 0, "{tally:?}");
}

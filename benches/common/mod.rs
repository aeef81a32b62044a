//! A small shared bench harness: every lindy bench compares against named peers *in the same run*
//! and prints a Markdown table with ratios, ready to paste into the README.
//!
//! Why not criterion: we need one table per comparison with ratios across implementations, and
//! allocation counts next to timings; the statistics we need (best-of-rounds median) are simple.
//!
//! Method: each case runs a warm-up, then `ROUNDS` timed rounds of `iters` operations; the reported
//! figure is the median round, per operation. Allocations are counted over one extra round when the
//! bench binary installs [`CountingAlloc`] as its global allocator.
//!
//! [`Table::interleaved`] runs the cases of a table round-robin (case 1, case 2, …, case 1, …),
//! so a burst of outside load on this shared machine hits one round of every case instead of
//! every round of one case; single-thread tables report the best round, thread tables the median.
//!
//! Two more knobs, both environment variables, so any bench binary has them:
//!
//! * `LINDY_BENCH_HOG=N` starts `N` threads that spin for the whole run: the *loaded* regime
//!   (the default, 0, is the *idle* regime — on a shared machine "idle" only means "no hog of
//!   ours"). Every table title names its regime.
//! * `LINDY_BENCH_ROWS=text` runs only the rows of interleaved tables whose name contains
//!   `text` (to profile one row; the target lines then report nothing useful).
//! * `LINDY_BENCH_CALLGRIND=1` adds instruction counts to the single-thread tables (those made
//!   with [`Table::single_thread`]): after timing, the bench binary runs itself under
//!   `valgrind --tool=callgrind` once per row, with `N` and with `2N` operations, and reports
//!   `(Ir(2N) − Ir(N)) / N` — set-up, warm-up and process start cancel out, and the count is the
//!   same whatever else the machine runs. `make bench-callgrind` runs these tables.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Counts allocations; install with `#[global_allocator] static A: CountingAlloc = CountingAlloc;`.
pub struct CountingAlloc;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static ALLOC_BYTES: AtomicU64 = AtomicU64::new(0);
static LIVE_BYTES: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        ALLOC_BYTES.fetch_add(layout.size() as u64, Relaxed);
        LIVE_BYTES.fetch_add(layout.size() as u64, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as u64, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        LIVE_BYTES.fetch_sub(layout.size() as u64, Relaxed);
        LIVE_BYTES.fetch_add(new_size as u64, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocation calls so far (only counts when [`CountingAlloc`] is installed).
pub fn alloc_count() -> u64 {
    ALLOCS.load(Relaxed)
}

/// Bytes currently allocated (only meaningful when [`CountingAlloc`] is installed).
pub fn live_bytes() -> u64 {
    LIVE_BYTES.load(Relaxed)
}

const ROUNDS: usize = 7;

/// One result row.
pub struct Row {
    pub name: String,
    /// Nanoseconds per operation (median round).
    pub ns_per_op: f64,
    /// Allocations per operation, when counted.
    pub allocs_per_op: Option<f64>,
    /// Instructions per operation under callgrind, when counted.
    pub ir_per_op: Option<f64>,
}

/// A named benchmark body: `f(n)` performs `n` operations.
pub type Case<'a> = (&'static str, Box<dyn FnMut(u64) + 'a>);

/// Which round of an interleaved run a table reports.
#[derive(Clone, Copy)]
pub enum Pick {
    /// The fastest round: for single-thread code, where outside load can only add time.
    Best,
    /// The median round: for thread hand-off, whose speed depends on scheduling.
    Median,
}

/// The case a callgrind child process runs: `(table title, row name, operations)`.
struct CallgrindChild {
    table: String,
    row: String,
    iters: u64,
}

const CALLGRIND_CASE: &str = "LINDY_CALLGRIND_CASE";
const CALLGRIND_ITERS: &str = "LINDY_CALLGRIND_ITERS";
/// Operations in the shorter of the two callgrind runs of a row.
const CALLGRIND_OPS: u64 = 20_000;

fn callgrind_child() -> Option<&'static CallgrindChild> {
    static CHILD: OnceLock<Option<CallgrindChild>> = OnceLock::new();
    CHILD
        .get_or_init(|| {
            let case = std::env::var(CALLGRIND_CASE).ok()?;
            let (table, row) = case.split_once('\u{1f}')?;
            Some(CallgrindChild {
                table: table.into(),
                row: row.into(),
                iters: std::env::var(CALLGRIND_ITERS).ok()?.parse().ok()?,
            })
        })
        .as_ref()
}

/// Hog threads started (once, by the first table) for the loaded regime.
fn regime() -> &'static str {
    static REGIME: OnceLock<String> = OnceLock::new();
    REGIME.get_or_init(|| {
        let hogs: usize = std::env::var("LINDY_BENCH_HOG")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if hogs == 0 || callgrind_child().is_some() {
            return "idle (no hog; other processes may run)".into();
        }
        for _ in 0..hogs {
            std::thread::spawn(|| {
                let mut x = 0u64;
                loop {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            });
        }
        format!(
            "loaded ({hogs} spinning hog thread{} beside)",
            if hogs == 1 { "" } else { "s" }
        )
    })
}

/// The measured run of an instruction count (see [`Table::case`]): callgrind collects inside it.
#[inline(never)]
pub fn instr_measured(f: &mut dyn FnMut()) {
    f();
    std::hint::black_box(());
}

/// `LINDY_BENCH_INSTR=<part of "table title | row name">=<n>`, parsed.
fn instr_spec() -> Option<&'static (String, u64)> {
    static SPEC: OnceLock<Option<(String, u64)>> = OnceLock::new();
    SPEC.get_or_init(|| {
        let spec = std::env::var("LINDY_BENCH_INSTR").ok()?;
        let (part, n) = spec.rsplit_once('=').expect("LINDY_BENCH_INSTR=<row>=<n>");
        let n: u64 = n.parse().expect("LINDY_BENCH_INSTR=<row>=<n>");
        Some((part.to_owned(), n))
    })
    .as_ref()
}

/// A comparison table: add cases, then [`Table::print`].
pub struct Table {
    title: String,
    unit: &'static str,
    rows: Vec<Row>,
    quick: bool,
    single_thread: bool,
}

impl Table {
    /// `unit` names one operation, e.g. `"push+pop"`.
    pub fn new(title: &str, unit: &'static str) -> Self {
        // `LINDY_BENCH_QUICK=1` (used by `cargo test --benches` smoke runs) shrinks every case.
        let quick = std::env::var_os("LINDY_BENCH_QUICK").is_some();
        regime(); // start the hogs before the first case
        Table {
            title: title.into(),
            unit,
            rows: Vec::new(),
            quick,
            single_thread: false,
        }
    }

    /// Marks every case of this table as running on one thread: with
    /// `LINDY_BENCH_CALLGRIND=1`, its rows get instruction counts.
    pub fn single_thread(mut self) -> Self {
        self.single_thread = true;
        self
    }

    /// In a callgrind child: `Some(true)` if this row is the one to run, `Some(false)` if it is
    /// to be skipped; `None` in a normal run.
    fn child_runs(&self, name: &str) -> Option<bool> {
        callgrind_child().map(|c| c.table == self.title && c.row == name)
    }

    /// A callgrind child runs the chosen row once with the requested count (after the same
    /// warm-up as the timed run) and records nothing measurable.
    fn child_case(&mut self, name: &str, f: &mut dyn FnMut(u64)) {
        if self.child_runs(name) == Some(true) {
            let iters = callgrind_child().map_or(1, |c| c.iters);
            f(CALLGRIND_OPS.div_ceil(10));
            f(iters);
        }
        self.record(name, f64::NAN);
    }

    /// Runs one row for `LINDY_BENCH_INSTR` (see [`case`](Self::case)), if it matches.
    fn instr_case(&mut self, name: &str, f: &mut dyn FnMut(u64)) {
        if let Some((part, n)) = instr_spec() {
            if format!("{} | {}", self.title, name).contains(part.as_str()) {
                f(*n);
                instr_measured(&mut || f(*n));
            }
        }
        self.record(name, 0.0);
    }

    /// Times every case in interleaved rounds and records the picked round of each (see the
    /// module docs). `iters` operations per round, scaled down in quick mode.
    pub fn interleaved(&mut self, iters: u64, rounds: usize, pick: Pick, mut cases: Vec<Case<'_>>) {
        if instr_spec().is_some() {
            for (name, f) in cases.iter_mut() {
                self.instr_case(name, f);
            }
            return;
        }
        if callgrind_child().is_some() {
            for (name, f) in cases.iter_mut() {
                self.child_case(name, f);
            }
            return;
        }
        // `LINDY_BENCH_ROWS=text` keeps only the rows whose name contains `text` (for profiling
        // one row with perf or strace).
        if let Ok(rows) = std::env::var("LINDY_BENCH_ROWS") {
            for (name, _) in cases
                .iter()
                .filter(|(name, _)| !name.contains(rows.as_str()))
            {
                self.record(name, f64::NAN);
            }
            cases.retain(|(name, _)| name.contains(rows.as_str()));
        }
        let iters = self.iters(iters);
        let rounds = if self.quick { 1 } else { rounds };
        for (_, f) in cases.iter_mut() {
            f(iters.div_ceil(10)); // warm-up
        }
        let mut times = vec![Vec::with_capacity(rounds); cases.len()];
        for _ in 0..rounds {
            for ((_, f), times) in cases.iter_mut().zip(&mut times) {
                let start = Instant::now();
                f(iters);
                times.push(start.elapsed().as_nanos() as f64 / iters as f64);
            }
        }
        for ((name, _), mut times) in cases.iter().zip(times) {
            times.sort_by(f64::total_cmp);
            let ns = match pick {
                Pick::Best => times[0],
                Pick::Median => times[times.len() / 2],
            };
            self.record(name, ns);
        }
    }

    /// Iteration count scaled down in quick mode.
    pub fn iters(&self, n: u64) -> u64 {
        if self.quick {
            (n / 1000).max(1)
        } else {
            n
        }
    }

    /// Times `f(iters)`, which must perform `iters` operations. Returns ns/op.
    ///
    /// `LINDY_BENCH_INSTR=<part of "table title | row name">=<n>` runs only the matching rows,
    /// untimed: `f(n)` once to warm up, then `f(n)` inside [`instr_measured`], for instruction
    /// counts with `valgrind --tool=callgrind --toggle-collect='*instr_measured*'` (the collected
    /// instructions over `n` are the row's instructions per operation). Interleaved tables honour
    /// it too. (`LINDY_BENCH_CALLGRIND=1` does the same for whole tables, from the bench itself.)
    pub fn case(&mut self, name: &str, iters: u64, mut f: impl FnMut(u64)) -> f64 {
        if instr_spec().is_some() {
            self.instr_case(name, &mut f);
            return 0.0;
        }
        if callgrind_child().is_some() {
            self.child_case(name, &mut f);
            return f64::NAN;
        }
        let iters = self.iters(iters);
        f(iters.div_ceil(10)); // warm-up
        let rounds = if self.quick { 1 } else { ROUNDS };
        let mut times: Vec<Duration> = (0..rounds)
            .map(|_| {
                let t = Instant::now();
                f(iters);
                t.elapsed()
            })
            .collect();
        times.sort();
        let ns = times[times.len() / 2].as_nanos() as f64 / iters as f64;
        let before = alloc_count();
        f(iters);
        let allocs = alloc_count() - before;
        let allocs_per_op = (alloc_count() > 0).then(|| allocs as f64 / iters as f64);
        self.rows.push(Row {
            name: name.into(),
            ns_per_op: ns,
            allocs_per_op,
            ir_per_op: None,
        });
        ns
    }

    /// Records a figure measured elsewhere (e.g. a multi-threaded run timed by the caller).
    pub fn record(&mut self, name: &str, ns_per_op: f64) {
        self.rows.push(Row {
            name: name.into(),
            ns_per_op,
            allocs_per_op: None,
            ir_per_op: None,
        });
    }

    /// ns/op of a recorded row.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.ns_per_op)
    }

    /// Instructions per operation of a row, when counted.
    pub fn ir(&self, name: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.name == name)
            .and_then(|r| r.ir_per_op)
    }

    /// With `LINDY_BENCH_CALLGRIND=1`, counts the instructions of every row of a single-thread
    /// table (see the module docs). Needs `valgrind` on `PATH`.
    fn count_instructions(&mut self) {
        if !self.single_thread || std::env::var_os("LINDY_BENCH_CALLGRIND").is_none() {
            return;
        }
        let exe = std::env::current_exe().expect("the bench binary's path");
        let args: Vec<String> = std::env::args().skip(1).collect();
        let run = |row: &str, iters: u64| -> Option<f64> {
            let out = std::process::Command::new("valgrind")
                .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
                .arg(&exe)
                .args(&args)
                .env(CALLGRIND_CASE, format!("{}\u{1f}{row}", self.title))
                .env(CALLGRIND_ITERS, iters.to_string())
                .env_remove("LINDY_BENCH_CALLGRIND")
                .env_remove("LINDY_BENCH_HOG")
                .output();
            let out = match out {
                Ok(o) if o.status.success() => o,
                Ok(o) => {
                    eprintln!(
                        "callgrind run of {row:?} failed: {}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                    return None;
                }
                Err(e) => {
                    eprintln!("cannot run valgrind ({e}): no instruction counts");
                    return None;
                }
            };
            // callgrind's summary: "==pid== Collected : 123456789".
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .find_map(|l| {
                    l.split_once("Collected :")
                        .map(|(_, n)| n.trim().to_owned())
                })
                .and_then(|n| n.parse::<f64>().ok())
        };
        let names: Vec<String> = self.rows.iter().map(|r| r.name.clone()).collect();
        for (row, name) in self.rows.iter_mut().zip(names) {
            let (Some(once), Some(twice)) =
                (run(&name, CALLGRIND_OPS), run(&name, 2 * CALLGRIND_OPS))
            else {
                continue;
            };
            row.ir_per_op = Some((twice - once) / CALLGRIND_OPS as f64);
        }
    }

    /// Prints the Markdown table. `ratio` is each row's time divided by the first row's (the
    /// lindy row goes first by convention): below 1.0 means faster than lindy, above means slower.
    /// With instruction counts, two more columns: instructions per operation and their ratio.
    pub fn print(&mut self) {
        if callgrind_child().is_some() {
            return;
        }
        self.count_instructions();
        let with_ir = self.rows.iter().any(|r| r.ir_per_op.is_some());
        println!("\n### {}\n", self.title);
        println!("regime: {}\n", regime());
        print!(
            "| implementation | ns/{} | ops/s | × lindy time | allocs/op |",
            self.unit
        );
        if with_ir {
            print!(" instructions/{} | × lindy instructions |", self.unit);
        }
        println!();
        println!(
            "|---|---:|---:|---:|---:|{}",
            if with_ir { "---:|---:|" } else { "" }
        );
        let base = self.rows.first().map(|r| r.ns_per_op).unwrap_or(1.0);
        let base_ir = self.rows.first().and_then(|r| r.ir_per_op);
        for r in &self.rows {
            let allocs = r
                .allocs_per_op
                .map(|a| format!("{a:.2}"))
                .unwrap_or_else(|| "–".into());
            print!(
                "| {} | {:.1} | {} | {:.2} | {} |",
                r.name,
                r.ns_per_op,
                human(1e9 / r.ns_per_op),
                r.ns_per_op / base,
                allocs
            );
            if with_ir {
                match (r.ir_per_op, base_ir) {
                    (Some(ir), Some(b)) => print!(" {ir:.1} | {:.2} |", ir / b),
                    (Some(ir), None) => print!(" {ir:.1} | – |"),
                    _ => print!(" – | – |"),
                }
            }
            println!();
        }
    }
}

/// `lindy ÷ peer` with a verdict against `target` (e.g. 1.0 for "no slower than the peer").
pub fn verdict(ratio: f64, target: f64) -> &'static str {
    if ratio <= target {
        "met"
    } else {
        "missed"
    }
}

/// 12.3M, 456k, …
pub fn human(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.2}G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.1}")
    }
}

/// Unlocks a locked `parking_lot::RawMutex` when dropped, so `f` panicking still unlocks.
struct ParkingLotUnlock<'a>(&'a parking_lot::RawMutex);

impl Drop for ParkingLotUnlock<'_> {
    fn drop(&mut self) {
        use parking_lot::lock_api::RawMutex as _;
        // Safety: constructed only right after this thread locked the mutex.
        unsafe { self.0.unlock() }
    }
}

/// Plain `parking_lot::RawMutex` (its own contended path, which yields before parking) as a lindy
/// lock, measured beside the seam in the same run (issue 18 tried it as the seam's `std` lock:
/// see `docs/benchmarks/threads.md`). Lindy's types take it as their `R` parameter
/// (`LockingRing<u64, N, ParkingLotMutex>`).
pub struct ParkingLotMutex(parking_lot::RawMutex);

// Safety: parking_lot's raw mutex excludes other threads between `lock` and `unlock`.
unsafe impl lindy::sync::RawMutex for ParkingLotMutex {
    const INIT: Self =
        ParkingLotMutex(<parking_lot::RawMutex as parking_lot::lock_api::RawMutex>::INIT);
    // A nested `lock` deadlocks: it never runs its closure.
    const REENTRANT: bool = false;
    // OS threads only, as the seam's `StdRawMutex`: the ring publishes with release stamps.
    const THREADS_ONLY: bool = true;
    #[inline]
    fn yield_now() {
        std::thread::yield_now();
    }
    #[inline]
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R {
        use parking_lot::lock_api::RawMutex as _;
        self.0.lock();
        let _unlock = ParkingLotUnlock(&self.0);
        f()
    }
}

/// `std::sync::Mutex<()>` as a lindy lock, exactly as the seam's `StdRawMutex` (the default on
/// `std`): the "std" row of the lock comparisons.
pub struct StdSyncMutex(std::sync::Mutex<()>);

// Safety: an OS mutex excludes other threads while `f` runs.
unsafe impl lindy::sync::RawMutex for StdSyncMutex {
    const INIT: Self = StdSyncMutex(std::sync::Mutex::new(()));
    const REENTRANT: bool = false;
    // OS threads only, as the seam's `StdRawMutex`: the ring publishes with release stamps.
    const THREADS_ONLY: bool = true;
    #[inline]
    fn yield_now() {
        std::thread::yield_now();
    }
    #[inline]
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f()
    }
}

/// parking_lot's raw mutex behind a std-like contended spin (up to 100 reads of the lock byte,
/// never yielding, then parking_lot's own path): tried as the seam's `std` lock in issue 18.
pub struct ParkingLotSpinMutex(parking_lot::RawMutex);

impl ParkingLotSpinMutex {
    #[cold]
    fn lock_contended(&self) {
        use parking_lot::lock_api::RawMutex as _;
        for _ in 0..100 {
            std::hint::spin_loop();
            if !self.0.is_locked() && self.0.try_lock() {
                return;
            }
        }
        self.0.lock();
    }
}

// Safety: parking_lot's raw mutex excludes other threads between `lock` and `unlock`.
unsafe impl lindy::sync::RawMutex for ParkingLotSpinMutex {
    const INIT: Self =
        ParkingLotSpinMutex(<parking_lot::RawMutex as parking_lot::lock_api::RawMutex>::INIT);
    const REENTRANT: bool = false;
    // OS threads only, as the seam's `StdRawMutex`: the ring publishes with release stamps.
    const THREADS_ONLY: bool = true;
    #[inline]
    fn yield_now() {
        std::thread::yield_now();
    }
    #[inline]
    fn lock<R>(&self, f: impl FnOnce() -> R) -> R {
        use parking_lot::lock_api::RawMutex as _;
        if !self.0.try_lock() {
            self.lock_contended();
        }
        let _unlock = ParkingLotUnlock(&self.0);
        f()
    }
}

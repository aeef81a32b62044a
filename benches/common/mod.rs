//! A small shared bench harness: every lindy bench compares against named peers *in the same run*
//! and prints a Markdown table with ratios, ready to paste into the README.
//!
//! Why not criterion: we need one table per comparison with ratios across implementations, and
//! allocation counts next to timings; the statistics we need (best-of-rounds median) are simple.
//!
//! Method: each case runs a warm-up, then `ROUNDS` timed rounds of `iters` operations; the reported
//! figure is the median round, per operation. Allocations are counted over one extra round when the
//! bench binary installs [`CountingAlloc`] as its global allocator.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
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
}

/// The measured run of an instruction count (see [`Table::case`]): callgrind collects inside it.
#[inline(never)]
pub fn instr_measured(f: &mut dyn FnMut()) {
    f();
    std::hint::black_box(());
}

/// A comparison table: add cases, then [`Table::print`].
pub struct Table {
    title: String,
    unit: &'static str,
    rows: Vec<Row>,
    quick: bool,
}

impl Table {
    /// `unit` names one operation, e.g. `"push+pop"`.
    pub fn new(title: &str, unit: &'static str) -> Self {
        // `LINDY_BENCH_QUICK=1` (used by `cargo test --benches` smoke runs) shrinks every case.
        let quick = std::env::var_os("LINDY_BENCH_QUICK").is_some();
        Table {
            title: title.into(),
            unit,
            rows: Vec::new(),
            quick,
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
    /// instructions over `n` are the row's instructions per operation).
    pub fn case(&mut self, name: &str, iters: u64, mut f: impl FnMut(u64)) -> f64 {
        if let Some(spec) = std::env::var_os("LINDY_BENCH_INSTR") {
            let spec = spec.to_string_lossy().into_owned();
            let (part, n) = spec.rsplit_once('=').expect("LINDY_BENCH_INSTR=<row>=<n>");
            let n: u64 = n.parse().expect("LINDY_BENCH_INSTR=<row>=<n>");
            if format!("{} | {}", self.title, name).contains(part) {
                f(n);
                instr_measured(&mut || f(n));
            }
            return 0.0;
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
        });
        ns
    }

    /// Records a figure measured elsewhere (e.g. a multi-threaded run timed by the caller).
    pub fn record(&mut self, name: &str, ns_per_op: f64) {
        self.rows.push(Row {
            name: name.into(),
            ns_per_op,
            allocs_per_op: None,
        });
    }

    /// ns/op of a recorded row.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.ns_per_op)
    }

    /// Prints the Markdown table. `ratio` is each row's time divided by the first row's (the
    /// lindy row goes first by convention): below 1.0 means faster than lindy, above means slower.
    pub fn print(&self) {
        println!("\n### {}\n", self.title);
        println!(
            "| implementation | ns/{} | ops/s | × lindy time | allocs/op |",
            self.unit
        );
        println!("|---|---:|---:|---:|---:|");
        let base = self.rows.first().map(|r| r.ns_per_op).unwrap_or(1.0);
        for r in &self.rows {
            let allocs = r
                .allocs_per_op
                .map(|a| format!("{a:.2}"))
                .unwrap_or_else(|| "–".into());
            println!(
                "| {} | {:.1} | {} | {:.2} | {} |",
                r.name,
                r.ns_per_op,
                human(1e9 / r.ns_per_op),
                r.ns_per_op / base,
                allocs
            );
        }
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

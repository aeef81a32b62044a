//! The conformance kit against the in-memory backend (`LocalSpace<Vec<u8>>`), and against two
//! deliberately broken backends, to show the kit catches what it claims to.
//!
//! `harness = false`: it prints the kit's report (`kit[memory]: N passed, 0 failed, M not
//! applicable`) and exits non-zero on any failure.

use std::process::ExitCode;

use lindy::testkit::{
    run, Capabilities, Harness, KitError, KitLease, Memory, Options, Queue, CASES,
};

/// Wraps the memory backend and breaks one rule.
struct Mutant {
    inner: Memory,
    name: &'static str,
}

struct MutantQueue {
    inner: <Memory as Harness>::Queue,
    name: &'static str,
}

impl Harness for Mutant {
    type Queue = MutantQueue;
    fn name(&self) -> &str {
        self.name
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn open(&mut self, options: &Options) -> Result<MutantQueue, KitError> {
        Ok(MutantQueue {
            inner: self.inner.open(options).await?,
            name: self.name,
        })
    }
}

impl Queue for MutantQueue {
    async fn try_push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        if self.name == "lifo" {
            // Breaks FIFO: every push goes to the head.
            return self.inner.push_front(key, value).await;
        }
        self.inner.try_push(key, value).await
    }
    async fn try_take(&self, key: &str) -> Result<Option<Vec<u8>>, KitError> {
        self.inner.try_take(key).await
    }
    async fn len(&self, key: &str) -> Result<usize, KitError> {
        self.inner.len(key).await
    }
    async fn close(&self) -> Result<(), KitError> {
        self.inner.close().await
    }
    async fn advance(&self, ms: u64) {
        if self.name != "no-expiry" {
            self.inner.advance(ms).await;
        }
    }
    async fn sleep(&self, ms: u64) {
        self.inner.sleep(ms).await
    }
    async fn take(&self, key: &str) -> Result<Vec<u8>, KitError> {
        self.inner.take(key).await
    }
    async fn push_front(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        self.inner.push_front(key, value).await
    }
    async fn push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        self.inner.push(key, value).await
    }
    async fn try_take_matching(
        &self,
        pattern: &str,
    ) -> Result<Option<(String, Vec<u8>)>, KitError> {
        self.inner.try_take_matching(pattern).await
    }
    async fn try_take_leased(&self, key: &str, ms: u64) -> Result<Option<KitLease>, KitError> {
        self.inner.try_take_leased(key, ms).await
    }
    async fn ack(&self, lease: u64) -> Result<(), KitError> {
        self.inner.ack(lease).await
    }
    async fn nack(&self, lease: u64) -> Result<(), KitError> {
        self.inner.nack(lease).await
    }
    async fn extend(&self, lease: u64, ms: u64) -> Result<(), KitError> {
        self.inner.extend(lease, ms).await
    }
}

fn main() -> ExitCode {
    let report = futures::executor::block_on(run(&mut Memory::new()));
    println!("{report}");
    let mut ok = report.ok();
    if report.passed.len() + report.not_applicable.len() != CASES.len() {
        println!("kit[memory]: not every case was reported");
        ok = false;
    }
    if report
        .not_applicable
        .iter()
        .any(|(_, missing)| *missing != "durable")
    {
        println!("kit[memory]: the memory backend must run every non-durable case");
        ok = false;
    }

    // The kit must catch broken backends, case by case.
    for (name, must_fail) in [
        ("lifo", "fifo_per_key"),
        ("no-expiry", "lease_expiry_requeues_at_the_head"),
    ] {
        let report = futures::executor::block_on(run(&mut Mutant {
            inner: Memory::new(),
            name,
        }));
        let caught = report.failed.iter().any(|(case, _)| *case == must_fail);
        println!(
            "kit[{name}] (deliberately broken): {} failed, {} caught",
            report.failed.len(),
            if caught { must_fail } else { "NOT" }
        );
        ok &= caught;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

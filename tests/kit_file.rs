//! The conformance kit against the durable file store ([`FileStore`] on real files), including
//! reopen durability: every case gets a fresh log, and the durable cases drop the store (as a
//! crash leaves it) and open the same file again.
//!
//! `harness = false`: it prints the kit's report (`kit[file]: N passed, 0 failed, M not
//! applicable`) and exits non-zero on any failure or on a case the file store should run but
//! did not.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use lindy::error::codes;
use lindy::store::{FileStore, LeaseId, StoreError, StoreOptions};
use lindy::testkit::{run, Capabilities, Harness, KitError, KitLease, Options, Queue, CASES};

/// Lease time for the kit: moved by `advance`, shared by every case (it only goes forward).
static NOW: AtomicU64 = AtomicU64::new(0);

fn kit_now() -> u64 {
    NOW.load(Ordering::SeqCst)
}

struct FileKit {
    dir: PathBuf,
    cases: u32,
}

struct FileQueue {
    store: FileStore,
    path: PathBuf,
}

fn err(e: StoreError) -> KitError {
    KitError::of(&e).detail(e)
}

fn options() -> StoreOptions {
    StoreOptions::new().with_lease_clock(kit_now)
}

impl Harness for FileKit {
    type Queue = FileQueue;

    fn name(&self) -> &str {
        "file"
    }

    /// Waits, leases and reopen durability. Not: `push_front` and pattern takes (the log has no
    /// record for a put-back at the head, and keys are plain strings), bounds and back-pressure
    /// (a durable store holds what it acknowledged), dead-letter (delivery counts are not durable).
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            waits: true,
            leases: true,
            durable: true,
            ..Capabilities::NONE
        }
    }

    async fn open(&mut self, options_in: &Options) -> Result<FileQueue, KitError> {
        if *options_in != Options::default() {
            return Err(KitError::new(codes::INVALID_CONFIG).detail("no bounds in the file store"));
        }
        self.cases += 1;
        let path = self.dir.join(format!("case-{}.log", self.cases));
        let store = FileStore::open_with(&path, options()).map_err(err)?;
        Ok(FileQueue { store, path })
    }

    async fn reopen(&mut self, queue: FileQueue, _: &Options) -> Result<FileQueue, KitError> {
        let FileQueue { store, path } = queue;
        drop(store); // as a crash leaves it: no ack of outstanding leases
        let store = FileStore::open_with(&path, options()).map_err(err)?;
        Ok(FileQueue { store, path })
    }
}

/// A timer future on a helper thread (the kit bounds waits with it).
struct Sleep {
    done: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<Waker>>>,
}

impl Sleep {
    fn new(ms: u64) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let (d, w) = (done.clone(), waker.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            d.store(true, Ordering::SeqCst);
            if let Some(w) = w.lock().unwrap().take() {
                w.wake();
            }
        });
        Sleep { done, waker }
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.done.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Queue for FileQueue {
    async fn try_push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        match self.store.push(key, &value) {
            Ok(()) => Ok(()),
            Err(e) if e.code() == codes::CLOSED => Err(KitError::with_value(codes::CLOSED, value)),
            Err(e) => Err(err(e)),
        }
    }

    async fn try_take(&self, key: &str) -> Result<Option<Vec<u8>>, KitError> {
        self.store.try_take(key).map_err(err)
    }

    async fn len(&self, key: &str) -> Result<usize, KitError> {
        Ok(self.store.len(key))
    }

    async fn close(&self) -> Result<(), KitError> {
        self.store.close().map_err(err)
    }

    async fn advance(&self, ms: u64) {
        NOW.fetch_add(ms, Ordering::SeqCst);
        self.store.expire_leases();
    }

    async fn sleep(&self, ms: u64) {
        Sleep::new(ms).await
    }

    async fn take(&self, key: &str) -> Result<Vec<u8>, KitError> {
        self.store.take(key).await.map_err(err)
    }

    async fn try_take_leased(
        &self,
        key: &str,
        lease_ms: u64,
    ) -> Result<Option<KitLease>, KitError> {
        let lease = self
            .store
            .take_leased(key, Some(Duration::from_millis(lease_ms)))
            .map_err(err)?;
        Ok(lease.map(|l| KitLease {
            id: l.id.as_u64(),
            value: l.value,
            deliveries: l.deliveries,
        }))
    }

    async fn ack(&self, lease: u64) -> Result<(), KitError> {
        self.store.ack(LeaseId::from_u64(lease)).map_err(err)
    }

    async fn nack(&self, lease: u64) -> Result<(), KitError> {
        self.store.nack(LeaseId::from_u64(lease)).map_err(err)
    }

    async fn extend(&self, lease: u64, lease_ms: u64) -> Result<(), KitError> {
        self.store
            .extend(
                LeaseId::from_u64(lease),
                Some(Duration::from_millis(lease_ms)),
            )
            .map(drop)
            .map_err(err)
    }
}

fn main() -> ExitCode {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("kit-file-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut kit = FileKit {
        dir: dir.clone(),
        cases: 0,
    };
    let report = futures::executor::block_on(run(&mut kit));
    println!("{report}");
    let mut ok = report.ok();
    if report.passed.len() + report.failed.len() + report.not_applicable.len() != CASES.len() {
        println!("kit[file]: not every case was reported");
        ok = false;
    }
    let expected_gaps = [
        "push_front",
        "pattern_take",
        "dead_letter",
        "bounds",
        "back_pressure",
    ];
    if let Some((case, missing)) = report
        .not_applicable
        .iter()
        .find(|(_, missing)| !expected_gaps.contains(missing))
    {
        println!("kit[file]: {case} should run on the file store (it needs {missing})");
        ok = false;
    }
    let _ = std::fs::remove_dir_all(&dir);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

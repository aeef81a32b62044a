//! The conformance kit: one documented behaviour suite that every queue backend runs (memory,
//! file, IndexedDB, the JS hub, Redis), the way `object_store` runs one suite against every store.
//!
//! A backend implements two traits: [`Harness`] opens fresh queues (and reopens durable ones), and
//! [`Queue`] is one open queue with byte values. Both use `async fn` without a `Send` bound, so a
//! single-threaded wasm backend (IndexedDB under `wasm-bindgen-test`, non-`Send` futures) and a
//! tokio backend (Redis) implement them alike. Time is the backend's: [`Queue::advance`] lets
//! lease time pass (a sans-IO backend moves its manual clock; Redis sleeps), and
//! [`Queue::sleep`] bounds a wait without promising lease time.
//!
//! [`run`] runs every [case](CASES) whose [capabilities](Capabilities) the backend declares and
//! reports the others as *not applicable*, by name, never silently:
//!
//! ```
//! # futures::executor::block_on(async {
//! use lindy::testkit::{run, Memory};
//! let report = run(&mut Memory::new()).await;
//! assert_eq!(report.failed.len(), 0, "{report}");
//! println!("{report}"); // kit[memory]: 27 passed, 0 failed, 3 not applicable
//! # });
//! ```
//!
//! # Writing a backend
//! * Values are `Vec<u8>`; keys are strings; patterns are channel patterns
//!   ([`Pattern`](crate::grammar::Pattern) syntax).
//! * Errors are [`KitError`]s carrying the stable [code](crate::error) (`BUFFER_FULL`, `CLOSED`,
//!   `LEASE_LOST`, …) and, for a refused `out`, the value handed back. The kit compares codes.
//! * Methods behind a capability the backend does not declare keep their default body (it returns
//!   `UNSUPPORTED`); the kit never calls them.
//! * Every case opens its own queue ([`Harness::open`]) with the [`Options`] it needs; a backend
//!   that cannot honour an option must not declare the capability.

mod cases;
mod memory;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::Poll;

pub use cases::{Case, CASES};
pub use memory::Memory;

use crate::error::ErrorCode;

/// A failed backend operation, as the kit sees it: a stable code and, for a refused `out`, the
/// value handed back.
#[derive(Clone, PartialEq, Eq)]
pub struct KitError {
    /// The stable code (see [`crate::error`]), or `UNSUPPORTED` / `BACKEND` for the kit's own.
    pub code: String,
    /// The value an `out` handed back.
    pub value: Option<Vec<u8>>,
    /// Free text for the report (a network error, …).
    pub detail: String,
}

impl KitError {
    /// An error with `code` and no value.
    pub fn new(code: &str) -> Self {
        KitError {
            code: String::from(code),
            value: None,
            detail: String::new(),
        }
    }

    /// An error with `code` handing `value` back.
    pub fn with_value(code: &str, value: Vec<u8>) -> Self {
        KitError {
            value: Some(value),
            ..Self::new(code)
        }
    }

    /// The kit's error from any lindy error.
    pub fn of(e: &impl ErrorCode) -> Self {
        Self::new(e.code())
    }

    /// Adds free text for the report.
    pub fn detail(mut self, detail: impl fmt::Display) -> Self {
        self.detail = alloc::format!("{detail}");
        self
    }

    /// The default body of an optional method.
    pub fn unsupported() -> Self {
        Self::new("UNSUPPORTED")
    }
}

impl fmt::Debug for KitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if self.value.is_some() {
            f.write_str(" (value handed back)")?;
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl fmt::Display for KitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What a backend supports. A case that needs something the backend lacks is reported as not
/// applicable, by name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `take` futures that wait ([`Queue::take`]), dropped safely at any point.
    pub waits: bool,
    /// [`Queue::out_front`].
    pub out_front: bool,
    /// [`Queue::try_take_matching`], oldest head first.
    pub pattern_take: bool,
    /// [`Queue::try_take_leased`], [`Queue::ack`], [`Queue::nack`], [`Queue::extend`], expiry on
    /// [`Queue::advance`].
    pub leases: bool,
    /// [`Options::max_deliveries`] and the dead-letter key.
    pub dead_letter: bool,
    /// [`Options::max_entries`] / [`Options::key_max_entries`]: a full `out` is refused with
    /// `BUFFER_FULL` and the value handed back.
    pub bounds: bool,
    /// [`Queue::out_wait`]: waits for room, first come first served, cancel-safe.
    pub back_pressure: bool,
    /// [`Harness::reopen`]: entries survive, un-acknowledged leases come back.
    pub durable: bool,
}

impl Capabilities {
    /// Everything.
    pub const ALL: Capabilities = Capabilities {
        waits: true,
        out_front: true,
        pattern_take: true,
        leases: true,
        dead_letter: true,
        bounds: true,
        back_pressure: true,
        durable: true,
    };

    /// Only the basic FIFO and close cases.
    pub const NONE: Capabilities = Capabilities {
        waits: false,
        out_front: false,
        pattern_take: false,
        leases: false,
        dead_letter: false,
        bounds: false,
        back_pressure: false,
        durable: false,
    };

    /// Whether `self` has everything `need` asks for; else the name of the first thing missing.
    pub fn lacks(&self, need: &Capabilities) -> Option<&'static str> {
        let pairs = [
            (need.waits, self.waits, "waits"),
            (need.out_front, self.out_front, "out_front"),
            (need.pattern_take, self.pattern_take, "pattern_take"),
            (need.leases, self.leases, "leases"),
            (need.dead_letter, self.dead_letter, "dead_letter"),
            (need.bounds, self.bounds, "bounds"),
            (need.back_pressure, self.back_pressure, "back_pressure"),
            (need.durable, self.durable, "durable"),
        ];
        pairs
            .into_iter()
            .find(|&(needed, has, _)| needed && !has)
            .map(|(_, _, name)| name)
    }
}

/// How a case wants its queue opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// At most this many entries (queued plus leased) in the queue.
    pub max_entries: Option<usize>,
    /// At most this many entries under one key.
    pub key_max_entries: Option<usize>,
    /// Dead-letter an entry after this many leased deliveries.
    pub max_deliveries: Option<u32>,
    /// Where dead-lettered entries go (with `max_deliveries`).
    pub dead_letter_key: Option<String>,
}

/// A leased entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KitLease {
    /// The lease id (settle with it).
    pub id: u64,
    /// The value.
    pub value: Vec<u8>,
    /// Leased deliveries of this entry, this one included.
    pub deliveries: u32,
}

/// Opens queues for the kit: one fresh, empty queue per case.
#[allow(async_fn_in_trait)] // no `Send` bound on purpose: wasm backends are single-threaded
pub trait Harness {
    /// The open queue.
    type Queue: Queue;

    /// The backend's name in the report (`memory`, `file`, `idb`, `redis`, …).
    fn name(&self) -> &str;

    /// What the backend supports.
    fn capabilities(&self) -> Capabilities;

    /// A fresh, empty, open queue honouring `options`.
    ///
    /// # Errors
    /// A [`KitError`]; `INVALID_CONFIG` for an out-of-range option (the kit checks that a bound
    /// of 0 is refused).
    async fn open(&mut self, options: &Options) -> Result<Self::Queue, KitError>;

    /// Closes `queue` as a crash would leave it (no ack of outstanding leases) and opens the same
    /// storage again (durable backends).
    ///
    /// # Errors
    /// A [`KitError`]; the default is `UNSUPPORTED`.
    async fn reopen(
        &mut self,
        queue: Self::Queue,
        options: &Options,
    ) -> Result<Self::Queue, KitError> {
        let _ = (queue, options);
        Err(KitError::unsupported())
    }
}

/// One open queue with byte values: the operations the kit exercises.
///
/// Every future must be cancel-safe where the kit drops it: a dropped `take` takes nothing, a
/// dropped `out_wait` puts nothing in.
#[allow(async_fn_in_trait)] // no `Send` bound on purpose: wasm backends are single-threaded
pub trait Queue {
    /// Appends `value` under `key`.
    ///
    /// # Errors
    /// `CLOSED` or `BUFFER_FULL` with the value handed back ([`KitError::with_value`]).
    async fn out(&self, key: &str, value: Vec<u8>) -> Result<(), KitError>;

    /// Takes the head of `key` if there is one.
    ///
    /// # Errors
    /// `CLOSED` once closed and drained.
    async fn try_take(&self, key: &str) -> Result<Option<Vec<u8>>, KitError>;

    /// Entries queued under `key` (not counting leased ones).
    ///
    /// # Errors
    /// A backend failure.
    async fn len(&self, key: &str) -> Result<usize, KitError>;

    /// Closes the queue (the close rule: `out` refused, takes drain then `CLOSED`, waiters end).
    ///
    /// # Errors
    /// A backend failure.
    async fn close(&self) -> Result<(), KitError>;

    /// Lets `ms` of lease time pass and applies expiry (a sans-IO backend moves its clock and
    /// calls `handle_timeout`; a real-time backend sleeps).
    async fn advance(&self, ms: u64);

    /// Lets the backend run for up to `ms` (real-time backends sleep; a sans-IO backend returns
    /// at once). The kit uses it to bound waits, never to move lease time.
    async fn sleep(&self, ms: u64);

    /// Takes the head of `key`, waiting for one (capability `waits`).
    ///
    /// # Cancel safety
    /// Must be cancel-safe: dropping the future at any point takes nothing (an entry handed to
    /// it goes back to the head of its key).
    ///
    /// # Errors
    /// `CLOSED` once closed and drained.
    async fn take(&self, key: &str) -> Result<Vec<u8>, KitError> {
        let _ = key;
        Err(KitError::unsupported())
    }

    /// Puts `value` at the head of `key` (capability `out_front`).
    ///
    /// # Errors
    /// As [`out`](Self::out).
    async fn out_front(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        Err(KitError::with_value("UNSUPPORTED", value).detail(key))
    }

    /// Appends `value`, waiting for room (capability `back_pressure`).
    ///
    /// # Cancel safety
    /// Must be cancel-safe: the value is in exactly when the future resolved `Ok`.
    ///
    /// # Errors
    /// `CLOSED` with the value handed back.
    async fn out_wait(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        Err(KitError::with_value("UNSUPPORTED", value).detail(key))
    }

    /// Takes the oldest head among keys matching `pattern` (capability `pattern_take`).
    ///
    /// # Errors
    /// `CLOSED` once closed and drained; `PATTERN_INVALID`.
    async fn try_take_matching(
        &self,
        pattern: &str,
    ) -> Result<Option<(String, Vec<u8>)>, KitError> {
        let _ = pattern;
        Err(KitError::unsupported())
    }

    /// Takes the head of `key` under a lease of `lease_ms` (capability `leases`).
    ///
    /// # Errors
    /// `LEASE_INVALID` for a lease of 0 (nothing taken); `CLOSED` once closed and drained.
    async fn try_take_leased(
        &self,
        key: &str,
        lease_ms: u64,
    ) -> Result<Option<KitLease>, KitError> {
        let _ = (key, lease_ms);
        Err(KitError::unsupported())
    }

    /// Acknowledges a lease (capability `leases`).
    ///
    /// # Errors
    /// `LEASE_LOST` for an unknown, settled or expired lease.
    async fn ack(&self, lease: u64) -> Result<(), KitError> {
        let _ = lease;
        Err(KitError::unsupported())
    }

    /// Returns a lease: its entry goes back to the head of its key (capability `leases`).
    ///
    /// # Errors
    /// `LEASE_LOST`.
    async fn nack(&self, lease: u64) -> Result<(), KitError> {
        let _ = lease;
        Err(KitError::unsupported())
    }

    /// Extends a lease to `lease_ms` from now (capability `leases`).
    ///
    /// # Errors
    /// `LEASE_LOST`, `LEASE_INVALID`.
    async fn extend(&self, lease: u64, lease_ms: u64) -> Result<(), KitError> {
        let _ = (lease, lease_ms);
        Err(KitError::unsupported())
    }
}

/// The outcome of one kit run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// The backend's name.
    pub backend: String,
    /// Cases that passed.
    pub passed: Vec<&'static str>,
    /// Cases that failed, with why.
    pub failed: Vec<(&'static str, String)>,
    /// Cases the backend's capabilities rule out, with the missing capability.
    pub not_applicable: Vec<(&'static str, &'static str)>,
}

impl Report {
    /// Whether nothing failed.
    pub fn ok(&self) -> bool {
        self.failed.is_empty()
    }
}

impl fmt::Display for Report {
    /// `kit[memory]: 23 passed, 0 failed, 2 not applicable`, then one line per failed and per
    /// not-applicable case.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kit[{}]: {} passed, {} failed, {} not applicable",
            self.backend,
            self.passed.len(),
            self.failed.len(),
            self.not_applicable.len()
        )?;
        for (name, why) in &self.failed {
            write!(f, "\n  FAILED {name}: {why}")?;
        }
        for (name, missing) in &self.not_applicable {
            write!(f, "\n  n/a    {name} (needs {missing})")?;
        }
        Ok(())
    }
}

/// Runs every case against `harness`.
///
/// # Cancel safety
/// Not cancel-safe: a dropped run stops mid-case and leaves the harness in whatever state that
/// case had reached.
pub async fn run<H: Harness>(harness: &mut H) -> Report {
    run_matching(harness, |_| true).await
}

/// Runs the cases whose name passes `filter` (the others are not reported at all).
///
/// # Cancel safety
/// As [`run`].
pub async fn run_matching<H: Harness>(harness: &mut H, filter: impl Fn(&str) -> bool) -> Report {
    let mut report = Report {
        backend: String::from(harness.name()),
        ..Report::default()
    };
    let caps = harness.capabilities();
    for case in CASES.iter().filter(|c| filter(c.name)) {
        if let Some(missing) = caps.lacks(&case.needs) {
            report.not_applicable.push((case.name, missing));
            continue;
        }
        match cases::run_case(harness, case.name).await {
            Ok(()) => report.passed.push(case.name),
            Err(why) => report.failed.push((case.name, why)),
        }
    }
    report
}

/// Polls `fut` until it is ready or `queue.sleep(ms)` is: `None` if the time ran out first.
pub(crate) async fn within<Q: Queue, T>(
    queue: &Q,
    ms: u64,
    fut: impl Future<Output = T>,
) -> Option<T> {
    let mut fut = pin!(fut);
    let mut timer = pin!(queue.sleep(ms));
    poll_fn(|cx| {
        if let Poll::Ready(v) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

/// Polls `fut` once with a no-op waker: a waiting future registers as a waiter.
pub(crate) fn poll_once<F: Future + ?Sized>(fut: core::pin::Pin<&mut F>) -> Poll<F::Output> {
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    fut.poll(&mut cx)
}

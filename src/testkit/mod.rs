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
//! println!("{report}"); // kit[memory]: 28 passed, 0 failed, 3 not applicable
//! # });
//! ```
//!
//! # Writing a backend
//! * Values are `Vec<u8>`; keys are strings; patterns are channel patterns
//!   ([`Pattern`](crate::grammar::Pattern) syntax).
//! * Errors are [`KitError`]s carrying the stable [code](crate::error) (`BUFFER_FULL`, `CLOSED`,
//!   `LEASE_LOST`, …) and, for a refused `try_push`, the value handed back. The kit compares codes.
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
pub use memory::{Memory, MemoryQueue, Sharded, ShardedQueue};

use crate::error::ErrorCode;

/// A failed backend operation, as the kit sees it: a stable code and, for a refused `try_push`, the
/// value handed back.
///
/// ```
/// use lindy::testkit::KitError;
///
/// // A backend maps its failures to the kit's codes; a refused push hands the value back.
/// let full = KitError::with_value("BUFFER_FULL", b"job".to_vec()).detail("key k holds 8");
/// assert_eq!(full.code, "BUFFER_FULL");
/// assert_eq!(full.value.as_deref(), Some(&b"job"[..]));
/// assert_eq!(full.to_string(), "BUFFER_FULL (value handed back): key k holds 8");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct KitError {
    /// The stable code (see [`crate::error`]), or `UNSUPPORTED` / `BACKEND` for the kit's own.
    pub code: String,
    /// The value a refused push handed back.
    pub value: Option<Vec<u8>>,
    /// Free text for the report (a network error, …).
    pub detail: String,
}

impl KitError {
    /// An error with `code` and no value.
    ///
    /// ```
    /// use lindy::testkit::KitError;
    ///
    /// let closed = KitError::new("CLOSED");
    /// assert_eq!((closed.code.as_str(), closed.value), ("CLOSED", None));
    /// ```
    pub fn new(code: &str) -> Self {
        KitError {
            code: String::from(code),
            value: None,
            detail: String::new(),
        }
    }

    /// An error with `code` handing `value` back.
    ///
    /// ```
    /// use lindy::testkit::KitError;
    ///
    /// let err = KitError::with_value("CLOSED", b"late".to_vec());
    /// assert_eq!(err.value, Some(b"late".to_vec())); // the kit checks nothing was lost
    /// ```
    pub fn with_value(code: &str, value: Vec<u8>) -> Self {
        KitError {
            value: Some(value),
            ..Self::new(code)
        }
    }

    /// The kit's error from any lindy error.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// use lindy::testkit::KitError;
    ///
    /// let space: LocalSpace<Vec<u8>> = LocalSpace::new();
    /// space.close();
    /// let refused = space.try_push("k", b"late".to_vec()).unwrap_err();
    /// let err = KitError::of(&refused);
    /// assert_eq!(err.code, "CLOSED");
    /// ```
    pub fn of(e: &impl ErrorCode) -> Self {
        Self::new(e.code())
    }

    /// Adds free text for the report.
    ///
    /// ```
    /// use lindy::testkit::KitError;
    ///
    /// let err = KitError::new("BACKEND").detail(format_args!("connection reset after {} ms", 30));
    /// assert_eq!(err.to_string(), "BACKEND: connection reset after 30 ms");
    /// ```
    pub fn detail(mut self, detail: impl fmt::Display) -> Self {
        self.detail = alloc::format!("{detail}");
        self
    }

    /// The default body of an optional method.
    ///
    /// ```
    /// use lindy::testkit::KitError;
    ///
    /// assert_eq!(KitError::unsupported().code, "UNSUPPORTED");
    /// ```
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
///
/// ```
/// use lindy::testkit::Capabilities;
///
/// // A backend with FIFO, leases and durability, but no waiting takes and no bounds.
/// let caps = Capabilities { leases: true, durable: true, ..Capabilities::NONE };
/// let waiting_case = Capabilities { waits: true, ..Capabilities::NONE };
/// assert_eq!(caps.lacks(&waiting_case), Some("waits")); // reported as not applicable
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `take` futures that wait ([`Queue::take`]), dropped safely at any point.
    pub waits: bool,
    /// [`Queue::push_front`].
    pub push_front: bool,
    /// [`Queue::try_take_matching`], oldest head first.
    pub pattern_take: bool,
    /// [`Queue::try_take_leased`], [`Queue::ack`], [`Queue::nack`], [`Queue::extend`], expiry on
    /// [`Queue::advance`].
    pub leases: bool,
    /// [`Options::max_deliveries`] and the dead-letter key.
    pub dead_letter: bool,
    /// [`Options::max_entries`] / [`Options::key_max_entries`]: a full `try_push` is refused with
    /// `BUFFER_FULL` and the value handed back.
    pub bounds: bool,
    /// [`Queue::push`]: waits for room, first come first served, cancel-safe.
    pub back_pressure: bool,
    /// [`Harness::reopen`]: entries survive, un-acknowledged leases come back.
    pub durable: bool,
}

impl Capabilities {
    /// Everything.
    ///
    /// ```
    /// use lindy::testkit::{Capabilities, CASES};
    ///
    /// // A backend declaring everything runs every case.
    /// assert!(CASES.iter().all(|case| Capabilities::ALL.lacks(&case.needs).is_none()));
    /// ```
    pub const ALL: Capabilities = Capabilities {
        waits: true,
        push_front: true,
        pattern_take: true,
        leases: true,
        dead_letter: true,
        bounds: true,
        back_pressure: true,
        durable: true,
    };

    /// Only the basic FIFO and close cases.
    ///
    /// ```
    /// use lindy::testkit::{Capabilities, CASES};
    ///
    /// // The cases every backend runs, whatever it declares.
    /// let basic: Vec<_> = CASES
    ///     .iter()
    ///     .filter(|case| Capabilities::NONE.lacks(&case.needs).is_none())
    ///     .map(|case| case.name)
    ///     .collect();
    /// assert!(basic.contains(&"fifo_per_key"));
    /// ```
    pub const NONE: Capabilities = Capabilities {
        waits: false,
        push_front: false,
        pattern_take: false,
        leases: false,
        dead_letter: false,
        bounds: false,
        back_pressure: false,
        durable: false,
    };

    /// Whether `self` has everything `need` asks for; else the name of the first thing missing.
    ///
    /// ```
    /// use lindy::testkit::Capabilities;
    ///
    /// let redis_like = Capabilities { durable: false, ..Capabilities::ALL };
    /// let needs = Capabilities { leases: true, durable: true, ..Capabilities::NONE };
    /// assert_eq!(redis_like.lacks(&needs), Some("durable"));
    /// assert_eq!(Capabilities::ALL.lacks(&needs), None);
    /// ```
    pub fn lacks(&self, need: &Capabilities) -> Option<&'static str> {
        let pairs = [
            (need.waits, self.waits, "waits"),
            (need.push_front, self.push_front, "push_front"),
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
///
/// ```
/// use lindy::testkit::{Harness, Memory, Options};
///
/// # futures::executor::block_on(async {
/// let opts = Options { key_max_entries: Some(1), ..Options::default() };
/// let q = Memory::new().open(&opts).await.unwrap();
/// q.space().try_push("k", vec![1]).unwrap();
/// assert_eq!(q.space().try_push("k", vec![2]).unwrap_err().code(), "BUFFER_FULL");
/// # });
/// ```
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
///
/// ```
/// use lindy::testkit::{Harness, Memory, Options, Queue};
///
/// # futures::executor::block_on(async {
/// let q = Memory::new().open(&Options::default()).await.unwrap();
/// q.try_push("jobs", b"resize".to_vec()).await.unwrap();
/// let lease = q.try_take_leased("jobs", 30_000).await.unwrap().expect("an entry");
/// assert_eq!((lease.value.as_slice(), lease.deliveries), (&b"resize"[..], 1));
/// q.ack(lease.id).await.unwrap();
/// # });
/// ```
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
///
/// ```
/// use lindy::testkit::{run, Harness, Memory, Options, Queue};
///
/// # futures::executor::block_on(async {
/// let mut harness = Memory::new();
/// assert_eq!(harness.name(), "memory");
/// let q = harness.open(&Options::default()).await.unwrap(); // what each case does first
/// q.try_push("k", b"a".to_vec()).await.unwrap();
/// assert_eq!(q.len("k").await.unwrap(), 1);
/// assert!(run(&mut harness).await.ok());
/// # });
/// ```
#[allow(async_fn_in_trait)] // no `Send` bound on purpose: wasm backends are single-threaded
pub trait Harness {
    /// The open queue.
    type Queue: Queue;

    /// The backend's name in the report (`memory`, `file`, `idb`, `redis`, …).
    ///
    /// ```
    /// use lindy::testkit::{run, Harness, Memory};
    ///
    /// # futures::executor::block_on(async {
    /// let mut harness = Memory::new();
    /// let report = run(&mut harness).await;
    /// assert_eq!(report.backend, harness.name());
    /// # });
    /// ```
    fn name(&self) -> &str;

    /// What the backend supports.
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory};
    ///
    /// // The in-memory backend does everything but survive a restart.
    /// let caps = Memory::new().capabilities();
    /// assert!(caps.leases && caps.waits && !caps.durable);
    /// ```
    fn capabilities(&self) -> Capabilities;

    /// A fresh, empty, open queue honouring `options`.
    ///
    /// # Errors
    /// A [`KitError`]; `INVALID_CONFIG` for an out-of-range option (the kit checks that a bound
    /// of 0 is refused).
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options};
    ///
    /// # futures::executor::block_on(async {
    /// let mut harness = Memory::new();
    /// // A bound of 0 is refused, as the kit checks.
    /// let zero = Options { max_entries: Some(0), ..Options::default() };
    /// assert_eq!(harness.open(&zero).await.unwrap_err().code, "INVALID_CONFIG");
    /// assert!(harness.open(&Options::default()).await.is_ok());
    /// # });
    /// ```
    async fn open(&mut self, options: &Options) -> Result<Self::Queue, KitError>;

    /// Closes `queue` as a crash would leave it (no ack of outstanding leases) and opens the same
    /// storage again (durable backends).
    ///
    /// # Errors
    /// A [`KitError`]; the default is `UNSUPPORTED`.
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options};
    ///
    /// # futures::executor::block_on(async {
    /// // The in-memory backend is not durable: it keeps the default body.
    /// let mut harness = Memory::new();
    /// let q = harness.open(&Options::default()).await.unwrap();
    /// assert_eq!(harness.reopen(q, &Options::default()).await.unwrap_err().code, "UNSUPPORTED");
    /// # });
    /// ```
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
/// dropped `push` puts nothing in.
///
/// ```
/// // A whole backend: a map of FIFOs with the close rule, declaring no optional capability.
/// use std::cell::{Cell, RefCell};
/// use std::collections::{HashMap, VecDeque};
/// use lindy::testkit::{run, Capabilities, Harness, KitError, Options, Queue};
///
/// #[derive(Default)]
/// struct Fifos { keys: RefCell<HashMap<String, VecDeque<Vec<u8>>>>, closed: Cell<bool> }
///
/// impl Queue for Fifos {
///     async fn try_push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
///         if self.closed.get() {
///             return Err(KitError::with_value("CLOSED", value)); // hand the value back
///         }
///         self.keys.borrow_mut().entry(key.to_owned()).or_default().push_back(value);
///         Ok(())
///     }
///     async fn try_take(&self, key: &str) -> Result<Option<Vec<u8>>, KitError> {
///         match self.keys.borrow_mut().get_mut(key).and_then(VecDeque::pop_front) {
///             None if self.closed.get() => Err(KitError::new("CLOSED")), // drained
///             taken => Ok(taken),
///         }
///     }
///     async fn len(&self, key: &str) -> Result<usize, KitError> {
///         Ok(self.keys.borrow().get(key).map_or(0, VecDeque::len))
///     }
///     async fn close(&self) -> Result<(), KitError> {
///         self.closed.set(true);
///         Ok(())
///     }
///     async fn advance(&self, _ms: u64) {} // no leases, no clock
///     async fn sleep(&self, _ms: u64) {}
/// }
///
/// struct FifoHarness;
/// impl Harness for FifoHarness {
///     type Queue = Fifos;
///     fn name(&self) -> &str { "fifos" }
///     fn capabilities(&self) -> Capabilities { Capabilities::NONE }
///     async fn open(&mut self, _: &Options) -> Result<Fifos, KitError> { Ok(Fifos::default()) }
/// }
///
/// # futures::executor::block_on(async {
/// let report = run(&mut FifoHarness).await;
/// assert!(report.ok(), "{report}");
/// assert_eq!(report.passed, ["fifo_per_key", "close_refuses_push_with_the_value", "close_drains_then_reports_closed"]);
/// assert!(!report.not_applicable.is_empty()); // every other case, by name
/// # });
/// ```
#[allow(async_fn_in_trait)] // no `Send` bound on purpose: wasm backends are single-threaded
pub trait Queue {
    /// Appends `value` under `key`.
    ///
    /// # Errors
    /// `CLOSED` or `BUFFER_FULL` with the value handed back ([`KitError::with_value`]).
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// q.close().await.unwrap();
    /// let refused = q.try_push("k", b"late".to_vec()).await.unwrap_err();
    /// assert_eq!((refused.code.as_str(), refused.value), ("CLOSED", Some(b"late".to_vec())));
    /// # });
    /// ```
    async fn try_push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError>;

    /// Takes the head of `key` if there is one.
    ///
    /// # Errors
    /// `CLOSED` once closed and drained.
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// assert_eq!(q.try_take("k").await.unwrap(), None); // empty: nothing, not an error
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// q.close().await.unwrap();
    /// assert_eq!(q.try_take("k").await.unwrap(), Some(b"a".to_vec())); // closed: drains first
    /// assert_eq!(q.try_take("k").await.unwrap_err().code, "CLOSED");
    /// # });
    /// ```
    async fn try_take(&self, key: &str) -> Result<Option<Vec<u8>>, KitError>;

    /// Entries queued under `key` (not counting leased ones).
    ///
    /// # Errors
    /// A backend failure.
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// q.try_push("k", b"b".to_vec()).await.unwrap();
    /// let _lease = q.try_take_leased("k", 1_000).await.unwrap();
    /// assert_eq!(q.len("k").await.unwrap(), 1); // the leased one is not queued
    /// # });
    /// ```
    async fn len(&self, key: &str) -> Result<usize, KitError>;

    /// Closes the queue (the close rule: pushes refused, takes drain then `CLOSED`, waiters end).
    ///
    /// # Errors
    /// A backend failure.
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.close().await.unwrap();
    /// q.close().await.unwrap(); // idempotent
    /// assert_eq!(q.try_take("k").await.unwrap_err().code, "CLOSED");
    /// # });
    /// ```
    async fn close(&self) -> Result<(), KitError>;

    /// Lets `ms` of lease time pass and applies expiry (a sans-IO backend moves its clock and
    /// calls `handle_timeout`; a real-time backend sleeps).
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// let lease = q.try_take_leased("k", 500).await.unwrap().unwrap();
    /// q.advance(499).await;
    /// assert_eq!(q.len("k").await.unwrap(), 0); // still leased
    /// q.advance(1).await;
    /// assert_eq!(q.len("k").await.unwrap(), 1); // expired: back at the head
    /// assert_eq!(q.ack(lease.id).await.unwrap_err().code, "LEASE_LOST");
    /// # });
    /// ```
    async fn advance(&self, ms: u64);

    /// Lets the backend run for up to `ms` (real-time backends sleep; a sans-IO backend returns
    /// at once). The kit uses it to bound waits, never to move lease time.
    ///
    /// # Cancel safety
    /// Must be cancel-safe: the kit races it against the wait it bounds and drops it when the
    /// wait wins (a timer is).
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// let lease = q.try_take_leased("k", 10).await.unwrap().unwrap();
    /// q.sleep(1_000).await; // sans-IO backend: returns at once and moves no lease time
    /// q.ack(lease.id).await.unwrap(); // so the lease is still held
    /// # });
    /// ```
    async fn sleep(&self, ms: u64);

    /// Takes the head of `key`, waiting for one (capability `waits`).
    ///
    /// # Cancel safety
    /// Must be cancel-safe: dropping the future at any point takes nothing (an entry handed to
    /// it goes back to the head of its key).
    ///
    /// # Errors
    /// `CLOSED` once closed and drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use futures::poll;
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// let mut take = pin!(q.take("k"));
    /// assert!(poll!(take.as_mut()).is_pending()); // waits for an entry
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// assert_eq!(take.await.unwrap(), b"a");
    /// # });
    /// ```
    async fn take(&self, key: &str) -> Result<Vec<u8>, KitError> {
        let _ = key;
        Err(KitError::unsupported())
    }

    /// Puts `value` at the head of `key` (capability `push_front`).
    ///
    /// # Errors
    /// As [`try_push`](Self::try_push).
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.try_push("k", b"b".to_vec()).await.unwrap();
    /// q.push_front("k", b"a".to_vec()).await.unwrap(); // e.g. a job put back after a failed attempt
    /// assert_eq!(q.try_take("k").await.unwrap(), Some(b"a".to_vec()));
    /// # });
    /// ```
    async fn push_front(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        Err(KitError::with_value("UNSUPPORTED", value).detail(key))
    }

    /// Appends `value`, waiting for room (capability `back_pressure`).
    ///
    /// # Cancel safety
    /// Must be cancel-safe: the value is in exactly when the future resolved `Ok`.
    ///
    /// # Errors
    /// `CLOSED` with the value handed back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use futures::poll;
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let opts = Options { max_entries: Some(1), ..Options::default() };
    /// let q = Memory::new().open(&opts).await.unwrap();
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// let mut push = pin!(q.push("k", b"b".to_vec()));
    /// assert!(poll!(push.as_mut()).is_pending()); // full: back-pressure
    /// assert_eq!(q.try_take("k").await.unwrap(), Some(b"a".to_vec()));
    /// push.await.unwrap(); // room again
    /// assert_eq!(q.len("k").await.unwrap(), 1);
    /// # });
    /// ```
    async fn push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        Err(KitError::with_value("UNSUPPORTED", value).detail(key))
    }

    /// Takes the oldest head among keys matching `pattern` (capability `pattern_take`).
    ///
    /// # Errors
    /// `CLOSED` once closed and drained; `PATTERN_INVALID`.
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.try_push("public:jobs.resize", b"older".to_vec()).await.unwrap();
    /// q.try_push("public:jobs.encode", b"newer".to_vec()).await.unwrap();
    /// let (key, value) = q.try_take_matching("public:jobs.*").await.unwrap().unwrap();
    /// assert_eq!((key.as_str(), value.as_slice()), ("public:jobs.resize", &b"older"[..]));
    /// # });
    /// ```
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
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// assert_eq!(q.try_take_leased("k", 0).await.unwrap_err().code, "LEASE_INVALID");
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// let lease = q.try_take_leased("k", 1_000).await.unwrap().unwrap();
    /// assert_eq!((lease.value, lease.deliveries), (b"a".to_vec(), 1));
    /// # });
    /// ```
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
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// let lease = q.try_take_leased("k", 1_000).await.unwrap().unwrap();
    /// q.ack(lease.id).await.unwrap(); // done: gone for good
    /// assert_eq!(q.ack(lease.id).await.unwrap_err().code, "LEASE_LOST"); // settled already
    /// q.advance(2_000).await;
    /// assert_eq!(q.len("k").await.unwrap(), 0);
    /// # });
    /// ```
    async fn ack(&self, lease: u64) -> Result<(), KitError> {
        let _ = lease;
        Err(KitError::unsupported())
    }

    /// Returns a lease: its entry goes back to the head of its key (capability `leases`).
    ///
    /// # Errors
    /// `LEASE_LOST`.
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// q.try_push("k", b"b".to_vec()).await.unwrap();
    /// let lease = q.try_take_leased("k", 1_000).await.unwrap().unwrap();
    /// q.nack(lease.id).await.unwrap(); // back to the head at once
    /// let again = q.try_take_leased("k", 1_000).await.unwrap().unwrap();
    /// assert_eq!((again.value, again.deliveries), (b"a".to_vec(), 2));
    /// # });
    /// ```
    async fn nack(&self, lease: u64) -> Result<(), KitError> {
        let _ = lease;
        Err(KitError::unsupported())
    }

    /// Extends a lease to `lease_ms` from now (capability `leases`).
    ///
    /// # Errors
    /// `LEASE_LOST`, `LEASE_INVALID`.
    ///
    /// # Cancel safety
    /// The kit awaits this to completion (it never drops it early); a backend states its own
    /// cancel safety.
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// let lease = q.try_take_leased("k", 100).await.unwrap().unwrap();
    /// q.advance(90).await;
    /// q.extend(lease.id, 100).await.unwrap(); // 100 ms from now: until 190
    /// q.advance(90).await;
    /// q.ack(lease.id).await.unwrap(); // still held at 180
    /// # });
    /// ```
    async fn extend(&self, lease: u64, lease_ms: u64) -> Result<(), KitError> {
        let _ = (lease, lease_ms);
        Err(KitError::unsupported())
    }
}

/// The outcome of one kit run.
///
/// ```
/// use lindy::testkit::{run_matching, Memory};
///
/// # futures::executor::block_on(async {
/// let report = run_matching(&mut Memory::new(), |name| name.starts_with("close")).await;
/// assert!(report.ok());
/// assert!(report.to_string().starts_with("kit[memory]: "));
/// assert!(report.passed.iter().all(|name| name.starts_with("close")));
/// # });
/// ```
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
    ///
    /// ```
    /// use lindy::testkit::{run, Memory};
    ///
    /// # futures::executor::block_on(async {
    /// let report = run(&mut Memory::new()).await;
    /// // In a test: fail with the whole report, which names every failed case and why.
    /// assert!(report.ok(), "{report}");
    /// # });
    /// ```
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
/// Dropping the future drops the case in progress; every case works on its own queue from
/// [`Harness::open`], so nothing else is affected (a durable backend may keep that queue's
/// storage).
///
/// # Examples
///
/// ```
/// use lindy::testkit::{run, Memory, CASES};
///
/// # futures::executor::block_on(async {
/// let report = run(&mut Memory::new()).await;
/// assert!(report.ok(), "{report}");
/// // Every case is accounted for: passed, failed or not applicable.
/// let total = report.passed.len() + report.failed.len() + report.not_applicable.len();
/// assert_eq!(total, CASES.len());
/// # });
/// ```
pub async fn run<H: Harness>(harness: &mut H) -> Report {
    run_matching(harness, |_| true).await
}

/// Runs the cases whose name passes `filter` (the others are not reported at all).
///
/// # Cancel safety
/// As [`run`].
///
/// # Examples
///
/// ```
/// use lindy::testkit::{run_matching, Memory};
///
/// # futures::executor::block_on(async {
/// // Re-run one failing case while fixing a backend.
/// let report = run_matching(&mut Memory::new(), |name| name == "fifo_per_key").await;
/// assert_eq!(report.passed, ["fifo_per_key"]);
/// # });
/// ```
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

//! The kit's in-memory backends, each a space of bytes with a manual clock: [`Memory`] over
//! [`LocalSpace`] (the reference: every rule) and [`Sharded`] over [`ShardedSpace`] (the rules one
//! shard can keep). One body of `Queue` methods serves both (`in_memory_queue!`): the two spaces
//! answer the kit's calls with the same methods.

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

use super::{Capabilities, Harness, KitError, KitLease, Options, Queue};
use crate::grammar::Pattern;
use crate::queue::{Config, LeaseId, PushError, TakeLeasedError};
use crate::space::{LocalSpace, ShardedSpace};
use crate::sync::DefaultRawMutex;

/// The in-memory backend for the kit: every case runs against a fresh [`LocalSpace`] of
/// `Vec<u8>` with a manual clock ([`Queue::advance`] moves it and applies lease expiry).
/// Everything but durability.
///
/// ```
/// use lindy::testkit::{run, Memory};
///
/// # futures::executor::block_on(async {
/// let report = run(&mut Memory::new()).await;
/// assert!(report.ok(), "{report}");
/// assert_eq!(report.not_applicable.iter().map(|(_, need)| *need).collect::<Vec<_>>(),
///            vec!["durable"; report.not_applicable.len()]);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct Memory {
    _private: (),
}

impl Memory {
    /// The harness.
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory};
    ///
    /// let harness = Memory::new();
    /// assert_eq!(harness.name(), "memory");
    /// ```
    pub const fn new() -> Self {
        Memory { _private: () }
    }
}

/// One in-memory queue under test.
///
/// ```
/// use lindy::testkit::{Harness, Memory, Options, Queue};
///
/// # futures::executor::block_on(async {
/// let q = Memory::new().open(&Options::default()).await.unwrap();
/// q.try_push("jobs", b"a".to_vec()).await.unwrap();
/// let lease = q.try_take_leased("jobs", 100).await.unwrap().unwrap();
/// q.advance(100).await; // the manual clock: the lease runs out, the entry comes back
/// assert_eq!(q.len("jobs").await.unwrap(), 1);
/// assert!(q.ack(lease.id).await.is_err()); // LEASE_LOST
/// # });
/// ```
#[derive(Debug, Default)]
pub struct MemoryQueue {
    space: LocalSpace<Vec<u8>>,
    now: Cell<u64>,
}

impl MemoryQueue {
    /// The space under test.
    ///
    /// ```
    /// use lindy::testkit::{Harness, Memory, Options, Queue};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Memory::new().open(&Options::default()).await.unwrap();
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// // Look under the kit's interface at the space itself.
    /// assert_eq!(q.space().try_peek("k"), Some(b"a".to_vec()));
    /// # });
    /// ```
    pub fn space(&self) -> &LocalSpace<Vec<u8>> {
        &self.space
    }
}

fn push_error(e: PushError<Vec<u8>>) -> KitError {
    let code = e.code();
    KitError::with_value(code, e.into_inner())
}

impl Harness for Memory {
    type Queue = MemoryQueue;

    fn name(&self) -> &str {
        "memory"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            durable: false,
            ..Capabilities::ALL
        }
    }

    async fn open(&mut self, options: &Options) -> Result<MemoryQueue, KitError> {
        let space =
            LocalSpace::with_config(config(options)).map_err(|e| KitError::of(&e).detail(e))?;
        Ok(MemoryQueue {
            space,
            now: Cell::new(0),
        })
    }
}

/// The space's configuration for the kit's options.
fn config(options: &Options) -> Config<Vec<u8>> {
    let mut config = Config::new();
    if let Some(n) = options.max_entries {
        config = config.max_entries(n);
    }
    if let Some(n) = options.key_max_entries {
        config = config.key_max_entries(n);
    }
    if let Some(n) = options.max_deliveries {
        config = config.max_deliveries(n);
    }
    if let Some(k) = &options.dead_letter_key {
        config = config.dead_letter_key(k);
    }
    config
}

/// The `Queue` methods both in-memory backends answer alike: `$self.space` is a [`LocalSpace`] or
/// a [`ShardedSpace`], `$self.now` the manual clock.
macro_rules! in_memory_queue {
    () => {
        async fn try_push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
            self.space.try_push(key, value).map_err(push_error)
        }

        async fn try_take(&self, key: &str) -> Result<Option<Vec<u8>>, KitError> {
            match self.space.try_take(key) {
                Some(v) => Ok(Some(v)),
                None if self.space.is_closed() => Err(KitError::new("CLOSED")),
                None => Ok(None),
            }
        }

        async fn len(&self, key: &str) -> Result<usize, KitError> {
            Ok(self.space.len(key))
        }

        async fn close(&self) -> Result<(), KitError> {
            self.space.close();
            Ok(())
        }

        async fn advance(&self, ms: u64) {
            let now = self.now.get().saturating_add(ms);
            self.now.set(now);
            self.space.handle_timeout(now);
        }

        async fn sleep(&self, _ms: u64) {}

        async fn take(&self, key: &str) -> Result<Vec<u8>, KitError> {
            self.space.take(key).await.map_err(|e| KitError::of(&e))
        }

        async fn push_front(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
            self.space.push_front(key, value).map_err(push_error)
        }

        async fn push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
            self.space.push(key, value).await.map_err(push_error)
        }

        async fn try_take_leased(
            &self,
            key: &str,
            lease_ms: u64,
        ) -> Result<Option<KitLease>, KitError> {
            match self
                .space
                .try_take_leased(key, Some(lease_ms), self.now.get())
            {
                Ok(l) => Ok(Some(KitLease {
                    id: l.id.as_u64(),
                    value: l.value,
                    deliveries: l.deliveries,
                })),
                Err(TakeLeasedError::Empty) => Ok(None),
                Err(e) => Err(KitError::of(&e)),
            }
        }

        async fn ack(&self, lease: u64) -> Result<(), KitError> {
            self.space
                .ack(LeaseId::from_u64(lease))
                .map_err(|e| KitError::of(&e))
        }

        async fn nack(&self, lease: u64) -> Result<(), KitError> {
            self.space
                .nack(LeaseId::from_u64(lease))
                .map(drop)
                .map_err(|e| KitError::of(&e))
        }

        async fn extend(&self, lease: u64, lease_ms: u64) -> Result<(), KitError> {
            self.space
                .extend(LeaseId::from_u64(lease), Some(lease_ms), self.now.get())
                .map(drop)
                .map_err(|e| KitError::of(&e))
        }
    };
}

impl Queue for MemoryQueue {
    in_memory_queue!();

    async fn try_take_matching(
        &self,
        pattern: &str,
    ) -> Result<Option<(String, Vec<u8>)>, KitError> {
        let pattern = Pattern::parse(pattern).map_err(|e| KitError::of(&e))?;
        match self.space.try_take_matching(&pattern) {
            Some((name, v)) => Ok(Some((name.into_string(), v))),
            None if self.space.is_closed() => Err(KitError::new("CLOSED")),
            None => Ok(None),
        }
    }
}

/// The kit's backend for [`ShardedSpace`]: every case runs against a fresh sharded space of
/// `Vec<u8>` (four shards, so the kit's keys land in different ones) with a manual clock.
/// Its capabilities are what one shard can keep: waits, `push_front`, leases and per-key
/// bounds; not pattern takes, space-wide bounds or a dead-letter key (each needs one order
/// across shards: [`ShardedSpace::with_config`] refuses them) nor durability.
///
/// ```
/// use lindy::testkit::{run, Sharded};
///
/// # futures::executor::block_on(async {
/// let report = run(&mut Sharded::new()).await;
/// assert!(report.ok(), "{report}");
/// assert!(report.not_applicable.iter().any(|(_, need)| *need == "pattern_take"));
/// # });
/// ```
#[derive(Debug)]
pub struct Sharded {
    capabilities: Capabilities,
}

impl Sharded {
    /// What a sharded space can promise for every case the kit has.
    ///
    /// ```
    /// use lindy::testkit::Sharded;
    ///
    /// assert!(Sharded::CAPABILITIES.leases && !Sharded::CAPABILITIES.pattern_take);
    /// ```
    pub const CAPABILITIES: Capabilities = Capabilities {
        waits: true,
        push_front: true,
        leases: true,
        ..Capabilities::NONE
    };

    /// The harness with [`Sharded::CAPABILITIES`].
    ///
    /// ```
    /// use lindy::testkit::{Harness, Sharded};
    ///
    /// assert_eq!(Sharded::new().name(), "sharded");
    /// ```
    pub const fn new() -> Self {
        Self::with_capabilities(Self::CAPABILITIES)
    }

    /// The harness declaring `capabilities`: to run a subset of the cases of a capability the
    /// space keeps only in part (the per-key bound cases of `bounds`).
    ///
    /// ```
    /// use lindy::testkit::{run_matching, Capabilities, Sharded};
    ///
    /// # futures::executor::block_on(async {
    /// let mut per_key = Sharded::with_capabilities(Capabilities { bounds: true, ..Sharded::CAPABILITIES });
    /// let report = run_matching(&mut per_key, |name| name == "full_push_is_refused_with_the_value").await;
    /// assert_eq!(report.passed.len(), 1, "{report}");
    /// # });
    /// ```
    pub const fn with_capabilities(capabilities: Capabilities) -> Self {
        Sharded { capabilities }
    }
}

impl Default for Sharded {
    fn default() -> Self {
        Self::new()
    }
}

/// The kit's sharded space: four shards.
type KitShardedSpace = ShardedSpace<Vec<u8>, DefaultRawMutex, 4>;

/// One sharded queue under test.
///
/// ```
/// use lindy::testkit::{Harness, Options, Queue, Sharded};
///
/// # futures::executor::block_on(async {
/// let q = Sharded::new().open(&Options::default()).await.unwrap();
/// q.try_push("a", b"1".to_vec()).await.unwrap();
/// q.try_push("b", b"2".to_vec()).await.unwrap();
/// assert_eq!(q.space().total_len(), 2);
/// # });
/// ```
#[derive(Debug)]
pub struct ShardedQueue {
    space: KitShardedSpace,
    now: Cell<u64>,
}

impl ShardedQueue {
    /// The space under test.
    ///
    /// ```
    /// use lindy::testkit::{Harness, Options, Queue, Sharded};
    ///
    /// # futures::executor::block_on(async {
    /// let q = Sharded::new().open(&Options::default()).await.unwrap();
    /// q.try_push("k", b"a".to_vec()).await.unwrap();
    /// assert_eq!(q.space().try_peek("k"), Some(b"a".to_vec()));
    /// # });
    /// ```
    pub fn space(&self) -> &ShardedSpace<Vec<u8>, DefaultRawMutex, 4> {
        &self.space
    }
}

impl Harness for Sharded {
    type Queue = ShardedQueue;

    fn name(&self) -> &str {
        "sharded"
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    async fn open(&mut self, options: &Options) -> Result<ShardedQueue, KitError> {
        let space = KitShardedSpace::with_config(config(options))
            .map_err(|e| KitError::of(&e).detail(e))?;
        Ok(ShardedQueue {
            space,
            now: Cell::new(0),
        })
    }
}

impl Queue for ShardedQueue {
    in_memory_queue!();
}

//! The conformance kit (`lindy::testkit`), unchanged, against RedisSpace and RedisQueue on the
//! standalone server and on the cluster (`make redis-test`). Prints the kit's report per backend and fails
//! on any failed case.
//!
//! Time is real here: the kit's `advance(ms)` sleeps `ms` and then requeues expired leases (as
//! any node's waiting takers do every poll interval); lease deadlines are on the server clock.

mod common;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use lindy::grammar::Pattern;
use lindy::testkit::{run, Capabilities, Harness, KitError, KitLease, Options, Queue, CASES};
use lindy_redis::{Connection, Error, Lease, QueueConfig, RedisQueue, RedisSpace, SpaceConfig};

struct RedisKit {
    name: &'static str,
    conn: Connection,
    spaces: Vec<RedisSpace>,
}

struct KitSpace {
    space: RedisSpace,
    /// The kit names leases by a `u64`: the lease's own id ([`Lease::id`], unique in the space).
    leases: Mutex<HashMap<u64, Lease>>,
}

fn kit(e: Error) -> KitError {
    KitError::new(e.code()).detail(e)
}

impl Harness for RedisKit {
    type Queue = KitSpace;

    fn name(&self) -> &str {
        self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            waits: true,
            push_front: true,
            pattern_take: true,
            leases: true,
            dead_letter: true,
            bounds: false,
            back_pressure: false,
            durable: false,
        }
    }

    async fn open(&mut self, options: &Options) -> Result<KitSpace, KitError> {
        let config = SpaceConfig {
            max_deliveries: options.max_deliveries.unwrap_or(0),
            dead_letter_key: options.dead_letter_key.clone(),
            poll_interval: Duration::from_millis(50),
            ..SpaceConfig::default()
        };
        let space = RedisSpace::open_with(&self.conn, &common::unique("kit"), config)
            .await
            .map_err(kit)?;
        self.spaces.push(space.clone());
        Ok(KitSpace {
            space,
            leases: Mutex::new(HashMap::new()),
        })
    }
}

impl KitSpace {
    fn lease(&self, id: u64) -> Result<Lease, KitError> {
        self.leases
            .lock()
            .unwrap()
            .get(&id)
            .cloned()
            .ok_or_else(|| KitError::new("LEASE_LOST").detail("never issued"))
    }
}

impl Queue for KitSpace {
    async fn try_push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        self.space
            .push(key, value)
            .await
            .map_err(|e| KitError::with_value(e.code(), e.value.to_vec()))
    }

    async fn try_take(&self, key: &str) -> Result<Option<Vec<u8>>, KitError> {
        Ok(self
            .space
            .try_take(key)
            .await
            .map_err(kit)?
            .map(|b| b.to_vec()))
    }

    async fn len(&self, key: &str) -> Result<usize, KitError> {
        self.space.len(key).await.map_err(kit)
    }

    async fn close(&self) -> Result<(), KitError> {
        self.space.close().await.map_err(kit)
    }

    async fn advance(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        self.space.reap_expired().await.expect("reap");
    }

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    async fn take(&self, key: &str) -> Result<Vec<u8>, KitError> {
        Ok(self.space.take(key).await.map_err(kit)?.to_vec())
    }

    async fn push_front(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        self.space
            .push_front(key, value)
            .await
            .map_err(|e| KitError::with_value(e.code(), e.value.to_vec()))
    }

    async fn try_take_matching(
        &self,
        pattern: &str,
    ) -> Result<Option<(String, Vec<u8>)>, KitError> {
        let pattern = Pattern::parse(pattern).map_err(|e| KitError::of(&e))?;
        Ok(self
            .space
            .try_take_matching(&pattern)
            .await
            .map_err(kit)?
            .map(|(k, v)| (k.as_str().to_owned(), v.to_vec())))
    }

    async fn try_take_leased(
        &self,
        key: &str,
        lease_ms: u64,
    ) -> Result<Option<KitLease>, KitError> {
        let lease = self
            .space
            .try_take_leased(key, Duration::from_millis(lease_ms))
            .await
            .map_err(kit)?;
        Ok(lease.map(|l| {
            let k = KitLease {
                id: l.id(),
                value: l.value().to_vec(),
                deliveries: l.delivery(),
            };
            self.leases.lock().unwrap().insert(l.id(), l);
            k
        }))
    }

    async fn ack(&self, lease: u64) -> Result<(), KitError> {
        self.space.ack(&self.lease(lease)?).await.map_err(kit)
    }

    async fn nack(&self, lease: u64) -> Result<(), KitError> {
        self.space
            .nack(&self.lease(lease)?)
            .await
            .map(drop)
            .map_err(kit)
    }

    async fn extend(&self, lease: u64, lease_ms: u64) -> Result<(), KitError> {
        self.space
            .extend(&self.lease(lease)?, Duration::from_millis(lease_ms))
            .await
            .map_err(kit)
    }
}

/// RedisQueue under the kit: Streams give it FIFO per key and the close rule, and `durable`:
/// the harness's reopen drops the handle without settling anything (as a crash would), opens a
/// new handle on the same name, and — as an operator restarting a closed queue would — calls
/// `reopen()` (the `closed` mark is shared state in Redis, not a property of the handle).
/// Not declared:
/// `waits` — its waiting pulls (tested in tests/queue.rs) race on the server in the order their
/// scripts arrive, not in the order the pulls were first polled (RedisSpace queues its waiters
/// on the server; the queue does not yet); `leases` — a stream's lease is the consumer group's
/// visibility timeout, one per queue, not one per call; `push_front` and pattern takes — a
/// stream only appends, and each key is its own stream.
struct QueueKit {
    name: &'static str,
    conn: Connection,
    opened: Vec<(RedisQueue, Vec<String>)>,
}

struct KitQueue {
    queue: RedisQueue,
}

impl Harness for QueueKit {
    type Queue = KitQueue;

    fn name(&self) -> &str {
        self.name
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            durable: true,
            ..Capabilities::NONE
        }
    }

    async fn open(&mut self, _options: &Options) -> Result<KitQueue, KitError> {
        let name = common::unique("kitq");
        let queue = RedisQueue::open_with(&self.conn, &name, queue_config())
            .await
            .map_err(kit)?;
        self.opened
            .push((queue.clone(), vec!["k".into(), "j".into(), "other".into()]));
        Ok(KitQueue { queue })
    }

    async fn reopen(&mut self, queue: KitQueue, _options: &Options) -> Result<KitQueue, KitError> {
        let name = queue.queue.name().to_owned();
        drop(queue);
        let queue = RedisQueue::open_with(&self.conn, &name, queue_config())
            .await
            .map_err(kit)?;
        queue.reopen().await.map_err(kit)?;
        Ok(KitQueue { queue })
    }
}

fn queue_config() -> QueueConfig {
    QueueConfig {
        poll_interval: Duration::from_millis(50),
        ..QueueConfig::default()
    }
}

impl Queue for KitQueue {
    async fn try_push(&self, key: &str, value: Vec<u8>) -> Result<(), KitError> {
        self.queue
            .push(key, value)
            .await
            .map(drop)
            .map_err(|e| KitError::with_value(e.code(), e.value.to_vec()))
    }

    async fn try_take(&self, key: &str) -> Result<Option<Vec<u8>>, KitError> {
        Ok(self
            .queue
            .try_take(key)
            .await
            .map_err(kit)?
            .map(|b| b.to_vec()))
    }

    async fn len(&self, key: &str) -> Result<usize, KitError> {
        self.queue.len(key).await.map_err(kit)
    }

    async fn close(&self) -> Result<(), KitError> {
        self.queue.close().await.map_err(kit)
    }

    async fn advance(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    async fn take(&self, key: &str) -> Result<Vec<u8>, KitError> {
        Ok(self.queue.take(key).await.map_err(kit)?.to_vec())
    }
}

fn main() -> ExitCode {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut ok = true;
    for (name, urls) in [
        ("redis-space", common::standalone_url()),
        ("redis-space-cluster", common::cluster_urls()),
    ] {
        let report = rt.block_on(async {
            let conn = Connection::connect(&urls).await.expect("connect");
            let mut harness = RedisKit {
                name,
                conn,
                spaces: Vec::new(),
            };
            let report = run(&mut harness).await;
            for s in &harness.spaces {
                s.destroy().await.expect("clean up");
            }
            report
        });
        println!("{report}");
        ok &= report.ok() && report.passed.len() + report.not_applicable.len() == CASES.len();
    }
    for (name, urls) in [
        ("redis-queue", common::standalone_url()),
        ("redis-queue-cluster", common::cluster_urls()),
    ] {
        let report = rt.block_on(async {
            let conn = Connection::connect(&urls).await.expect("connect");
            let mut harness = QueueKit {
                name,
                conn,
                opened: Vec::new(),
            };
            let report = run(&mut harness).await;
            for (q, keys) in &harness.opened {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                q.destroy(&keys).await.expect("clean up");
            }
            report
        });
        println!("{report}");
        ok &= report.ok() && report.passed.len() + report.not_applicable.len() == CASES.len();
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

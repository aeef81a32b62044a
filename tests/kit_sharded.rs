//! The conformance kit against `ShardedSpace<Vec<u8>>` (issue 18): every case whose
//! capabilities a sharded space has. It has no pattern takes, no space-wide bounds and no
//! dead-letter key (each needs one order across shards), so those cases are not applicable; the
//! bound cases that use per-key bounds only run in a second pass.

use std::cell::Cell;

use lindy::queue::{Config, LeaseId, PushError, TakeLeasedError};
use lindy::space::ShardedSpace;
use lindy::sync::DefaultRawMutex;
use lindy::testkit::{
    run, run_matching, Capabilities, Harness, KitError, KitLease, Options, Queue, CASES,
};

/// Four shards: the kit's keys land in different shards.
type Space = ShardedSpace<Vec<u8>, DefaultRawMutex, 4>;

struct Sharded {
    capabilities: Capabilities,
}

struct ShardedQueue {
    space: Space,
    now: Cell<u64>,
}

fn push_error(e: PushError<Vec<u8>>) -> KitError {
    let code = e.code();
    KitError::with_value(code, e.into_inner())
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
        let space = Space::with_config(config).map_err(|e| KitError::of(&e).detail(e))?;
        Ok(ShardedQueue {
            space,
            now: Cell::new(0),
        })
    }
}

impl Queue for ShardedQueue {
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
}

/// What a sharded space has: everything but pattern takes, space-wide bounds (the kit's
/// `bounds` capability includes `max_entries`), dead-lettering and durability.
const SHARDED: Capabilities = Capabilities {
    waits: true,
    push_front: true,
    leases: true,
    ..Capabilities::NONE
};

#[test]
fn the_kit_passes_on_a_sharded_space() {
    let report = futures::executor::block_on(run(&mut Sharded {
        capabilities: SHARDED,
    }));
    println!("{report}");
    assert!(report.ok(), "{report}");
    assert_eq!(
        report.passed.len() + report.not_applicable.len(),
        CASES.len()
    );
    let mut missing: Vec<&str> = report.not_applicable.iter().map(|(_, m)| *m).collect();
    missing.sort();
    missing.dedup();
    assert_eq!(
        missing,
        ["bounds", "dead_letter", "durable", "pattern_take"],
        "only the capabilities a sharded space lacks are skipped"
    );
    assert!(report.passed.len() >= 15, "{report}");
}

/// The bound and back-pressure cases that use per-key bounds only (`key_max_entries`) or check
/// that a bad bound is refused: a sharded space keeps them.
#[test]
fn the_per_key_bound_cases_pass_on_a_sharded_space() {
    let per_key = [
        "full_push_is_refused_with_the_value",
        "bound_of_zero_is_invalid_config",
        "push_waits_for_room",
        "dropped_push_puts_nothing_in",
        "push_dropped_after_room_frees_puts_nothing_in",
        "close_refuses_waiting_push_with_the_value",
    ];
    let report = futures::executor::block_on(run_matching(
        &mut Sharded {
            capabilities: Capabilities {
                bounds: true,
                back_pressure: true,
                ..SHARDED
            },
        },
        |name| per_key.contains(&name),
    ));
    println!("{report}");
    assert!(report.ok(), "{report}");
    assert_eq!(report.passed.len(), per_key.len(), "{report}");
}

/// The one bound case a sharded space cannot keep fails to open with a coded error, not with a
/// wrong answer.
#[test]
fn the_space_wide_bound_case_is_refused_at_open() {
    let report = futures::executor::block_on(run_matching(
        &mut Sharded {
            capabilities: Capabilities {
                bounds: true,
                ..SHARDED
            },
        },
        |name| name == "leased_entries_hold_their_room",
    ));
    assert_eq!(report.failed.len(), 1, "{report}");
    assert!(report.failed[0].1.contains("INVALID_CONFIG"), "{report}");
}

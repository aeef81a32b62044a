//! The store's sans-IO timeout vocabulary (issue 17): `poll_timeout()` answers the next deadline
//! — lease expiry and, under `Durability::Interval`, the interval flush — and `handle_timeout(now)`
//! acts on it. A failed flush poisons the store.

use lindy::error::codes;
use lindy::store::{Durability, FaultStorage, Queue, StoreOptions};

fn interval(ms: u32) -> Queue<FaultStorage> {
    Queue::open(
        FaultStorage::new(),
        StoreOptions::new().with_durability(Durability::Interval(ms)),
    )
    .unwrap()
}

#[test]
fn the_interval_flush_is_a_deadline_that_handle_timeout_meets() {
    let mut q = interval(100);
    q.handle_timeout(1_000); // the caller's clock reads 1 000 ms
    assert_eq!(
        q.poll_timeout(),
        None,
        "nothing unsynced, no lease: no deadline"
    );
    q.push("k", b"a").unwrap();
    q.push("k", b"b").unwrap();
    assert_eq!(q.poll_timeout(), Some(1_100), "the oldest write's interval");
    let syncs = q.storage().syncs();
    assert_eq!(q.handle_timeout(1_099), 0);
    assert_eq!(q.storage().syncs(), syncs, "not yet due: no fsync");
    assert_eq!(q.stats().durable, 0);
    q.handle_timeout(1_100);
    assert_eq!(q.storage().syncs(), syncs + 1, "due: one fsync covers both");
    assert_eq!(q.stats().durable, 2);
    assert_eq!(q.poll_timeout(), None);
    // A power loss now keeps both.
    let image = q.storage().power_loss();
    let q = Queue::open(FaultStorage::from_bytes(image), StoreOptions::new()).unwrap();
    assert_eq!(q.len("k"), 2);
}

#[test]
fn the_interval_counts_from_the_oldest_unsynced_write() {
    let mut q = interval(100);
    q.handle_timeout(0);
    q.push("k", b"a").unwrap();
    q.handle_timeout(60);
    q.push("k", b"b").unwrap(); // a later write does not push the deadline back
    assert_eq!(q.poll_timeout(), Some(100));
    q.handle_timeout(100);
    q.handle_timeout(150);
    q.push("k", b"c").unwrap(); // the clock restarts at the latest `now` seen
    assert_eq!(q.poll_timeout(), Some(250));
}

#[test]
fn leases_and_the_flush_share_one_deadline() {
    let mut q = interval(1_000);
    q.push("k", b"a").unwrap();
    q.push("k", b"b").unwrap();
    // Written before any clock reading: the interval counts from 0.
    assert_eq!(q.poll_timeout(), Some(1_000));
    q.handle_timeout(1_000);
    assert_eq!(q.stats().durable, 2);
    let lease = q.take_leased("k", Some(300), 1_010).unwrap().unwrap();
    assert_eq!(lease.deadline, 1_310);
    assert_eq!(q.poll_timeout(), Some(1_310), "the lease; nothing to flush");
    q.push("k", b"c").unwrap(); // unsynced from 1 010: due at 2 010
    assert_eq!(q.poll_timeout(), Some(1_310), "the earlier of the two");
    assert_eq!(q.handle_timeout(1_310), 1, "the lease expired");
    assert_eq!(q.len("k"), 3);
    assert_eq!(q.poll_timeout(), Some(2_010));
    assert_eq!(q.handle_timeout(2_010), 0);
    assert_eq!(q.stats().durable, 3);
    assert_eq!(q.poll_timeout(), None);
}

#[test]
fn a_failed_flush_in_handle_timeout_poisons_the_store() {
    let mut q = interval(10);
    q.handle_timeout(0);
    q.push("k", b"a").unwrap();
    q.storage().fail_sync(0);
    assert_eq!(q.handle_timeout(10), 0);
    assert!(q.is_poisoned(), "a failed fsync poisons, whoever runs it");
    assert_eq!(
        q.poll_timeout(),
        None,
        "a poisoned store has nothing left to flush"
    );
    let e = q.push("k", b"b").unwrap_err();
    assert_eq!(e.code(), codes::STORE_POISONED);
    // Reads keep answering.
    assert_eq!(q.peek("k"), Some(b"a".to_vec()));
}

#[test]
fn other_modes_have_no_flush_deadline() {
    for d in [Durability::Always, Durability::Never] {
        let mut q =
            Queue::open(FaultStorage::new(), StoreOptions::new().with_durability(d)).unwrap();
        q.push("k", b"a").unwrap();
        assert_eq!(q.poll_timeout(), None, "{d:?}");
        let syncs = q.storage().syncs();
        q.handle_timeout(u64::MAX);
        assert_eq!(
            q.storage().syncs(),
            syncs,
            "{d:?}: handle_timeout never fsyncs"
        );
    }
}

#[test]
#[allow(deprecated)]
fn the_deprecated_flush_if_due_still_flushes_and_reports_its_error() {
    let mut q = interval(100);
    assert_eq!(q.flush_if_due(0).unwrap(), None);
    q.push("k", b"a").unwrap();
    assert_eq!(q.flush_if_due(50).unwrap(), Some(100));
    assert_eq!(q.flush_if_due(100).unwrap(), None);
    assert_eq!(q.stats().durable, 1);
    q.push("k", b"b").unwrap();
    q.storage().fail_sync(0);
    let e = q.flush_if_due(500).unwrap_err();
    assert_eq!(e.code(), codes::IO);
    assert!(q.is_poisoned());
}

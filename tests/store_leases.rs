//! Leased pulls on the durable store: the tombstone is written at `ack`; an un-acknowledged
//! lease comes back on expiry, on `nack`, and after a crash or a reopen (at least once).

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use lindy::error::codes;
use lindy::store::{FaultStorage, FileStore, LeaseId, Queue, StoreOptions};

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("store-leases-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.join("q.log")
}

fn values<S: lindy::store::Storage>(q: &Queue<S>, key: &str) -> Vec<Vec<u8>> {
    q.entries(key).map(|e| e.value.to_vec()).collect()
}

#[test]
fn ack_writes_the_tombstone_and_an_unacked_lease_survives_a_crash() {
    let fs = FaultStorage::new();
    let mut q = Queue::open(fs.clone(), StoreOptions::new()).unwrap();
    for v in [b"a", b"b", b"c"] {
        q.push("k", v).unwrap();
    }
    let before = fs.contents().len();
    let a = q.take_leased("k", Some(1000), 0).unwrap().unwrap();
    let b = q.take_leased("k", Some(1000), 0).unwrap().unwrap();
    assert_eq!((a.value.as_slice(), a.deliveries), (&b"a"[..], 1));
    assert_eq!(fs.contents().len(), before, "taking a lease writes nothing");
    assert_eq!((q.len("k"), q.leased_len()), (1, 2));
    // Acks in any order; each writes a tombstone that is durable when ack returns.
    q.ack(b.id).unwrap();
    assert_eq!(q.ack(b.id).unwrap_err().code(), codes::LEASE_LOST);
    // A power loss now: `b` is gone for good, `a` was never acknowledged and comes back, in
    // its place.
    let q2 = Queue::open(
        FaultStorage::from_bytes(fs.power_loss()),
        StoreOptions::new(),
    )
    .unwrap();
    assert_eq!(values(&q2, "k"), [b"a".to_vec(), b"c".to_vec()]);
    assert_eq!(q2.len("k"), 2);
    // The same store goes on: ack a, and only c is left after a reopen.
    q.ack(a.id).unwrap();
    let q3 = Queue::open(
        FaultStorage::from_bytes(fs.power_loss()),
        StoreOptions::new(),
    )
    .unwrap();
    assert_eq!(values(&q3, "k"), [b"c".to_vec()]);
}

#[test]
fn nack_and_expiry_put_the_entry_back_at_the_head_with_its_age() {
    let mut q = Queue::open(FaultStorage::new(), StoreOptions::new()).unwrap();
    for v in [b"1", b"2"] {
        q.push("k", v).unwrap();
    }
    let l = q.take_leased("k", Some(50), 100).unwrap().unwrap();
    q.nack(l.id).unwrap();
    let l = q.take_leased("k", Some(50), 200).unwrap().unwrap();
    assert_eq!(
        (l.value.as_slice(), l.deliveries, l.deadline),
        (&b"1"[..], 2, 250)
    );
    assert_eq!(q.poll_timeout(), Some(250));
    assert_eq!(q.handle_timeout(249), 0);
    assert_eq!(q.handle_timeout(250), 1);
    assert_eq!(q.ack(l.id).unwrap_err().code(), codes::LEASE_LOST);
    assert_eq!(
        q.try_take("k").unwrap(),
        Some(b"1".to_vec()),
        "back at the head"
    );
    let l = q.take_leased("k", None, 0).unwrap().unwrap();
    assert_eq!(q.extend(l.id, Some(10_000), 5).unwrap(), 10_005);
    assert_eq!(q.take_leased("k", None, 0).unwrap(), None);
}

#[test]
fn bad_lease_arguments_get_coded_errors() {
    let mut q = Queue::open(FaultStorage::new(), StoreOptions::new()).unwrap();
    q.push("k", b"v").unwrap();
    let e = q.take_leased("k", Some(0), 0).unwrap_err();
    assert_eq!(e.code(), codes::LEASE_INVALID);
    assert_eq!(q.len("k"), 1, "nothing was taken");
    assert_eq!(
        q.take_leased("k", Some(u64::MAX), 0).unwrap_err().code(),
        codes::LEASE_INVALID
    );
    let ghost = LeaseId::from_u64(12345);
    assert_eq!(q.ack(ghost).unwrap_err().code(), codes::LEASE_LOST);
    assert_eq!(q.nack(ghost).unwrap_err().code(), codes::LEASE_LOST);
    assert_eq!(
        q.extend(ghost, None, 0).unwrap_err().code(),
        codes::LEASE_LOST
    );
    assert_eq!(
        q.take_leased("", None, 0).unwrap_err().code(),
        codes::KEY_INVALID
    );
}

#[test]
fn compaction_keeps_leased_entries() {
    let fs = FaultStorage::new();
    let mut q = Queue::open(fs.clone(), StoreOptions::new()).unwrap();
    for i in 0..10u8 {
        q.push("k", &[i]).unwrap();
    }
    let leases: Vec<_> = (0..5)
        .map(|_| q.take_leased("k", None, 0).unwrap().unwrap())
        .collect();
    for l in &leases[..3] {
        q.ack(l.id).unwrap();
    }
    q.compact().unwrap();
    // The two un-acked leases are live (in the compacted file) and settle normally.
    q.ack(leases[3].id).unwrap();
    let q2 = Queue::open(
        FaultStorage::from_bytes(fs.power_loss()),
        StoreOptions::new(),
    )
    .unwrap();
    let got: Vec<u8> = q2.entries("k").map(|e| e.value[0]).collect();
    assert_eq!(got, [4, 5, 6, 7, 8, 9]);
}

#[test]
fn file_store_leases_expire_on_the_committer_thread_and_wake_a_pull() {
    let path = tmp("expiry");
    let s = FileStore::open(&path).unwrap();
    s.push("k", b"job").unwrap();
    let lease = s
        .take_leased("k", Some(Duration::from_millis(20)))
        .unwrap()
        .unwrap();
    assert_eq!(s.len("k"), 0);
    // Nobody acks: the lease expires and the waiting pull gets the entry (no timing assertion:
    // this only has to finish).
    let again = futures::executor::block_on(s.take("k")).unwrap();
    assert_eq!(again, b"job");
    assert_eq!(s.ack(lease.id).unwrap_err().code(), codes::LEASE_LOST);
    // An unacknowledged lease survives a reopen.
    s.push("k", b"second").unwrap();
    let _held = s.take_leased("k", None).unwrap().unwrap();
    s.close().unwrap();
    drop(s); // a closed store with entries keeps the file to drain them
    let s = FileStore::open(&path).unwrap();
    assert_eq!(s.try_take("k").unwrap(), Some(b"second".to_vec()));
    // nack wakes a waiting pull too.
    s.push("k", b"third").unwrap();
    let l = s.take_leased("k", None).unwrap().unwrap();
    std::thread::scope(|sc| {
        let t = sc.spawn(|| futures::executor::block_on(s.take("k")).unwrap());
        s.nack(l.id).unwrap();
        assert_eq!(t.join().unwrap(), b"third");
    });
}

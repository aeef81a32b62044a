//! The durable queue's log on the chip: the codec, replay, and the queue over an in-RAM storage
//! that tears writes and fails syncs on demand (`FaultStorage`).

use alloc::vec::Vec;

use lindy::store::codec::{self, FILE_HEADER_LEN, RECORD_HEADER_LEN};
use lindy::store::{replay, Durability, FaultStorage, Queue, ReplayOptions, StoreOptions};
use lindy_firmware::harness::{Case, Outcome};
use lindy_firmware::{cases, ensure, ensure_eq};

pub const CASES: [Case; 6] = cases![
    every_bit_flip_and_cut_of_the_last_record_is_caught_at_replay,
    pushed_entries_survive_a_reopen_in_order,
    a_torn_tail_is_cut_off_at_open_and_reported,
    damage_in_the_middle_refuses_to_open_unless_salvaged,
    a_failed_sync_poisons_the_queue_and_the_disk_tells_the_truth,
    bad_keys_and_values_are_refused_before_anything_is_written,
];

fn every_bit_flip_and_cut_of_the_last_record_is_caught_at_replay() -> Outcome {
    let disk = FaultStorage::new();
    let mut q = open(disk.clone());
    q.push("dev", b"temp=20").unwrap();
    q.push("dev", b"temp=21").unwrap();
    drop(q);
    let image = disk.contents();
    let values = |r: &lindy::store::Replay| -> Vec<Vec<u8>> {
        r.queues
            .get("dev")
            .map_or(Vec::new(), |q| q.iter().map(|e| e.value.clone()).collect())
    };
    let whole = replay(&image, ReplayOptions::default()).unwrap();
    ensure_eq!(values(&whole), [b"temp=20".to_vec(), b"temp=21".to_vec()]);
    let last = image.len() - codec::record_len(3, 7);
    for bit in last * 8..image.len() * 8 {
        let mut bad = image.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        // Refused as corrupt, or cut off as a torn tail: never read back as a record.
        if let Ok(r) = replay(&bad, ReplayOptions::default()) {
            ensure!(
                values(&r) == [b"temp=20".to_vec()] && r.torn_tail > 0,
                "a flip of bit {} of the last record went unnoticed",
                bit - last * 8
            );
        }
    }
    for cut in last..image.len() {
        let r = replay(&image[..cut], ReplayOptions::default()).unwrap();
        ensure_eq!(values(&r), [b"temp=20".to_vec()]);
        ensure_eq!(r.torn_tail, (cut - last) as u64);
    }
    Ok(())
}

fn open(storage: FaultStorage) -> Queue<FaultStorage> {
    Queue::open(storage, StoreOptions::new()).unwrap()
}

fn pushed_entries_survive_a_reopen_in_order() -> Outcome {
    let disk = FaultStorage::new();
    let mut q = open(disk.clone());
    ensure!(q.open_report().created);
    for v in [&b"r1"[..], b"r2", b"r3"] {
        q.push("sensor", v).unwrap();
    }
    q.push("other", b"x").unwrap();
    ensure_eq!(q.try_take("sensor").unwrap(), Some(b"r1".to_vec()));
    drop(q); // a crash: no close. Everything was synced (Durability::Always).

    let mut q = open(FaultStorage::from_bytes(disk.power_loss()));
    ensure_eq!(q.open_report().records, 5); // 4 outs and 1 tombstone
    ensure_eq!(q.len("sensor"), 2);
    ensure_eq!(q.try_take("sensor").unwrap(), Some(b"r2".to_vec()));
    ensure_eq!(q.try_take("sensor").unwrap(), Some(b"r3".to_vec()));
    ensure_eq!(q.try_take("sensor").unwrap(), None);
    ensure_eq!(q.peek_ref("other"), Some(&b"x"[..]));
    Ok(())
}

fn a_torn_tail_is_cut_off_at_open_and_reported() -> Outcome {
    let disk = FaultStorage::new();
    let mut q = open(disk.clone());
    q.push("k", b"first").unwrap();
    q.push("k", b"second").unwrap();
    drop(q);
    let mut image = disk.contents();
    let whole = image.len();
    image.truncate(whole - 4); // the last record lost its last bytes in a crash

    let repaired = FaultStorage::from_bytes(image);
    let mut q = open(repaired.clone());
    let torn = codec::record_len(1, 6) as u64 - 4;
    ensure_eq!(q.open_report().truncated_bytes, torn);
    ensure_eq!(q.len("k"), 1);
    // The garbage was cut before the next append, so what follows stays readable.
    q.push("k", b"third").unwrap();
    drop(q);
    let q = open(FaultStorage::from_bytes(repaired.contents()));
    ensure_eq!(q.open_report().truncated_bytes, 0);
    let values: Vec<&[u8]> = q.entries("k").map(|e| e.value).collect();
    ensure_eq!(values, [&b"first"[..], b"third"]);

    // A write torn while the queue runs fails the push, and the queue takes it back out.
    let disk = FaultStorage::new();
    let mut q = open(disk.clone());
    disk.tear_next_append(5);
    ensure_eq!(q.push("k", b"lost").unwrap_err().code(), "IO");
    ensure_eq!(q.len("k"), 0);
    q.push("k", b"kept").unwrap();
    drop(q);
    let q = open(FaultStorage::from_bytes(disk.power_loss()));
    ensure_eq!(q.peek_ref("k"), Some(&b"kept"[..]));
    Ok(())
}

fn damage_in_the_middle_refuses_to_open_unless_salvaged() -> Outcome {
    let disk = FaultStorage::new();
    let mut q = open(disk.clone());
    for v in [&b"a"[..], b"b", b"c"] {
        q.push("k", v).unwrap();
    }
    drop(q);
    let mut image = disk.contents();
    let second = FILE_HEADER_LEN + codec::record_len(1, 1);
    image[second + RECORD_HEADER_LEN] ^= 0xFF; // the second record's key
    let err = replay(&image, ReplayOptions::default()).unwrap_err();
    ensure_eq!(err.code(), "STORE_CORRUPT");
    ensure_eq!(err.corrupt_offset(), Some(second as u64));
    ensure_eq!(
        Queue::open(FaultStorage::from_bytes(image.clone()), StoreOptions::new())
            .unwrap_err()
            .code(),
        "STORE_CORRUPT"
    );
    let salvaged = Queue::open(
        FaultStorage::from_bytes(image),
        StoreOptions::new().with_salvage(true),
    )
    .unwrap();
    ensure_eq!(salvaged.open_report().skipped.len(), 1);
    let values: Vec<&[u8]> = salvaged.entries("k").map(|e| e.value).collect();
    ensure_eq!(values, [&b"a"[..], b"c"]);
    Ok(())
}

fn a_failed_sync_poisons_the_queue_and_the_disk_tells_the_truth() -> Outcome {
    let disk = FaultStorage::new();
    let mut q = open(disk.clone());
    q.push("k", b"durable").unwrap();
    disk.fail_sync(0);
    // The push whose fsync failed fails (`IO`, or `STORE_POISONED` if the store reports the
    // poisoning itself); its outcome on disk is unknown. Every write after it is refused.
    let failed = q.push("k", b"unsure").unwrap_err();
    ensure!(
        matches!(failed.code(), "IO" | "STORE_POISONED"),
        "{:?}",
        failed
    );
    ensure!(q.is_poisoned());
    ensure_eq!(
        q.push("k", b"refused").unwrap_err().code(),
        "STORE_POISONED"
    );
    ensure!(q.try_take("k").is_err());
    drop(q);
    // After a power loss, reopening reads the truth back: what was durable is there, in order;
    // what was refused is not.
    let q = open(FaultStorage::from_bytes(disk.power_loss()));
    let values: Vec<&[u8]> = q.entries("k").map(|e| e.value).collect();
    ensure_eq!(values.first(), Some(&&b"durable"[..]));
    ensure!(!values.contains(&&b"refused"[..]));
    ensure!(values.len() <= 2, "{:?}", values);
    Ok(())
}

fn bad_keys_and_values_are_refused_before_anything_is_written() -> Outcome {
    let disk = FaultStorage::new();
    let opts = StoreOptions::new()
        .with_durability(Durability::Never)
        .with_max_value_len(16);
    let mut q = Queue::open(disk.clone(), opts).unwrap();
    let before = disk.contents().len();
    ensure_eq!(q.push("", b"v").unwrap_err().code(), "KEY_INVALID");
    ensure_eq!(q.push("k", &[0; 17]).unwrap_err().code(), "VALUE_TOO_LARGE");
    ensure_eq!(disk.contents().len(), before);
    q.push("k", &[0; 16]).unwrap();
    ensure_eq!(disk.syncs(), 0); // Durability::Never: no fsync per push...
    q.close().unwrap();
    ensure_eq!(disk.syncs(), 1); // ...only at close
    ensure_eq!(q.push("k", b"late").unwrap_err().code(), "CLOSED");
    Ok(())
}

//! The durable queue's log on the chip: the codec, replay, and the queue over an in-RAM storage
//! that tears writes and fails syncs on demand (`FaultStorage`).

use alloc::vec::Vec;

use lindy::error::ErrorCode;
use lindy::store::codec::{self, Decoded, Op, Record, FILE_HEADER_LEN};
use lindy::store::{replay, Durability, FaultStorage, Queue, ReplayOptions, StoreOptions};
use lindy_firmware::harness::{Case, Outcome};
use lindy_firmware::{cases, ensure, ensure_eq};

pub const CASES: [Case; 6] = cases![
    a_record_round_trips_and_every_bit_flip_and_cut_is_caught,
    pushed_entries_survive_a_reopen_in_order,
    a_torn_tail_is_cut_off_at_open_and_reported,
    damage_in_the_middle_refuses_to_open_unless_salvaged,
    a_failed_sync_poisons_the_queue_and_the_disk_tells_the_truth,
    bad_keys_and_values_are_refused_before_anything_is_written,
];

const SALT: u64 = 0x1234_5678_9ABC_DEF0;

fn a_record_round_trips_and_every_bit_flip_and_cut_is_caught() -> Outcome {
    let mut buf = Vec::new();
    codec::encode_out(&mut buf, SALT, 7, "dev", b"temp=21").unwrap();
    ensure_eq!(buf.len(), codec::record_len(3, 7));
    let want = Record {
        op: Op::Out,
        seq: 7,
        key: "dev",
        value: b"temp=21",
    };
    ensure_eq!(
        codec::decode_record(&buf, SALT),
        Decoded::Record(want, buf.len())
    );
    // Another log's salt: the CRC does not validate.
    ensure!(!matches!(
        codec::decode_record(&buf, SALT ^ 1),
        Decoded::Record(..)
    ));
    for bit in 0..buf.len() * 8 {
        let mut bad = buf.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        ensure!(
            !matches!(codec::decode_record(&bad, SALT), Decoded::Record(..)),
            "a flip of bit {} went unnoticed",
            bit
        );
    }
    for cut in 0..buf.len() {
        ensure!(
            matches!(
                codec::decode_record(&buf[..cut], SALT),
                Decoded::Truncated { .. }
            ),
            "a cut at {} was not reported as truncated",
            cut
        );
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
    ensure_eq!(q.try_pull("sensor").unwrap(), Some(b"r1".to_vec()));
    drop(q); // a crash: no close. Everything was synced (Durability::Always).

    let mut q = open(FaultStorage::from_bytes(disk.power_loss()));
    ensure_eq!(q.open_report().records, 5); // 4 outs and 1 tombstone
    ensure_eq!(q.len("sensor"), 2);
    ensure_eq!(q.try_pull("sensor").unwrap(), Some(b"r2".to_vec()));
    ensure_eq!(q.try_pull("sensor").unwrap(), Some(b"r3".to_vec()));
    ensure_eq!(q.try_pull("sensor").unwrap(), None);
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
    let values: Vec<&[u8]> = q.entries("k").map(|e| &e.value[..]).collect();
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
    image[second + 20] ^= 0xFF; // inside the second record's key
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
    let values: Vec<&[u8]> = salvaged.entries("k").map(|e| &e.value[..]).collect();
    ensure_eq!(values, [&b"a"[..], b"c"]);
    Ok(())
}

fn a_failed_sync_poisons_the_queue_and_the_disk_tells_the_truth() -> Outcome {
    let disk = FaultStorage::new();
    let mut q = open(disk.clone());
    q.push("k", b"durable").unwrap();
    disk.fail_sync(0);
    ensure_eq!(q.push("k", b"unsure").unwrap_err().code(), "IO");
    ensure!(q.is_poisoned());
    ensure_eq!(
        q.push("k", b"refused").unwrap_err().code(),
        "STORE_POISONED"
    );
    ensure_eq!(q.len("k"), 1); // memory never claims what the disk may not have
    drop(q);
    let q = open(FaultStorage::from_bytes(disk.power_loss()));
    let values: Vec<&[u8]> = q.entries("k").map(|e| &e.value[..]).collect();
    ensure_eq!(values, [&b"durable"[..]]);
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

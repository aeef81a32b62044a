//! Real ENOSPC and EROFS: the store on a 256 KiB tmpfs, filled up; then the tmpfs remounted
//! read-only.
//! Needs root to mount: `make test-store-enospc` mounts the tmpfs, passes it in
//! `LINDY_TMPFS_DIR` and runs this with `--ignored` (part of the gate when `make` runs as root).

use std::path::PathBuf;
use std::process::Command;

use lindy::error::codes;
use lindy::store::FileStore;

fn remount(dir: &PathBuf, mode: &str) {
    let ok = Command::new("mount")
        .args(["-o", &format!("remount,{mode}")])
        .arg(dir)
        .status()
        .expect("run mount")
        .success();
    assert!(ok, "remount {mode} {}", dir.display());
}

#[test]
#[ignore = "needs a small tmpfs mounted by `make test-store-enospc` (root)"]
fn a_full_disk_and_a_read_only_one_fail_cleanly_and_lose_nothing() {
    let dir = PathBuf::from(
        std::env::var("LINDY_TMPFS_DIR").expect("LINDY_TMPFS_DIR: a small tmpfs mount"),
    );
    let path = dir.join("q.log");
    let _ = std::fs::remove_file(&path);
    let s = FileStore::open(&path).unwrap();
    let mut acked = 0u32;
    let err = loop {
        let mut v = vec![0u8; 8 << 10];
        v[..4].copy_from_slice(&acked.to_le_bytes());
        match s.push("k", &v) {
            Ok(()) => acked += 1,
            Err(e) => break e,
        }
        assert!(acked < 10_000, "the tmpfs never filled up");
    };
    // ENOSPC on the write: the partial record was cut off again, nothing was added, and the
    // store keeps working for what fits.
    assert_eq!(err.code(), codes::IO, "{err}");
    assert!(err.to_string().contains("No space left"), "{err}");
    assert!(!s.is_poisoned(), "a failed append is cut off, not poisoned");
    assert_eq!(s.len("k"), acked as usize);
    assert!(acked > 10);
    // A tiny record may still fit; a compaction needs room for its temp file and fails cleanly.
    let _ = s.compact();
    assert!(!s.is_poisoned());
    drop(s);
    let s = FileStore::open(&path).unwrap();
    assert_eq!(
        s.len("k"),
        acked as usize,
        "every acknowledged push survived"
    );
    // Pull half of them (tombstones are small).
    for i in 0..acked / 2 {
        let v = s.try_take("k").unwrap().unwrap();
        assert_eq!(v[..4], i.to_le_bytes());
    }
    s.close().unwrap();
    drop(s); // a closed store with entries keeps the file to drain them
             // Read-only (Linux refuses a read-only remount while a file is open for writing, so the
             // store meets EROFS when it opens): a clear IO error, and nothing changes on disk.
    remount(&dir, "ro");
    let e = FileStore::open(&path).unwrap_err();
    remount(&dir, "rw");
    assert_eq!(e.code(), codes::IO, "{e}");
    assert!(e.to_string().contains("Read-only"), "{e}");
    let s = FileStore::open(&path).unwrap();
    assert_eq!(s.len("k"), (acked - acked / 2) as usize);
    assert_eq!(
        s.try_take("k").unwrap().unwrap()[..4],
        (acked / 2).to_le_bytes()
    );
    s.close().unwrap();
}

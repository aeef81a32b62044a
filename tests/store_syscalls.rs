//! Fault injection at every syscall of the real file backend (SQLite's I/O-error countdown):
//! for each operation — open (with a torn tail to cut), push, pull, compact, close — the n-th
//! syscall fails, for n = 0, 1, 2, ... until the operation runs clean; once (transient) and for
//! good (persistent); with `EIO`, `ENOSPC` and `EROFS`. After each, the store is reopened on
//! the real file system and compared with what was acknowledged.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use lindy::error::codes;
use lindy::store::{FaultKind, FaultVfs, FileStorage, FileStore, Store, StoreOptions, Syscall};

type State = BTreeMap<String, Vec<Vec<u8>>>;

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("store-syscalls-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.join("q.log")
}

/// The whole state, read from the file by replay (the store's own reading of it).
fn on_disk(path: &Path) -> State {
    let bytes = fs::read(path).unwrap();
    let r = lindy::store::replay(&bytes, Default::default())
        .unwrap_or_else(|e| panic!("a syscall fault must never leave a corrupt log: {e}"));
    r.queues
        .into_iter()
        .map(|(k, q)| (k, q.into_iter().map(|e| e.value).collect()))
        .collect()
}

fn st(pairs: &[(&str, &[&[u8]])]) -> State {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.iter().map(|x| x.to_vec()).collect()))
        .collect()
}

/// a: [a2, a3], b: [b1], with a pulled a1 and a torn tail if `torn`.
fn base(path: &Path, torn: bool) {
    let s = FileStore::open(path).unwrap();
    for (k, v) in [("a", "a1"), ("a", "a2"), ("b", "b1"), ("a", "a3")] {
        s.push(k, v.as_bytes()).unwrap();
    }
    s.try_take("a").unwrap();
    if torn {
        s.push("a", b"torn-away").unwrap();
    }
    s.close().unwrap();
    if torn {
        let f = fs::OpenOptions::new().write(true).open(path).unwrap();
        f.set_len(f.metadata().unwrap().len() - 4).unwrap();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Open,
    Push,
    Pull,
    Compact,
    Close,
}

// The classic Unix numbers (the same on Linux, the BSDs and macOS).
const ERRNOS: [(i32, &str); 3] = [(5, "EIO"), (28, "ENOSPC"), (30, "EROFS")];

#[test]
fn every_syscall_failure_errors_cleanly_and_reopens_to_an_acknowledged_state() {
    let before = st(&[("a", &[b"a2", b"a3"]), ("b", &[b"b1"])]);
    let mut failed: BTreeSet<String> = BTreeSet::new();
    let mut runs = 0u64;
    for op in [Op::Open, Op::Push, Op::Pull, Op::Compact, Op::Close] {
        let after = match op {
            Op::Push => st(&[("a", &[b"a2", b"a3", b"new"]), ("b", &[b"b1"])]),
            Op::Pull => st(&[("a", &[b"a3"]), ("b", &[b"b1"])]),
            _ => before.clone(),
        };
        for kind in [FaultKind::Transient, FaultKind::Persistent] {
            for (errno, ename) in ERRNOS {
                for n in 0.. {
                    let path = tmp(&format!("{op:?}-{kind:?}-{ename}"));
                    base(&path, op == Op::Open);
                    let vfs = FaultVfs::default();
                    let ctx = format!("{op:?}, syscall #{n} failing with {ename}, {kind:?}");
                    let open = |vfs: &FaultVfs| {
                        FileStorage::open_in(vfs.clone(), &path)
                            .map_err(lindy::store::StoreError::from)
                            .and_then(|fsx| Store::<_>::with_storage(fsx, StoreOptions::new()))
                    };
                    let store = if op == Op::Open {
                        vfs.fail_after(n, kind, errno);
                        match open(&vfs) {
                            Ok(s) => Some(s),
                            Err(e) => {
                                assert!(
                                    [codes::IO, codes::STORE_POISONED].contains(&e.code()),
                                    "{ctx}: {e}"
                                );
                                None
                            }
                        }
                    } else {
                        let s = open(&vfs).unwrap();
                        vfs.fail_after(n, kind, errno);
                        Some(s)
                    };
                    let fired = !vfs.failed().is_empty();
                    let mut acked = before.clone();
                    let mut maybe = before.clone();
                    if let Some(s) = &store {
                        let r = match op {
                            Op::Open => Ok(None),
                            Op::Push => s.push("a", b"new").map(|()| None),
                            Op::Pull => s.try_take("a"),
                            Op::Compact => s.compact().map(|()| None),
                            Op::Close => s.close().map(|()| None),
                        };
                        let fired = !vfs.failed().is_empty();
                        match &r {
                            Ok(v) => {
                                if op == Op::Pull {
                                    assert_eq!(v.as_deref(), Some(&b"a2"[..]), "{ctx}");
                                }
                                if s.is_poisoned() {
                                    // A pull whose fsync failed: delivered at least once.
                                    assert_eq!(op, Op::Pull, "{ctx}");
                                    maybe = after.clone();
                                } else {
                                    acked = after.clone();
                                    maybe = after.clone();
                                }
                            }
                            Err(e) => {
                                assert!(fired, "{ctx}: failed without a fault: {e}");
                                assert!(
                                    [codes::IO, codes::STORE_POISONED].contains(&e.code()),
                                    "{ctx}: {e}"
                                );
                                maybe = after.clone();
                            }
                        }
                        // Recovery in place: a store that is not poisoned keeps working once
                        // the disk does.
                        vfs.heal();
                        if !s.is_poisoned() && !s.is_closed() {
                            s.push("b", b"again")
                                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                            for m in [&mut acked, &mut maybe] {
                                m.entry("b".into()).or_default().push(b"again".to_vec());
                            }
                        }
                    }
                    for f in vfs.failed() {
                        failed.insert(format!("{f:?}"));
                    }
                    drop(store);
                    // Reopen on the real file system: the log is never corrupt, holds everything
                    // acknowledged, and at most the one operation in flight besides.
                    let got = on_disk(&path);
                    assert!(got == acked || got == maybe, "{ctx}: reopened to {got:?}");
                    let s = FileStore::open(&path).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                    s.push("c", b"works").unwrap();
                    runs += 1;
                    if !fired && vfs.failed().is_empty() {
                        break;
                    }
                }
            }
        }
    }
    eprintln!("syscall faults: {runs} runs, failed syscalls: {failed:?}");
    for must in [
        Syscall::OpenLog,
        Syscall::Canonicalize,
        Syscall::Lock,
        Syscall::StatFile,
        Syscall::StatPath,
        Syscall::Read,
        Syscall::Write,
        Syscall::SyncData,
        Syscall::SetLen,
        Syscall::CreateTemp,
        Syscall::SyncAll,
        Syscall::Rename,
        Syscall::SyncDir,
    ] {
        assert!(
            failed.contains(&format!("{must:?}")),
            "{must:?} never failed: {failed:?}"
        );
    }
}

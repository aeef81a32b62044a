//! Regression tests for the store defects of issue 16 (and the durability defects of issue 12),
//! each tried the way a new user would: through the public API, on real files.

use std::fs;
use std::path::PathBuf;

use lindy::error::codes;
use lindy::store::codec::{encode_header, FileHeader, FILE_HEADER_LEN};
use lindy::store::{replay, FileStore, ReplayOptions, StoreOptions};

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("store-defects-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.join("queue.log")
}

fn cut_last_bytes(path: &PathBuf, n: u64) {
    let f = fs::OpenOptions::new().write(true).open(path).unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len - n).unwrap();
}

/// Defect 1: one 1 MiB value made of the `u32` 400 000 repeated, torn by one byte, took 15-33 s
/// to reopen (quadratic). Asserted on the work replay does, not on time.
#[test]
fn d1_a_torn_megabyte_of_integers_reopens_in_linear_work() {
    let path = tmp("d1");
    let value: Vec<u8> = std::iter::repeat_n(400_000u32.to_le_bytes(), 1 << 18)
        .flatten()
        .collect();
    let s = FileStore::open(&path).unwrap();
    s.push("k", b"before").unwrap();
    s.push("k", &value).unwrap();
    s.close().unwrap();
    drop(s); // a closed store with entries keeps the file to drain them
    cut_last_bytes(&path, 1);
    let bytes = fs::read(&path).unwrap();
    let r = replay(&bytes, ReplayOptions::default()).unwrap();
    assert!(
        r.stats.crc_bytes < 2 * bytes.len() as u64,
        "replay hashed {} bytes of a {}-byte log",
        r.stats.crc_bytes,
        bytes.len()
    );
    let s = FileStore::open(&path).unwrap();
    assert_eq!(
        s.open_report().truncated_bytes,
        32 + 1 + value.len() as u64 - 1
    );
    assert_eq!(s.try_take("k").unwrap(), Some(b"before".to_vec()));
    assert_eq!(s.try_take("k").unwrap(), None);
}

/// Defect 2: a log pushed into itself as a payload and torn was `STORE_CORRUPT` ("followed by
/// a valid record"). Its embedded records belong to other offsets: every tear is a tear.
#[test]
fn d2_a_log_forwarded_through_itself_and_torn_reopens() {
    let path = tmp("d2");
    let s = FileStore::open(&path).unwrap();
    for i in 0..4u8 {
        s.push("k", &[i; 9]).unwrap();
    }
    s.try_take("k").unwrap();
    let own = fs::read(&path).unwrap();
    s.push("fwd", &own).unwrap();
    s.close().unwrap();
    drop(s); // a closed store with entries keeps the file to drain them
    let full = fs::read(&path).unwrap();
    let start = full.len() - (32 + 3 + own.len());
    for keep in [start + 1, start + 40, start + 100, full.len() - 1] {
        fs::write(&path, &full[..keep]).unwrap();
        let s = FileStore::open(&path).unwrap_or_else(|e| panic!("cut at {keep}: {e}"));
        assert_eq!(s.open_report().truncated_bytes, (keep - start) as u64);
        assert_eq!(s.len("k"), 3);
        assert_eq!(s.len("fwd"), 0);
    }
}

/// Defect 3: the lock was on `<log>.lock` by name, so a symlink or a hard link to the log let
/// two stores write one file. It is now on the file itself.
#[cfg(unix)]
#[test]
fn d3_the_lock_follows_the_file_not_the_name() {
    let path = tmp("d3");
    let dir = path.parent().unwrap();
    let s = FileStore::open(&path).unwrap();
    s.push("k", b"v").unwrap();
    let link = dir.join("via-symlink.log");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let e = FileStore::open(&link).unwrap_err();
    assert_eq!(e.code(), codes::IO);
    assert!(e.to_string().contains("locked"), "{e}");
    let dotdot = dir
        .join("..")
        .join(dir.file_name().unwrap())
        .join("queue.log");
    assert!(FileStore::open(&dotdot).is_err(), "aliased by `..`");
    let hard = dir.join("hard.log");
    fs::hard_link(&path, &hard).unwrap();
    assert!(FileStore::open(&hard).is_err(), "aliased by a hard link");
    drop(s);
    // Unlocked, a log with two names is refused: compaction would split them.
    let e = FileStore::open(&hard).unwrap_err();
    assert!(e.to_string().contains("hard links"), "{e}");
    fs::remove_file(&hard).unwrap();
}

/// Defect 3, second half: opening or compacting through a symlink replaced the link with a
/// regular file. It now works on the real file and leaves the link alone.
#[cfg(unix)]
#[test]
fn d3_compacting_through_a_symlink_keeps_the_link() {
    let path = tmp("d3-link");
    let link = path.parent().unwrap().join("link.log");
    std::os::unix::fs::symlink(&path, &link).unwrap();
    let s = FileStore::open(&link).unwrap();
    for i in 0..10u8 {
        s.push("k", &[i]).unwrap();
    }
    for _ in 0..9 {
        s.try_take("k").unwrap();
    }
    s.compact().unwrap();
    s.push("k", b"after").unwrap();
    s.close().unwrap();
    drop(s); // a closed store with entries keeps the file to drain them
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let s = FileStore::open(&path).unwrap();
    assert_eq!(s.try_take("k").unwrap(), Some(vec![9]));
    assert_eq!(s.try_take("k").unwrap(), Some(b"after".to_vec()));
}

/// Defect 4: with the next sequence number near `u64::MAX`, a debug build panicked after the
/// append and a release build acknowledged a push it could not reopen. The push is now refused,
/// before anything is written.
#[test]
fn d4_sequence_exhaustion_is_refused_before_the_append() {
    let path = tmp("d4");
    let header = encode_header(FileHeader {
        salt: 1,
        base_seq: u64::MAX - 1,
    });
    fs::write(&path, header).unwrap();
    let s = FileStore::open(&path).unwrap();
    s.push("k", b"last").unwrap();
    let size = fs::metadata(&path).unwrap().len();
    let e = s.push("k", b"one too many").unwrap_err();
    assert_eq!(e.code(), codes::SEQUENCE_EXHAUSTED);
    assert_eq!(fs::metadata(&path).unwrap().len(), size, "nothing written");
    assert!(!s.is_poisoned());
    s.close().unwrap();
    drop(s); // a closed store with entries keeps the file to drain them
    let s = FileStore::open(&path).unwrap();
    assert_eq!(s.try_take("k").unwrap(), Some(b"last".to_vec()));
    // Pulls and compaction keep working on an exhausted log.
    s.compact().unwrap();
    assert_eq!(
        s.push("k", b"x").unwrap_err().code(),
        codes::SEQUENCE_EXHAUSTED
    );
    assert!(fs::metadata(&path).unwrap().len() >= FILE_HEADER_LEN as u64);
}

/// Issue 12: `close()` kept the log's lock, so reopening in the same process failed. A closed
/// store releases its file and lock as soon as nothing is left to drain (the close rule: takes
/// drain what is queued), and a dropped one at once.
#[test]
fn close_releases_the_lock_for_an_in_process_reopen() {
    let path = tmp("close");
    let s = FileStore::open(&path).unwrap();
    s.push("k", b"v").unwrap();
    assert_eq!(s.try_take("k").unwrap(), Some(b"v".to_vec()));
    s.close().unwrap();
    let again = FileStore::open(&path).expect("close released the lock");
    again.push("k", b"w").unwrap();
    // The closed store still answers reads and refuses writes.
    assert_eq!(s.len("k"), 0);
    assert_eq!(s.push("k", b"x").unwrap_err().code(), codes::CLOSED);
    assert_eq!(s.try_take("k").unwrap_err().code(), codes::CLOSED);
    // With entries left, the closed store keeps the file to drain them; dropping it releases.
    again.close().unwrap();
    assert!(FileStore::open(&path).is_err());
    assert_eq!(again.try_take("k").unwrap(), Some(b"w".to_vec()));
    let third = FileStore::open(&path).expect("drained: released");
    third.push("k", b"y").unwrap();
    third.close().unwrap();
    drop(third);
    let fourth = FileStore::open(&path).expect("a dropped store releases at once");
    assert_eq!(fourth.try_take("k").unwrap(), Some(b"y".to_vec()));
}

/// Limits: the largest key, a value at the configured maximum, and 100k keys survive a reopen.
#[test]
fn limits_max_key_max_value_and_a_hundred_thousand_keys() {
    let path = tmp("limits");
    let opts = StoreOptions::new()
        .with_max_key_len(lindy::store::MAX_KEY_LEN)
        .with_max_value_len(1 << 20)
        .with_durability(lindy::store::Durability::Never);
    let s = FileStore::open_with(&path, opts.clone()).unwrap();
    let long_key = "k".repeat(lindy::store::MAX_KEY_LEN);
    s.push(&long_key, &vec![7; 1 << 20]).unwrap();
    assert_eq!(
        s.push(&(long_key.clone() + "k"), b"").unwrap_err().code(),
        codes::KEY_INVALID
    );
    assert_eq!(
        s.push("k", &vec![0; (1 << 20) + 1]).unwrap_err().code(),
        codes::VALUE_TOO_LARGE
    );
    for i in 0..100_000u32 {
        s.push(&format!("key-{i}"), &i.to_le_bytes()).unwrap();
    }
    s.close().unwrap();
    drop(s);
    let s = FileStore::open_with(&path, opts).unwrap();
    assert_eq!(s.keys().len(), 100_001);
    assert_eq!(s.peek(&long_key).map(|v| v.len()), Some(1 << 20));
    assert_eq!(s.peek("key-99999"), Some(99_999u32.to_le_bytes().to_vec()));
}

/// Defect 6: a store whose committer thread could not be spawned panicked. It is now an `IO`
/// error. The test runs itself in a child process where every thread spawn fails (an absurd
/// `RUST_MIN_STACK`: glibc cannot map the stack and `pthread_create` fails with EAGAIN).
#[test]
fn d6_a_committer_thread_that_cannot_start_is_an_io_error() {
    const NAME: &str = "d6_a_committer_thread_that_cannot_start_is_an_io_error";
    if std::env::var_os("LINDY_D6_CHILD").is_some() {
        let path = tmp("d6");
        assert!(
            std::thread::Builder::new().spawn(|| ()).is_err(),
            "thread spawns must fail in the child"
        );
        let opts = StoreOptions::new().with_durability(lindy::store::Durability::Interval(10));
        let e = FileStore::open_with(&path, opts).unwrap_err();
        assert_eq!(e.code(), codes::IO, "{e}");
        assert!(e.to_string().contains("committer thread"), "{e}");
        // Under Always the thread starts with the first async pull or lease: same error.
        let s = FileStore::open(&path).unwrap();
        s.push("k", b"v").unwrap();
        let e = s.take_leased("k", None).unwrap_err();
        assert_eq!(e.code(), codes::IO, "{e}");
        let e = futures::executor::block_on(s.take("k")).unwrap_err();
        assert_eq!(e.code(), codes::IO, "{e}");
        assert_eq!(s.len("k"), 1, "nothing was taken");
        println!("d6-child-ok");
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--test-threads=1", "--nocapture"])
        .env("LINDY_D6_CHILD", "1")
        .env("RUST_MIN_STACK", (1u64 << 50).to_string())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("d6-child-ok"),
        "{text}"
    );
}

//! The `lindy-log` CLI against real log files (`cargo test --features cli --test store_cli`,
//! run by `make test` through `test-store-cli`).
#![cfg(feature = "cli")]

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use lindy::store::FileStore;

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("store-cli-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.join("q.log")
}

fn cli(args: &[&str]) -> (i32, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_lindy-log"))
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&stdout).into_owned() + &String::from_utf8_lossy(&stderr);
    (status.code().unwrap(), text)
}

/// jobs: 3 pushed, 1 pulled; mail: 1 pushed.
fn sample(name: &str) -> PathBuf {
    let path = tmp(name);
    let s = FileStore::open(&path).unwrap();
    for v in ["one", "two", "three"] {
        s.push("jobs", v.as_bytes()).unwrap();
    }
    s.push("mail", b"hi\n\x00").unwrap();
    s.try_pull("jobs").unwrap();
    s.close().unwrap();
    path
}

#[test]
fn inspect_shows_keys_counts_and_dead_ratio() {
    let path = sample("inspect");
    let (code, out) = cli(&["inspect", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("records:      5 (4 out, 1 tombstones)"),
        "{out}"
    );
    assert!(out.contains("3 entries under 2 keys"), "{out}");
    assert!(out.contains("ratio 0.3"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["jobs", "2", "8"]),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["mail", "1", "4"]),
        "{out}"
    );
}

#[test]
fn verify_passes_a_clean_log_and_flags_corruption_with_its_offset() {
    let path = sample("verify");
    let p = path.to_str().unwrap();
    let (code, out) = cli(&["verify", p]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("5 records, every checksum valid"), "{out}");

    let clean = fs::read(&path).unwrap();
    // Torn tail: exit 2.
    fs::write(&path, &clean[..clean.len() - 5]).unwrap();
    let (code, out) = cli(&["verify", p]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("torn tail"), "{out}");

    // A flipped byte in the second record, with valid records after it: exit 1, offset named.
    let mut bad = clean.clone();
    let second = 32 + 20 + 4 + 3;
    bad[second + 24] ^= 0x40;
    fs::write(&path, &bad).unwrap();
    let (code, out) = cli(&["verify", p]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("at offset {second}")), "{out}");
    assert!(out.contains("resume at offset"), "{out}");
    // inspect refuses the same file, pointing at verify.
    let (code, out) = cli(&["inspect", p]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("STORE_CORRUPT") || out.contains("corrupt at byte offset"),
        "{out}"
    );
}

#[test]
fn dump_prints_a_keys_entries_in_order() {
    let path = sample("dump");
    let (code, out) = cli(&["dump", path.to_str().unwrap(), "jobs"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "1\t3\ttwo\n2\t5\tthree\n");
    let (_, out) = cli(&["dump", path.to_str().unwrap(), "mail"]);
    assert_eq!(out, "3\t4\thi\\n\\x00\n", "bytes are escaped");
}

#[test]
fn compact_shrinks_the_log_and_keeps_entries() {
    let path = sample("compact");
    let before = fs::metadata(&path).unwrap().len();
    let (code, out) = cli(&["compact", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("3 live entries"), "{out}");
    assert!(fs::metadata(&path).unwrap().len() < before);
    let s = FileStore::open(&path).unwrap();
    assert_eq!(s.len("jobs"), 2);
    assert_eq!(s.peek("jobs"), Some(b"two".to_vec()));
}

#[test]
fn bad_usage_exits_64() {
    assert_eq!(cli(&[]).0, 64);
    assert_eq!(cli(&["frobnicate", "x"]).0, 64);
    let (code, out) = cli(&["inspect", "/nonexistent/lindy.log"]);
    assert_eq!(code, 1);
    assert!(out.contains("/nonexistent/lindy.log"), "{out}");
}

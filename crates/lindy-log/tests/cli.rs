//! The `lindy-log` CLI against real log files (`cargo test -p lindy-log`, run by `make test`
//! through `test-store-cli`).

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
    s.try_take("jobs").unwrap();
    s.close().unwrap();
    path
}

#[test]
fn inspect_shows_keys_counts_and_dead_ratio() {
    let path = sample("inspect");
    let (code, out) = cli(&["inspect", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("records:      5 (4 out, 1 tombstones, 0 restores)"),
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
    let second = 32 + 32 + 4 + 3;
    bad[second + 36] ^= 0x40;
    fs::write(&path, &bad).unwrap();
    let (code, out) = cli(&["verify", p]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("offset {second}")), "{out}");
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

/// Issue 16, defect 5: `inspect | head` aborted with "failed printing to stdout: Broken pipe"
/// (exit 134). A closed stdout now ends the program quietly.
#[cfg(unix)]
#[test]
fn a_closed_stdout_ends_quietly() {
    use std::process::Stdio;
    let path = tmp("pipe");
    let s = FileStore::open(&path).unwrap();
    for i in 0..2000 {
        s.push(&format!("key-{i}"), b"v").unwrap();
    }
    s.close().unwrap();
    for cmd in ["inspect", "verify", "dump"] {
        let mut args = vec![cmd, path.to_str().unwrap()];
        if cmd == "dump" {
            args.push("key-1");
        }
        // A reader that has already gone away: the first write meets EPIPE.
        let mut child = Command::new(env!("CARGO_BIN_EXE_lindy-log"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{cmd}: {:?} {err}", out.status);
        assert!(!err.contains("panicked"), "{cmd}: {err}");
    }
}

/// Issue 16, defect 5: `inspect` printed keys raw, so a tab, a newline or a terminal escape
/// in a key broke the table or the terminal. Keys are escaped, as `dump` escapes values.
#[test]
fn inspect_escapes_keys() {
    let path = tmp("escape");
    let s = FileStore::open(&path).unwrap();
    s.push("tab\tnew\nline", b"v").unwrap();
    s.push("\x1b[31mred", b"v").unwrap();
    s.close().unwrap();
    let (code, out) = cli(&["inspect", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains('\x1b') && !out.contains('\t'), "{out:?}");
    assert!(out.contains("tab\\tnew\\nline"), "{out}");
    assert!(out.contains("\\u{1b}[31mred"), "{out}");
}

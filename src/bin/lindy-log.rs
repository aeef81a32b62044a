//! `lindy-log`: look inside, check and compact a lindy store log.
//!
//! ```text
//! lindy-log inspect PATH      keys, entry counts, bytes, dead ratio
//! lindy-log verify PATH       check every CRC and the log's rules
//!                             exit 0: clean; 1: corrupt (offset in the message); 2: torn tail only
//! lindy-log dump PATH KEY     the live entries of KEY, oldest first: seq, length, escaped bytes
//! lindy-log compact PATH      open (truncating a torn tail), compact, close
//! ```
//! Long runs show a progress bar on stderr when it is a terminal. Build with the `cli` feature.
//!
//! Arguments are parsed by hand, and the progress bar is thirty lines rather than `indicatif`:
//! four subcommands with positional arguments and one bar do not justify a dependency tree's
//! compile time for everyone who builds the crate.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use lindy::store::codec::{self, Decoded, FILE_HEADER_LEN};
use lindy::store::{replay, replay::find_next_record, FileStore, Replay, ReplayOptions};

const USAGE: &str = "usage:
  lindy-log inspect PATH      keys, entry counts, bytes, dead ratio
  lindy-log verify PATH       check every record's CRC (exit 1: corrupt, 2: torn tail only)
  lindy-log dump PATH KEY     print KEY's live entries, oldest first
  lindy-log compact PATH      rewrite the log with only its live entries";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["inspect", path] => inspect(Path::new(path)),
        ["verify", path] => verify(Path::new(path)),
        ["dump", path, key] => dump(Path::new(path), key),
        ["compact", path] => compact(Path::new(path)),
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(64);
        }
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("lindy-log: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// A one-line progress bar on stderr, drawn only on a terminal and at most ten times a second.
struct Progress {
    label: &'static str,
    total: u64,
    on: bool,
    last: Option<Instant>,
}

impl Progress {
    fn new(label: &'static str, total: u64) -> Self {
        let on = std::io::stderr().is_terminal() && total >= 8 << 20;
        Progress {
            label,
            total: total.max(1),
            on,
            last: None,
        }
    }

    fn set(&mut self, done: u64) {
        if !self.on
            || self
                .last
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(Instant::now());
        let frac = (done as f64 / self.total as f64).min(1.0);
        let width = 30;
        let filled = (frac * width as f64) as usize;
        eprint!(
            "\r{} [{}{}] {:3.0}% {:.1}/{:.1} MiB",
            self.label,
            "=".repeat(filled),
            " ".repeat(width - filled),
            frac * 100.0,
            done as f64 / 1048576.0,
            self.total as f64 / 1048576.0
        );
        let _ = std::io::stderr().flush();
    }

    fn finish(&mut self) {
        if self.on && self.last.is_some() {
            eprint!("\r{}\r", " ".repeat(80));
        }
    }
}

fn read_log(path: &Path) -> Result<Vec<u8>, String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut buf = Vec::with_capacity(len as usize);
    let mut bar = Progress::new("reading", len);
    let mut chunk = vec![0u8; 4 << 20];
    loop {
        let n = f
            .read(&mut chunk)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        bar.set(buf.len() as u64);
    }
    bar.finish();
    Ok(buf)
}

fn load(path: &Path) -> Result<(Vec<u8>, Replay), String> {
    let bytes = read_log(path)?;
    let rep = replay(&bytes, ReplayOptions::default()).map_err(|e| {
        format!(
            "{}: {e} (run `lindy-log verify` for details)",
            path.display()
        )
    })?;
    Ok((bytes, rep))
}

fn inspect(path: &Path) -> Result<ExitCode, String> {
    let (bytes, rep) = load(path)?;
    println!("log:          {}", path.display());
    println!("size:         {} bytes", bytes.len());
    match rep.header {
        None => println!("format:       empty (a new log)"),
        Some(h) => println!(
            "format:       lindy log v{} (salt {:#018x}, base seq {})",
            codec::VERSION,
            h.salt,
            h.base_seq
        ),
    }
    let s = rep.stats;
    println!(
        "records:      {} ({} out, {} tombstones)",
        s.records, s.outs, s.tombstones
    );
    println!(
        "live:         {} entries under {} keys, {} bytes",
        s.live_entries,
        rep.queues.len(),
        s.live_bytes
    );
    let dead = rep.dead_bytes();
    let ratio = if rep.good_len == 0 {
        0.0
    } else {
        dead as f64 / rep.good_len as f64
    };
    println!("dead:         {dead} bytes (ratio {ratio:.2})");
    if rep.torn_tail > 0 {
        println!(
            "torn tail:    {} bytes at offset {} (truncated at the next open)",
            rep.torn_tail, rep.good_len
        );
    }
    println!("next seq:     {}", rep.next_seq);
    if !rep.queues.is_empty() {
        let mut keys: Vec<_> = rep.queues.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        let width = keys.iter().map(|(k, _)| k.len()).max().unwrap_or(3).max(3);
        println!();
        println!(
            "{:width$}  {:>10}  {:>14}",
            "key", "entries", "payload bytes"
        );
        for (k, q) in keys {
            let bytes: usize = q.iter().map(|e| e.value.len()).sum();
            println!("{k:width$}  {:>10}  {bytes:>14}", q.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(path: &Path) -> Result<ExitCode, String> {
    let bytes = read_log(path)?;
    if bytes.is_empty() {
        println!("ok: {} is empty (a new log)", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let header = match codec::decode_header(&bytes) {
        Ok(h) => h,
        Err(r) => {
            println!("corrupt: {} at offset 0: {r}", path.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut bar = Progress::new("verifying", bytes.len() as u64);
    let (mut pos, mut records) = (FILE_HEADER_LEN, 0u64);
    while pos < bytes.len() {
        match codec::decode_record(&bytes[pos..], header.salt) {
            Decoded::Record(_, len) => {
                pos += len;
                records += 1;
                bar.set(pos as u64);
            }
            bad => {
                bar.finish();
                let reason = match bad {
                    Decoded::Invalid(r) => r,
                    _ => "record cut short",
                };
                return Ok(match find_next_record(&bytes, pos + 1, header.salt) {
                    Some(next) => {
                        println!(
                            "corrupt: {} at offset {pos}: {reason}; valid records resume at offset \
                             {next}. The store refuses to open it; opening with salvage skips \
                             {} bytes.",
                            path.display(),
                            next - pos
                        );
                        ExitCode::FAILURE
                    }
                    None => {
                        println!(
                            "torn tail: {} at offset {pos}: {reason}; the last {} bytes are an \
                             unfinished write ({records} good records before it). Opening the \
                             store truncates them.",
                            path.display(),
                            bytes.len() - pos
                        );
                        ExitCode::from(2)
                    }
                });
            }
        }
    }
    bar.finish();
    // Checksums hold; now the rules (sequence order, tombstones naming live heads).
    if let Err(e) = replay(&bytes, ReplayOptions::default()) {
        println!("corrupt: {}: {e}", path.display());
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "ok: {}: {records} records, every checksum valid",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn dump(path: &Path, key: &str) -> Result<ExitCode, String> {
    let (_, rep) = load(path)?;
    let out = std::io::stdout();
    let mut out = out.lock();
    for e in rep.queues.get(key).into_iter().flatten() {
        let r = writeln!(
            out,
            "{}\t{}\t{}",
            e.seq,
            e.value.len(),
            e.value.escape_ascii()
        );
        if r.is_err() {
            break; // e.g. a closed pipe (`| head`)
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn compact(path: &Path) -> Result<ExitCode, String> {
    if !path.exists() {
        return Err(format!("{}: no such file", path.display()));
    }
    let store = FileStore::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let before = store.stats();
    let report = store.open_report();
    if report.truncated_bytes > 0 {
        println!("truncated a torn tail of {} bytes", report.truncated_bytes);
    }
    store
        .compact()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let after = store.stats();
    store
        .close()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!(
        "compacted {}: {} -> {} bytes ({} live entries)",
        path.display(),
        before.log_bytes,
        after.log_bytes,
        after.entries
    );
    Ok(ExitCode::SUCCESS)
}

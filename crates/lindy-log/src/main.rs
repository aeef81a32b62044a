//! `lindy-log`: look inside, check and compact a lindy store log.
//!
//! ```text
//! lindy-log inspect PATH      keys, entry counts, bytes, dead ratio
//! lindy-log verify PATH       check every CRC and the log's rules
//!                             exit 0: clean; 1: corrupt (offset in the message); 2: torn tail only
//! lindy-log dump PATH KEY     the live entries of KEY, oldest first: seq, length, escaped bytes
//! lindy-log compact PATH      open (truncating a torn tail), compact, close
//! ```
//! Long runs show a progress bar on stderr when it is a terminal. Keys are printed escaped (a key
//! holding a tab, a newline or a terminal escape cannot break the table or the terminal), and a
//! closed stdout (`lindy-log inspect q.log | head`) ends the program quietly with status 0.
//!
//! Arguments are parsed by hand, and the progress bar is thirty lines rather than `indicatif`:
//! four subcommands with positional arguments and one bar do not justify a dependency tree's
//! compile time for everyone who builds the crate.

use std::fmt::Display;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use lindy::store::codec;
use lindy::store::{replay, replay::find_next_record, FileStore, Replay, ReplayOptions};

/// Why a subcommand stopped: a message for stderr, or stdout was closed under us.
enum Stop {
    Failed(String),
    StdoutClosed,
}

impl From<String> for Stop {
    fn from(msg: String) -> Self {
        Stop::Failed(msg)
    }
}

/// Writes a line to stdout; a closed pipe stops the program quietly instead of panicking the way
/// `println!` does ("failed printing to stdout: Broken pipe", exit 134).
fn line(text: impl Display) -> Result<(), Stop> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Stop::StdoutClosed,
        _ => Stop::Failed(format!("writing to stdout: {e}")),
    })
}

/// A key as the table prints it: control characters, quotes and backslashes escaped.
fn shown(key: &str) -> String {
    key.escape_debug().to_string()
}

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
        ["-h" | "--help" | "help"] => line(USAGE).map(|()| ExitCode::SUCCESS),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(64);
        }
    };
    match result {
        Ok(code) => code,
        Err(Stop::StdoutClosed) => ExitCode::SUCCESS,
        Err(Stop::Failed(msg)) => {
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

fn inspect(path: &Path) -> Result<ExitCode, Stop> {
    let (bytes, rep) = load(path)?;
    line(format_args!("log:          {}", path.display()))?;
    line(format_args!("size:         {} bytes", bytes.len()))?;
    match rep.header {
        None => line("format:       empty (a new log)")?,
        Some(h) => line(format_args!(
            "format:       lindy log v{} (salt {:#018x}, base seq {})",
            codec::VERSION,
            h.salt,
            h.base_seq
        ))?,
    }
    let s = rep.stats;
    line(format_args!(
        "records:      {} ({} out, {} tombstones, {} restores)",
        s.records, s.outs, s.tombstones, s.restores
    ))?;
    line(format_args!(
        "live:         {} entries under {} keys, {} bytes",
        s.live_entries,
        rep.queues.len(),
        s.live_bytes
    ))?;
    let dead = rep.dead_bytes();
    let ratio = if rep.good_len == 0 {
        0.0
    } else {
        dead as f64 / rep.good_len as f64
    };
    line(format_args!(
        "dead:         {dead} bytes (ratio {ratio:.2})"
    ))?;
    if rep.torn_tail > 0 {
        line(format_args!(
            "torn tail:    {} bytes at offset {} (truncated at the next open)",
            rep.torn_tail, rep.good_len
        ))?;
    }
    line(format_args!("next seq:     {}", rep.next_seq))?;
    if !rep.queues.is_empty() {
        let mut keys: Vec<_> = rep.queues.iter().map(|(k, q)| (shown(k), q)).collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let width = keys
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(3)
            .max(3);
        line("")?;
        line(format_args!(
            "{:width$}  {:>10}  {:>14}",
            "key", "entries", "payload bytes"
        ))?;
        for (k, q) in keys {
            let bytes: usize = q.iter().map(|e| e.value.len()).sum();
            line(format_args!("{k:width$}  {:>10}  {bytes:>14}", q.len()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(path: &Path) -> Result<ExitCode, Stop> {
    let bytes = read_log(path)?;
    if bytes.is_empty() {
        line(format_args!("ok: {} is empty (a new log)", path.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    // Replay is linear in the log's size whatever it holds, and decides torn tail vs corruption
    // exactly as opening the store would.
    let rep = match replay(&bytes, ReplayOptions::default()) {
        Ok(rep) => rep,
        Err(e) => {
            let at = e.corrupt_offset().unwrap_or(0) as usize;
            let resume = codec::decode_header(&bytes)
                .ok()
                .and_then(|h| find_next_record(&bytes, at + 1, h.salt));
            let hint = match resume {
                Some(next) if at > 0 => format!(
                    " Valid records resume at offset {next}; opening with salvage skips {} bytes.",
                    next - at
                ),
                _ => String::new(),
            };
            line(format_args!(
                "corrupt: {}: {e}. The store refuses to open it.{hint}",
                path.display()
            ))?;
            return Ok(ExitCode::FAILURE);
        }
    };
    if rep.torn_tail > 0 {
        line(format_args!(
            "torn tail: {} at offset {}: the last {} bytes are an unfinished write ({} good \
             records before it). Opening the store truncates them.",
            path.display(),
            rep.good_len,
            rep.torn_tail,
            rep.stats.records
        ))?;
        return Ok(ExitCode::from(2));
    }
    line(format_args!(
        "ok: {}: {} records, every checksum valid",
        path.display(),
        rep.stats.records
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn dump(path: &Path, key: &str) -> Result<ExitCode, Stop> {
    let (_, rep) = load(path)?;
    for e in rep.queues.get(key).into_iter().flatten() {
        line(format_args!(
            "{}\t{}\t{}",
            e.seq,
            e.value.len(),
            e.value.escape_ascii()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn compact(path: &Path) -> Result<ExitCode, Stop> {
    if !path.exists() {
        return Err(format!("{}: no such file", path.display()).into());
    }
    let store = FileStore::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let before = store.stats();
    let report = store.open_report();
    if report.truncated_bytes > 0 {
        line(format_args!(
            "truncated a torn tail of {} bytes",
            report.truncated_bytes
        ))?;
    }
    store
        .compact()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let after = store.stats();
    store
        .close()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    line(format_args!(
        "compacted {}: {} -> {} bytes ({} live entries)",
        path.display(),
        before.log_bytes,
        after.log_bytes,
        after.entries
    ))?;
    Ok(ExitCode::SUCCESS)
}

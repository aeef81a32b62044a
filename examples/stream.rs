//! Named message streams: a three-stage pipeline, a late reader replaying a persistent path,
//! and fan-out by prefix and by channel-name pattern.
//!
//! `cargo run --example stream`

use futures::executor::{block_on, ThreadPool};
use futures::StreamExt;
use lindy::grammar::Pattern;
use lindy::stream::{StreamOptions, Streams};

fn main() {
    pipeline();
    late_reader_replay();
    fan_out();
}

/// stage1 → stage2 → consumer, each stage a task; boundaries and order survive every hop.
fn pipeline() {
    println!("== pipeline: stage1 → stage2 → consumer");
    let hub: Streams = Streams::from_config([("buffer_size", "8")]).expect("valid config");
    let pool = ThreadPool::builder().pool_size(2).create().unwrap();

    let source = hub.writer("stage1").unwrap();
    pool.spawn_ok(async move {
        for word in ["alpha", "beta", "gamma", "delta"] {
            source.write(word).await.unwrap();
        }
        // Dropping the writer ends stage1: its reader sees EOF after draining.
    });

    let (mut input, output) = (hub.reader("stage1").unwrap(), hub.writer("stage2").unwrap());
    pool.spawn_ok(async move {
        while let Some(msg) = input.recv().await {
            let upper = String::from_utf8_lossy(&msg).to_uppercase();
            output.write(upper).await.unwrap();
        }
    });

    let results: Vec<String> = block_on(
        hub.reader("stage2")
            .unwrap()
            .map(|m| String::from_utf8_lossy(&m).into_owned())
            .collect(),
    );
    println!("   consumer got {results:?}");
    assert_eq!(results, ["ALPHA", "BETA", "GAMMA", "DELTA"]);
}

/// The seed's persistent mode replayed a late reader's history as one concatenated buffer and
/// then delivered it again. Here: each message once, whole, then the live ones.
fn late_reader_replay() {
    println!("== persistent path: a late reader replays, message by message");
    let hub: Streams = Streams::with_options(StreamOptions::new().persistent(true));
    let writer = hub.writer("data").unwrap();
    block_on(async {
        writer.write("message 1").await.unwrap();
        writer.write("message 2").await.unwrap();
    });

    let mut late = hub.reader("data").unwrap();
    writer.try_write("message 3 (live)").unwrap();
    drop(writer);
    let mut buf = [0u8; 7];
    block_on(async {
        // A short buffer: the rest of a message waits for the next read; no read spans two.
        while let Some(n) = late.read(&mut buf).await {
            let end = if late.remaining() == 0 { " ⏎" } else { "" };
            println!("   read {:?}{end}", String::from_utf8_lossy(&buf[..n]));
        }
    });
    println!("   missed: {}", late.missed());
}

/// Broadcast by prefix and by pattern never blocks: a full subscriber is skipped and counted.
fn fan_out() {
    println!("== fan-out");
    let hub: Streams = Streams::with_options(StreamOptions::new().buffer_size(1));
    let mut subs: Vec<_> = [
        "public:chat.rooms.lobby",
        "public:chat.rooms.hall",
        "public:news.today",
    ]
    .iter()
    .map(|p| hub.reader(p).unwrap())
    .collect();

    let report = hub.broadcast("public:chat.", "maintenance at noon");
    println!("   broadcast to prefix `public:chat.`: {report:?}");

    // The lobby has not read its message yet, so its one-slot buffer is full.
    let pattern = Pattern::parse("public:*.*.lobby").unwrap();
    let report = hub.broadcast_matching(&pattern, "lobby only");
    println!("   broadcast to pattern `{pattern}`: {report:?}");
    assert_eq!((report.delivered, report.full), (0, 1));

    for r in &mut subs {
        let got = r.try_recv().ok();
        println!("   {} ← {got:?}", r.path());
    }
    println!(
        "   paths: {:?}, count {}",
        hub.list(""),
        hub.channel_count()
    );
    hub.close();
}

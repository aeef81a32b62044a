//! Memory returns to the empty size after draining a million keys (counting allocator).
//!
//! Its own test binary with `harness = false`: the counting allocator is global, and no other test
//! thread may allocate while it measures. Debug builds use 200k keys to stay fast (the behaviour
//! checked does not depend on the count); release builds use 1M.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};

use lindy::space::LocalSpace;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn live() -> isize {
    LIVE.load(Relaxed)
}

const KEYS: usize = if cfg!(debug_assertions) {
    200_000
} else {
    1_000_000
};
/// What an emptied space may keep without being asked to shrink: a table with room for 16 keys
/// (32 buckets of 64 bytes plus control bytes) and one recycled key queue.
const RETAINED_BYTES: isize = 4096;

fn key(buf: &mut String, i: usize) -> &str {
    use std::fmt::Write;
    buf.clear();
    write!(buf, "public:app.jobs.{i}").unwrap();
    buf
}

fn check(what: &str, ok: bool, detail: String) -> bool {
    println!("{} {what}: {detail}", if ok { "ok  " } else { "FAIL" });
    ok
}

fn main() {
    let mut passed = 0;
    let mut failed = 0;
    let mut tally = |ok: bool| if ok { passed += 1 } else { failed += 1 };
    let mut buf = String::with_capacity(64);
    // Print once first: stdout allocates its buffer on first use, before the baseline.
    println!("space_memory: {KEYS} keys");
    let space = LocalSpace::<u64>::new();
    let baseline = live();

    // 1. A million keys with one entry each, drained with probes.
    for i in 0..KEYS {
        space.try_push(key(&mut buf, i), i as u64).unwrap();
    }
    let full = live() - baseline;
    for i in 0..KEYS {
        assert_eq!(space.try_take(key(&mut buf, i)), Some(i as u64));
    }
    let after = live() - baseline;
    tally(check(
        "drained keys leave the table",
        space.keys().is_empty() && space.total_len() == 0,
        format!("{} keys, {} entries", space.keys().len(), space.total_len()),
    ));
    tally(check(
        "memory returns to the empty size after draining",
        after <= RETAINED_BYTES,
        format!("{KEYS} keys: {full} bytes full, {after} bytes after draining"),
    ));
    space.shrink_to_fit();
    tally(check(
        "shrink_to_fit returns to the baseline exactly",
        live() == baseline,
        format!("{} bytes above baseline", live() - baseline),
    ));

    // 2. Waiters on many keys, each served by an `out`, then completed.
    let n = KEYS / 4;
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    let keys: Vec<String> = (0..n).map(|i| key(&mut buf, i).to_owned()).collect();
    let keys_bytes = live() - baseline;
    let mut takes: Vec<_> = keys.iter().map(|k| Box::pin(space.take(k))).collect();
    for t in &mut takes {
        assert!(t.as_mut().poll(&mut cx).is_pending());
    }
    for (i, k) in keys.iter().enumerate() {
        space.try_push(k, i as u64).unwrap();
    }
    for (i, t) in takes.iter_mut().enumerate() {
        assert_eq!(t.as_mut().poll(&mut cx), Poll::Ready(Ok(i as u64)));
    }
    drop(takes);
    let after = live() - baseline - keys_bytes;
    tally(check(
        "memory returns after waiters are served",
        after <= RETAINED_BYTES,
        format!("{n} waited-on keys: {after} bytes after"),
    ));

    // 3. Waiters that give up (cancelled takes and reads) leave nothing behind.
    let mut takes: Vec<_> = keys.iter().map(|k| Box::pin(space.take(k))).collect();
    let mut reads: Vec<_> = keys.iter().map(|k| Box::pin(space.peek(k))).collect();
    for t in &mut takes {
        assert!(t.as_mut().poll(&mut cx).is_pending());
    }
    for r in &mut reads {
        assert!(r.as_mut().poll(&mut cx).is_pending());
    }
    drop(takes);
    drop(reads);
    let after = live() - baseline - keys_bytes;
    tally(check(
        "memory returns after waiters are cancelled",
        after <= RETAINED_BYTES && space.keys().is_empty(),
        format!("{n} cancelled waiters: {after} bytes after"),
    ));
    // 4. Pattern takers that wait and give up leave nothing behind either.
    let patterns: Vec<lindy::grammar::Pattern> = (0..1000)
        .map(|i| lindy::grammar::Pattern::parse(&format!("public:app.p{i}.*")).unwrap())
        .collect();
    let patterns_bytes = live() - baseline - keys_bytes;
    let mut waits: Vec<_> = patterns
        .iter()
        .map(|p| Box::pin(space.take_matching(p)))
        .collect();
    for w in &mut waits {
        assert!(w.as_mut().poll(&mut cx).is_pending());
    }
    drop(waits);
    let after = live() - baseline - keys_bytes - patterns_bytes;
    tally(check(
        "memory returns after pattern takers leave",
        after <= RETAINED_BYTES,
        format!("1000 pattern takers: {after} bytes after"),
    ));
    drop(patterns);
    drop(keys);
    space.shrink_to_fit();
    tally(check(
        "and shrink_to_fit returns to the baseline exactly",
        live() == baseline,
        format!("{} bytes above baseline", live() - baseline),
    ));

    println!("space_memory: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

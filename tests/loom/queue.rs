//! Fairness of the queue engine's waiting paths through `LocalSpace` (issue 12): takers are
//! served strictly by arrival — two woken takers never swap, a probe never barges past a woken
//! taker, and key takers and pattern takers are served in the order they started waiting —
//! whatever order the threads then run in.
//!
//! The takers register on the model's main thread (so their arrival order is known), then each
//! finishes on its own thread while the producer runs: loom explores every interleaving of the
//! wake-ups, the polls and the `out`s.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use lindy::grammar::Pattern;
use lindy::space::LocalSpace;
use lindy::sync::StdRawMutex;

type Space = LocalSpace<u32, StdRawMutex>;

/// A space that outlives the model's threads (one small leak per explored execution).
fn leaked_space() -> &'static Space {
    Box::leak(Box::new(Space::new()))
}

/// Polls `fut` once with a no-op waker: a waiting future registers as a waiter.
fn register<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(std::task::Waker::noop()))
}

/// Two takers of one key register in a known order; two `out`s race the takers' threads and a
/// probe. The first to arrive gets the first value whatever order the takers then run in, and
/// the probe gets nothing (the entries are handed over, never left for it to take).
#[test]
fn woken_takers_never_swap_and_probes_never_barge() {
    loom::model(|| {
        let space = leaked_space();
        let mut first = Box::pin(space.take("k"));
        let mut second = Box::pin(space.take("k"));
        assert!(register(&mut first).is_pending());
        assert!(register(&mut second).is_pending());
        let first = loom::thread::spawn(move || loom::future::block_on(first).unwrap());
        let second = loom::thread::spawn(move || loom::future::block_on(second).unwrap());
        let prober = loom::thread::spawn(move || space.try_take("k"));
        space.try_push("k", 1).unwrap();
        space.try_push("k", 2).unwrap();
        assert_eq!(
            first.join().unwrap(),
            1,
            "the first to arrive gets the first value"
        );
        assert_eq!(second.join().unwrap(), 2);
        assert_eq!(
            prober.join().unwrap(),
            None,
            "a probe never barges past a taker"
        );
        assert_eq!(space.total_len(), 0);
    });
}

/// A key taker and a pattern taker that both match the key: served by arrival, in both orders.
#[test]
fn key_and_pattern_takers_are_served_by_arrival() {
    for pattern_first in [false, true] {
        loom::model(move || {
            let space = leaked_space();
            let pattern: &'static Pattern =
                Box::leak(Box::new(Pattern::parse("public:app.jobs.*").unwrap()));
            let mut by_key = Box::pin(space.take("public:app.jobs.a"));
            let mut by_pattern = Box::pin(space.take_matching(pattern));
            if pattern_first {
                assert!(register(&mut by_pattern).is_pending());
                assert!(register(&mut by_key).is_pending());
            } else {
                assert!(register(&mut by_key).is_pending());
                assert!(register(&mut by_pattern).is_pending());
            }
            let by_key = loom::thread::spawn(move || loom::future::block_on(by_key).unwrap());
            let by_pattern = loom::thread::spawn(move || {
                let (name, v) = loom::future::block_on(by_pattern).unwrap();
                assert_eq!(name.as_str(), "public:app.jobs.a");
                v
            });
            space.try_push("public:app.jobs.a", 1).unwrap();
            space.try_push("public:app.jobs.a", 2).unwrap();
            let (k, p) = (by_key.join().unwrap(), by_pattern.join().unwrap());
            if pattern_first {
                assert_eq!((p, k), (1, 2), "the pattern taker arrived first");
            } else {
                assert_eq!((k, p), (1, 2), "the key taker arrived first");
            }
        });
    }
}

/// The first taker is dropped at any point relative to the `out` (possibly after it was handed
/// the entry): the entry goes to the next taker in line, and is never lost or duplicated.
#[test]
fn a_cancelled_hand_off_goes_to_the_next_taker_in_line() {
    loom::model(|| {
        let space = leaked_space();
        let mut cancelled = Box::pin(space.take("k"));
        let mut next = Box::pin(space.take("k"));
        assert!(register(&mut cancelled).is_pending());
        assert!(register(&mut next).is_pending());
        let cancelled = loom::thread::spawn(move || drop(cancelled));
        let next = loom::thread::spawn(move || loom::future::block_on(next).unwrap());
        space.try_push("k", 7).unwrap();
        cancelled.join().unwrap();
        assert_eq!(next.join().unwrap(), 7);
        assert_eq!(space.total_len(), 0);
    });
}

/// Back-pressure: a producer waits for room in a bounded space while the consumer takes; every
/// value arrives once, in order.
#[test]
fn out_wait_goes_in_when_a_take_makes_room() {
    loom::model(|| {
        let space: &'static Space = Box::leak(Box::new(
            Space::with_config(lindy::queue::Config::new().key_max_entries(1)).unwrap(),
        ));
        space.try_push("k", 1).unwrap();
        let producer =
            loom::thread::spawn(move || loom::future::block_on(space.push("k", 2)).is_ok());
        assert_eq!(loom::future::block_on(space.take("k")), Ok(1));
        assert_eq!(loom::future::block_on(space.take("k")), Ok(2));
        assert!(producer.join().unwrap());
    });
}

/// A waiting producer dropped at any point relative to the take that frees its room: its value
/// is in the space exactly when its future resolved `Ok`, and never otherwise.
#[test]
fn a_dropped_out_wait_is_in_exactly_when_it_resolved() {
    loom::model(|| {
        let space: &'static Space = Box::leak(Box::new(
            Space::with_config(lindy::queue::Config::new().key_max_entries(1)).unwrap(),
        ));
        space.try_push("k", 1).unwrap();
        let producer = loom::thread::spawn(move || {
            let mut w = Box::pin(space.push("k", 2));
            if let Poll::Ready(r) = register(&mut w) {
                return r.is_ok();
            }
            loom::thread::yield_now();
            matches!(register(&mut w), Poll::Ready(Ok(()))) // then dropped
        });
        assert_eq!(space.try_take("k"), Some(1));
        let went_in = producer.join().unwrap();
        assert_eq!(space.try_take("k"), went_in.then_some(2));
        assert_eq!(space.total_len(), 0);
    });
}

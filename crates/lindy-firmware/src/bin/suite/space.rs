//! The tuple space: out / take / read, waiting and cancel-safety, pattern take, close, memory.

use alloc::string::String;
use alloc::vec::Vec;
use core::pin::pin;
use core::task::Poll;

use lindy::grammar::Pattern;
use lindy::space::{LocalSpace, Space};
use lindy_firmware::harness::{Case, Outcome};
use lindy_firmware::wake::{poll_with, run_ready, wakes};
use lindy_firmware::{cases, ensure, ensure_eq};

pub const CASES: [Case; 9] = cases![
    out_take_read_are_fifo_per_key,
    a_static_space_needs_no_setup,
    a_waiting_take_is_woken_once_by_its_key_only,
    a_woken_take_dropped_hands_its_wake_up_on,
    every_reader_is_woken_and_the_entry_stays,
    take_matching_takes_the_oldest_across_matching_keys,
    close_wakes_waiters_and_hands_values_back,
    the_space_trait_runs_on_the_chip,
    a_drained_space_gives_its_memory_back,
];

fn out_take_read_are_fifo_per_key() -> Outcome {
    let space: LocalSpace<u32> = LocalSpace::new();
    for v in 0..5 {
        space.try_push("a", v).unwrap();
    }
    space.try_push("b", 100).unwrap();
    ensure_eq!(space.len("a"), 5);
    ensure_eq!(space.total_len(), 6);
    ensure_eq!(space.try_peek("a"), Some(0));
    ensure_eq!(space.try_peek("a"), Some(0)); // read does not remove
    let taken: Vec<u32> = core::iter::from_fn(|| space.try_take("a")).collect();
    ensure_eq!(taken, [0, 1, 2, 3, 4]);
    ensure_eq!(space.try_take("a"), None);
    ensure_eq!(space.keys(), [String::from("b")]);
    ensure_eq!(run_ready(space.take("b"), 1), Some(Ok(100)));
    ensure_eq!(space.total_len(), 0);
    // The empty string is a key like any other.
    space.try_push("", 7).unwrap();
    ensure_eq!(space.try_take(""), Some(7));
    Ok(())
}

static JOBS: LocalSpace<u32> = LocalSpace::new();

fn a_static_space_needs_no_setup() -> Outcome {
    // `const fn new` + critical-section lock: a `static` space, shared with interrupt handlers.
    JOBS.try_push("jobs", 1).unwrap();
    JOBS.try_push("jobs", 2).unwrap();
    ensure_eq!(JOBS.try_take("jobs"), Some(1));
    ensure_eq!(JOBS.try_take("jobs"), Some(2));
    ensure!(JOBS.try_take("jobs").is_none());
    JOBS.shrink_to_fit(); // the case must leave the heap as it found it
    Ok(())
}

fn a_waiting_take_is_woken_once_by_its_key_only() -> Outcome {
    let space: LocalSpace<u32> = LocalSpace::new();
    let mut take = pin!(space.take("k"));
    ensure!(poll_with(take.as_mut(), 0).is_pending());
    space.try_push("other", 1).unwrap();
    ensure_eq!(wakes(0), 0); // an out on another key leaves this waiter alone
    space.try_push("k", 2).unwrap();
    ensure_eq!(wakes(0), 1);
    ensure_eq!(poll_with(take.as_mut(), 0), Poll::Ready(Ok(2)));
    ensure_eq!(space.try_take("other"), Some(1));
    Ok(())
}

fn a_woken_take_dropped_hands_its_wake_up_on() -> Outcome {
    let space: LocalSpace<u32> = LocalSpace::new();
    let mut second = pin!(space.take("k"));
    {
        let mut first = pin!(space.take("k"));
        ensure!(poll_with(first.as_mut(), 0).is_pending());
        ensure!(poll_with(second.as_mut(), 1).is_pending());
        space.try_push("k", 9).unwrap();
        ensure_eq!((wakes(0), wakes(1)), (1, 0)); // exactly one taker: the oldest
    } // `first` is dropped (cancelled) after its wake-up, before taking
    ensure_eq!(wakes(1), 1); // ...so the wake-up moved on: nothing is stranded
    ensure_eq!(poll_with(second.as_mut(), 1), Poll::Ready(Ok(9)));
    Ok(())
}

fn every_reader_is_woken_and_the_entry_stays() -> Outcome {
    let space: LocalSpace<u32> = LocalSpace::new();
    let mut r0 = pin!(space.peek("k"));
    let mut r1 = pin!(space.peek("k"));
    ensure!(poll_with(r0.as_mut(), 0).is_pending());
    ensure!(poll_with(r1.as_mut(), 1).is_pending());
    space.try_push("k", 5).unwrap();
    ensure_eq!((wakes(0), wakes(1)), (1, 1));
    ensure_eq!(poll_with(r0.as_mut(), 0), Poll::Ready(Ok(5)));
    ensure_eq!(poll_with(r1.as_mut(), 1), Poll::Ready(Ok(5)));
    ensure_eq!(space.try_take("k"), Some(5));
    Ok(())
}

fn take_matching_takes_the_oldest_across_matching_keys() -> Outcome {
    let space: LocalSpace<&str> = LocalSpace::new();
    let jobs = Pattern::parse("public:app.jobs.*").unwrap();
    space.try_push("public:app.jobs.b", "first").unwrap();
    space
        .try_push("not a channel name", "never matches")
        .unwrap();
    space
        .try_push("public:app.other.a", "other domain")
        .unwrap();
    space.try_push("public:app.jobs.a", "second").unwrap();
    let (name, v) = space.try_take_matching(&jobs).unwrap();
    ensure_eq!((name.as_str(), v), ("public:app.jobs.b", "first"));
    let got = run_ready(space.take_matching(&jobs), 1);
    ensure!(matches!(&got, Some(Ok((n, "second"))) if n.id() == Some("a")));
    ensure!(space.try_take_matching(&jobs).is_none());

    // A waiting pattern taker is woken by an out on a matching key, not by others.
    let mut waiting = pin!(space.take_matching(&jobs));
    ensure!(poll_with(waiting.as_mut(), 2).is_pending());
    space.try_push("public:app.other.b", "no").unwrap();
    ensure_eq!(wakes(2), 0);
    space.try_push("public:app.jobs.c", "yes").unwrap();
    ensure_eq!(wakes(2), 1);
    ensure!(matches!(
        poll_with(waiting.as_mut(), 2),
        Poll::Ready(Ok((_, "yes")))
    ));
    ensure_eq!(space.total_len(), 3);
    Ok(())
}

fn close_wakes_waiters_and_hands_values_back() -> Outcome {
    let space: LocalSpace<u32> = LocalSpace::new();
    space.try_push("k", 1).unwrap();
    let mut waiting = pin!(space.take("empty"));
    ensure!(poll_with(waiting.as_mut(), 0).is_pending());
    space.close();
    ensure_eq!(wakes(0), 1);
    ensure!(matches!(
        poll_with(waiting.as_mut(), 0),
        Poll::Ready(Err(_))
    ));
    let err = space.try_push("k", 2).unwrap_err();
    ensure_eq!(err.code(), "CLOSED");
    ensure_eq!(err.into_inner(), 2); // nothing lost silently
    ensure_eq!(space.try_take("k"), Some(1)); // a closed space can still be drained
    ensure!(space.is_closed());
    Ok(())
}

fn the_space_trait_runs_on_the_chip() -> Outcome {
    async fn hand_off<S: Space<u32>>(space: &S) -> Result<u32, S::Error> {
        let _ = space.push("jobs", 41).await;
        space.take("jobs").await.map(|v| v + 1)
    }
    let space = LocalSpace::<u32>::new();
    ensure_eq!(run_ready(hand_off(&space), 2), Some(Ok(42)));
    Ok(())
}

fn a_drained_space_gives_its_memory_back() -> Outcome {
    let before = crate::HEAP.stats().used;
    let space: LocalSpace<Vec<u8>> = LocalSpace::new();
    // Fewer keys on the micro:bit: its whole heap is 8 KiB.
    let keys: u8 = if cfg!(board = "microbit") { 16 } else { 64 };
    for i in 0..keys {
        let mut key = String::from("key-");
        key.push(char::from(b'a' + i % 26));
        key.push(char::from(b'a' + i / 26));
        space.try_push(&key, alloc::vec![i; 16]).unwrap();
    }
    ensure_eq!(space.total_len(), usize::from(keys));
    for key in space.keys() {
        while space.try_take(&key).is_some() {}
    }
    ensure!(crate::HEAP.stats().used > before); // the table and a recycled queue remain
    space.shrink_to_fit();
    ensure_eq!(crate::HEAP.stats().used, before); // ...and go, while the space lives on
    Ok(())
}

//! The space's waiting paths under every interleaving (bounded preemptions): `out` racing `take`,
//! a woken `take` dropped before it takes, `close` racing waiters, `read` beside `take`.

use std::future::Future;
use std::task::{Context, Poll};

use lindy::space::LocalSpace;
use lindy::sync::StdRawMutex;
use loom::sync::Arc;

type Space = LocalSpace<u32, StdRawMutex>;

/// Two takers and two producers on one key: both takers complete with distinct values.
#[test]
fn out_and_take_race_without_losing_a_wake_up() {
    loom::model(|| {
        let space = Arc::new(Space::new());
        let taker = {
            let space = space.clone();
            loom::thread::spawn(move || loom::future::block_on(space.take("k")))
        };
        let producer = {
            let space = space.clone();
            loom::thread::spawn(move || space.try_push("k", 1).unwrap())
        };
        space.try_push("k", 2).unwrap();
        let mine = loom::future::block_on(space.take("k")).unwrap();
        let theirs = taker.join().unwrap().unwrap();
        producer.join().unwrap();
        let mut got = [mine, theirs];
        got.sort();
        assert_eq!(got, [1, 2]);
        assert_eq!(space.total_len(), 0);
        assert!(space.keys().is_empty());
    });
}

/// A take that parks and is then dropped at an arbitrary point relative to the `out` (possibly
/// after being woken): the value is never lost, and a second taker still gets it.
#[test]
fn woken_then_dropped_take_hands_the_wake_up_on() {
    loom::model(|| {
        let space = Arc::new(Space::new());
        let cancelled = {
            let space = space.clone();
            loom::thread::spawn(move || {
                let mut fut = Box::pin(space.take("k"));
                let waker = std::task::Waker::noop().clone();
                match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                    Poll::Ready(v) => Some(v.unwrap()),
                    Poll::Pending => {
                        loom::thread::yield_now();
                        None // dropped here, possibly after being notified
                    }
                }
            })
        };
        let waiting = {
            let space = space.clone();
            loom::thread::spawn(move || loom::future::block_on(space.take("k")).unwrap())
        };
        space.try_push("k", 7).unwrap();
        match cancelled.join().unwrap() {
            // The cancelled one took it: give the waiting taker another.
            Some(v) => {
                assert_eq!(v, 7);
                space.try_push("k", 8).unwrap();
                assert_eq!(waiting.join().unwrap(), 8);
            }
            None => assert_eq!(waiting.join().unwrap(), 7),
        }
        assert_eq!(space.total_len(), 0);
    });
}

/// `close` racing a waiting take and an `out`: the take ends (value or `Closed`), and the value is
/// either taken, still in the space, or handed back to the producer — never lost.
#[test]
fn close_races_take_and_out_without_loss() {
    loom::model(|| {
        let space = Arc::new(Space::new());
        let taker = {
            let space = space.clone();
            loom::thread::spawn(move || loom::future::block_on(space.take("k")))
        };
        let producer = {
            let space = space.clone();
            loom::thread::spawn(move || space.try_push("k", 5))
        };
        space.close();
        let taken = taker.join().unwrap().ok();
        let handed_back = producer.join().unwrap().err().map(|c| c.into_inner());
        let left = space.try_take("k");
        let mut seen: Vec<u32> = [taken, handed_back, left].into_iter().flatten().collect();
        seen.sort();
        assert_eq!(seen, [5], "the value ends up in exactly one place");
        assert!(space.is_closed());
    });
}

/// A reader and a taker wait on one key; one `out`: the reader sees the value, the taker takes it.
#[test]
fn read_and_take_both_see_one_out() {
    loom::model(|| {
        let space = Arc::new(LocalSpace::<u32, StdRawMutex>::new());
        let reader = {
            let space = space.clone();
            loom::thread::spawn(move || loom::future::block_on(space.peek("k")).unwrap())
        };
        let taker = {
            let space = space.clone();
            loom::thread::spawn(move || loom::future::block_on(space.take("k")).unwrap())
        };
        space.try_push("k", 3).unwrap();
        assert_eq!(taker.join().unwrap(), 3);
        // The reader may run after the taker took the only entry: give it one more then.
        if space.total_len() == 0 {
            space.try_push("k", 3).unwrap();
        }
        assert_eq!(reader.join().unwrap(), 3);
    });
}

/// A pattern taker and a key taker race two `out`s on a key both can take: both complete, each
/// value taken once.
#[test]
fn pattern_taker_and_key_taker_race_outs() {
    loom::model(|| {
        let space = Arc::new(Space::new());
        let by_pattern = {
            let space = space.clone();
            loom::thread::spawn(move || {
                let p = lindy::grammar::Pattern::parse("public:app.jobs.*").unwrap();
                loom::future::block_on(space.take_matching(&p)).unwrap().1
            })
        };
        let producer = {
            let space = space.clone();
            loom::thread::spawn(move || space.try_push("public:app.jobs.a", 1).unwrap())
        };
        space.try_push("public:app.jobs.a", 2).unwrap();
        let mine = loom::future::block_on(space.take("public:app.jobs.a")).unwrap();
        let theirs = by_pattern.join().unwrap();
        producer.join().unwrap();
        let mut got = [mine, theirs];
        got.sort();
        assert_eq!(got, [1, 2]);
    });
}

/// A pattern taker woken and then dropped hands its wake-up on to a waiting key taker.
#[test]
fn woken_then_dropped_pattern_taker_hands_the_wake_up_on() {
    loom::model(|| {
        let space = Arc::new(Space::new());
        let cancelled = {
            let space = space.clone();
            loom::thread::spawn(move || {
                let p = lindy::grammar::Pattern::parse("public:app.**").unwrap();
                let mut fut = Box::pin(space.take_matching(&p));
                let waker = std::task::Waker::noop().clone();
                match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                    Poll::Ready(r) => Some(r.unwrap().1),
                    Poll::Pending => {
                        loom::thread::yield_now();
                        None
                    }
                }
            })
        };
        let waiting = {
            let space = space.clone();
            loom::thread::spawn(move || loom::future::block_on(space.take("public:app.k")).unwrap())
        };
        space.try_push("public:app.k", 7).unwrap();
        match cancelled.join().unwrap() {
            Some(v) => {
                assert_eq!(v, 7);
                space.try_push("public:app.k", 8).unwrap();
                assert_eq!(waiting.join().unwrap(), 8);
            }
            None => assert_eq!(waiting.join().unwrap(), 7),
        }
    });
}

/// Key handles carry their key's hash into the engine: a handle made on one thread, a producer
/// making its own handle on another (racing the first key's insertion and the table's hasher
/// seeding), and a producer naming the key — the handle's takes get every value exactly once.
#[test]
fn key_handles_hand_off_like_named_keys() {
    loom::model(|| {
        let space: &'static Space = Box::leak(Box::new(Space::new()));
        let producer = loom::thread::spawn(move || space.key("k").try_push(1).unwrap());
        let jobs = space.key("k");
        space.try_push("k", 2).unwrap();
        let mut got = [
            loom::future::block_on(jobs.take()).unwrap(),
            loom::future::block_on(jobs.take()).unwrap(),
        ];
        producer.join().unwrap();
        got.sort();
        assert_eq!(got, [1, 2]);
        assert!(jobs.is_empty());
        assert_eq!(space.total_len(), 0);
    });
}

/// The `Space` trait's waiting `push` (issue 17) against a take on another thread, in a space
/// bounded to one entry: the push waits for room, goes in once, and nothing is lost.
#[test]
fn the_traits_push_waits_for_room_across_threads() {
    use lindy::queue::Config;
    loom::model(|| {
        let space: &'static Space = Box::leak(Box::new(
            Space::with_config(Config::new().key_max_entries(1)).unwrap(),
        ));
        space.try_push("k", 1).unwrap();
        let producer = loom::thread::spawn(move || {
            loom::future::block_on(lindy::space::Space::push(space, "k", 2))
        });
        assert_eq!(loom::future::block_on(space.take("k")), Ok(1));
        assert_eq!(loom::future::block_on(space.take("k")), Ok(2));
        assert!(producer.join().unwrap().is_ok());
        assert_eq!(space.total_len(), 0);
    });
}

/// The hand-off of a blocking take (`src/space/hand_off.rs`): an `out` moves the entry into the
/// parked taker's own slot under the lock, and the taker reads it without the lock. Under loom
/// the taker's wait parks a loom thread. Fails if the taker reads the slot's state with
/// `Relaxed` (loom reports the unsynchronised read of the value).
#[test]
fn hand_off_to_a_blocking_take_arrives_once() {
    loom::model(|| {
        let space = Arc::new(Space::new());
        let taker = {
            let space = space.clone();
            loom::thread::spawn(move || space.take_blocking("k"))
        };
        space.try_push("k", 1).unwrap();
        assert_eq!(taker.join().unwrap(), Ok(1));
        assert_eq!(space.total_len(), 0);
        assert!(space.keys().is_empty());
    });
}

/// A blocking take giving up (its timeout) racing the `out` that hands it the entry: either the
/// taker has the value, or it timed out and the value is queued — never lost, never both.
/// Fails if the taker gives up without checking its slot under the lock.
#[test]
fn hand_off_racing_a_timeout_loses_and_duplicates_nothing() {
    loom::model(|| {
        let space = Arc::new(Space::new());
        let taker = {
            let space = space.clone();
            loom::thread::spawn(move || space.take_timeout("k", std::time::Duration::ZERO))
        };
        space.try_push("k", 1).unwrap();
        match taker.join().unwrap() {
            Ok(v) => {
                assert_eq!(v, 1);
                assert_eq!(space.total_len(), 0);
            }
            Err(e) => {
                assert_eq!(e, lindy::space::WaitError::TimedOut);
                assert_eq!(space.try_take("k"), Some(1));
            }
        }
    });
}

/// `close` racing an `out` and a parked blocking take: the take ends with the value or with
/// `Closed`; a value that went in before the close and was not handed over stays for draining.
#[test]
fn hand_off_racing_close_ends_the_take_and_keeps_the_value() {
    loom::model(|| {
        let space = Arc::new(Space::new());
        let taker = {
            let space = space.clone();
            loom::thread::spawn(move || space.take_blocking("k"))
        };
        let closer = {
            let space = space.clone();
            loom::thread::spawn(move || space.close())
        };
        let pushed = space.try_push("k", 1).is_ok();
        closer.join().unwrap();
        match taker.join().unwrap() {
            Ok(v) => assert!(pushed && v == 1 && space.total_len() == 0),
            Err(e) => {
                assert_eq!(e, lindy::space::WaitError::Closed);
                assert_eq!(space.total_len(), usize::from(pushed)); // drains
            }
        }
        assert!(space.try_push("k", 2).is_err());
    });
}

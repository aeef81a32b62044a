//! `LockingRing` under every interleaving (bounded): push/pop racing for room and data, close
//! racing waiters, and a woken-then-dropped pop handing its wake-up on.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use lindy::ring::LockingRing;
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;

type Shared<const N: usize> = Arc<LockingRing<u32, N>>;

fn ring<const N: usize>() -> Shared<N> {
    Arc::new(LockingRing::new())
}

/// A producer that must wait for room (capacity 1) and a consumer that must wait for data:
/// both finish, values arrive in order.
#[test]
fn push_and_pop_wait_for_each_other() {
    loom::model(|| {
        let r = ring::<1>();
        let producer = {
            let r = r.clone();
            thread::spawn(move || {
                block_on(r.push(1)).unwrap();
                block_on(r.push(2)).unwrap();
            })
        };
        assert_eq!(block_on(r.take()), Some(1));
        assert_eq!(block_on(r.take()), Some(2));
        producer.join().unwrap();
    });
}

/// `close` racing a parked consumer and a parked producer: both wake; the producer gets its
/// value back unless it got in first, in which case the consumer drains it.
#[test]
fn close_wakes_waiting_producer_and_consumer() {
    loom::model(|| {
        let full = ring::<1>();
        full.try_push(0).unwrap();
        let empty = ring::<1>();
        let consumer = {
            let empty = empty.clone();
            thread::spawn(move || block_on(empty.take()))
        };
        let producer = {
            let full = full.clone();
            thread::spawn(move || block_on(full.push(5)))
        };
        empty.close();
        full.close();
        assert_eq!(consumer.join().unwrap(), None);
        assert_eq!(producer.join().unwrap().unwrap_err().into_inner(), 5);
        assert_eq!(full.try_take(), Ok(0));
    });
}

/// A consumer is polled once and then dropped, possibly after a push woke it; the other
/// consumer must still be woken for the value (no lost wake-up: loom reports a deadlock if the
/// main thread's join below can never return).
#[test]
fn woken_then_dropped_pop_hands_the_wake_up_on() {
    loom::model(|| {
        let r = ring::<2>();
        let cancelled = {
            let r = r.clone();
            thread::spawn(move || {
                let mut pop = Box::pin(r.take());
                let mut cx = Context::from_waker(Waker::noop());
                match pop.as_mut().poll(&mut cx) {
                    Poll::Ready(v) => v,
                    Poll::Pending => {
                        thread::yield_now();
                        None // dropped here, perhaps after being woken
                    }
                }
            })
        };
        let waiting = {
            let r = r.clone();
            thread::spawn(move || block_on(r.take()))
        };
        r.try_push(7).unwrap();
        if cancelled.join().unwrap() == Some(7) {
            r.try_push(8).unwrap(); // the waiting consumer needs a value of its own
            assert_eq!(waiting.join().unwrap(), Some(8));
        } else {
            assert_eq!(waiting.join().unwrap(), Some(7));
        }
    });
}

/// The producer-side twin: a parked push dropped after being woken for room passes the room on.
#[test]
fn woken_then_dropped_push_hands_the_room_on() {
    loom::model(|| {
        let r = ring::<1>();
        r.try_push(0).unwrap();
        let cancelled = {
            let r = r.clone();
            thread::spawn(move || {
                let mut push = Box::pin(r.push(1));
                let mut cx = Context::from_waker(Waker::noop());
                let pushed = push.as_mut().poll(&mut cx).is_ready();
                if !pushed {
                    thread::yield_now();
                }
                pushed
            })
        };
        let waiting = {
            let r = r.clone();
            thread::spawn(move || block_on(r.push(2)).unwrap())
        };
        assert_eq!(r.try_take(), Ok(0));
        if cancelled.join().unwrap() {
            assert_eq!(block_on(r.take()), Some(1)); // makes room for the waiting producer
        }
        waiting.join().unwrap();
        assert_eq!(r.try_take(), Ok(2));
    });
}

// ---- The lock-free core: producers and consumers on separate locks, queues behind a flag ----

/// Two consumers park (or not) while one producer pushes two values: each value reaches exactly
/// one consumer (no double delivery) and both consumers finish (the producer's fence + flag read
/// and the consumers' flag store + fence + second look never both miss: no lost wake-up).
#[test]
fn two_parked_consumers_each_get_one_value() {
    loom::model(|| {
        let r = ring::<2>();
        let consumers: Vec<_> = (0..2)
            .map(|_| {
                let r = r.clone();
                thread::spawn(move || block_on(r.take()))
            })
            .collect();
        r.try_push(1).unwrap();
        r.try_push(2).unwrap();
        let mut got: Vec<u32> = consumers
            .into_iter()
            .map(|c| c.join().unwrap().unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
        assert_eq!(r.try_take(), Err(lindy::ring::TryTakeError::Empty));
    });
}

/// Two producers race for the one slot of a ring that a consumer empties twice: both values
/// arrive once each, and neither producer is left parked.
#[test]
fn two_producers_share_one_slot() {
    loom::model(|| {
        let r = ring::<1>();
        let producers: Vec<_> = [10, 20]
            .into_iter()
            .map(|v| {
                let r = r.clone();
                thread::spawn(move || block_on(r.push(v)).unwrap())
            })
            .collect();
        let mut got = [block_on(r.take()).unwrap(), block_on(r.take()).unwrap()];
        producers.into_iter().for_each(|p| p.join().unwrap());
        got.sort_unstable();
        assert_eq!(got, [10, 20]);
    });
}

/// `close` racing a push and a parked consumer: the push either lands before the close (and the
/// consumer takes it) or hands its value back; it is never accepted and then stranded.
#[test]
fn close_racing_a_push_strands_nothing() {
    loom::model(|| {
        let r = ring::<1>();
        let consumer = {
            let r = r.clone();
            thread::spawn(move || block_on(r.take()))
        };
        let producer = {
            let r = r.clone();
            thread::spawn(move || r.try_push(3).is_ok())
        };
        r.close();
        let pushed = producer.join().unwrap();
        let taken = consumer.join().unwrap();
        assert_eq!(taken.is_some(), pushed);
        assert_eq!(r.try_take(), Err(lindy::ring::TryTakeError::Closed));
    });
}

// ---- The stamped slots: claims by compare-and-swap, publication by the slot's stamp ----

/// Two producers claim slots by compare-and-swap while a parked consumer waits and `close`
/// races them: every push either lands (and is taken exactly once, in claim order per producer)
/// or hands its value back; the consumer ends with `None` after the last value, never parked
/// with a value in the ring (a push in flight when the consumer looks again reads the flag after
/// it publishes).
#[test]
fn two_producers_close_and_a_parked_consumer_lose_nothing() {
    loom::model(|| {
        let r = ring::<2>();
        let producers: Vec<_> = [1, 2]
            .into_iter()
            .map(|v| {
                let r = r.clone();
                thread::spawn(move || r.try_push(v).is_ok())
            })
            .collect();
        let consumer = {
            let r = r.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                while let Some(v) = block_on(r.take()) {
                    got.push(v);
                }
                got
            })
        };
        r.close();
        let pushed: Vec<u32> = producers
            .into_iter()
            .zip([1, 2])
            .filter_map(|(p, v)| p.join().unwrap().then_some(v))
            .collect();
        let mut got = consumer.join().unwrap();
        got.sort_unstable();
        assert_eq!(got, pushed, "each accepted value taken exactly once");
    });
}

/// A producer parked on a full ring and a consumer racing to free the slot (the consumer's
/// stamp store, then its read of the "room waiting" flag, against the producer's flag, fence
/// and second look): the producer always finishes.
#[test]
fn parked_producer_is_woken_by_a_take_in_flight() {
    loom::model(|| {
        let r = ring::<1>();
        r.try_push(1).unwrap();
        let producer = {
            let r = r.clone();
            thread::spawn(move || block_on(r.push(2)).unwrap())
        };
        assert_eq!(r.try_take(), Ok(1));
        producer.join().unwrap();
        assert_eq!(r.try_take(), Ok(2));
    });
}

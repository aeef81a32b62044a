//! `LockingRing` under every interleaving (bounded): push/pop racing for room and data, close
//! racing waiters, and a woken-then-dropped pop handing its wake-up on.
//!
//! Every model runs twice, once per publication (`LockingRingBase::take_look` in the crate):
//! `claim_ordered::*` with the std lock (`THREADS_ONLY`: release stamps, a waiter that meets a
//! value in flight waits for it) and `stamp_ordered::*` with a lock that says interrupt
//! handlers may share it (`SeqCst` stamps, a waiter parks on a value in flight).

use std::future::Future;
use std::task::{Context, Poll, Waker};

use lindy::ring::LockingRing;
use lindy::sync::{RawMutex, StdRawMutex};
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;

type Shared<const N: usize, R> = Arc<LockingRing<u32, N, R>>;

fn ring<const N: usize, R: RawMutex>() -> Shared<N, R> {
    Arc::new(LockingRing::new())
}

/// The lock seam's loom mutex, declared shareable with interrupt handlers: the ring picks the
/// stamp-ordered publication, as with a critical section on a microcontroller (a real critical
/// section cannot run under loom: loom's threads share one OS thread).
struct InterruptShared(StdRawMutex);

// Safety: `lock` is the loom mutex's.
unsafe impl RawMutex for InterruptShared {
    const INIT: Self = InterruptShared(StdRawMutex::INIT);
    const THREADS_ONLY: bool = false;
    fn lock<U>(&self, f: impl FnOnce() -> U) -> U {
        self.0.lock(f)
    }
}

/// Each model once per publication.
macro_rules! both_publications {
    ($($model:ident),* $(,)?) => {
        mod claim_ordered {
            $(#[test]
            fn $model() {
                super::$model::<lindy::sync::StdRawMutex>();
            })*
        }
        mod stamp_ordered {
            $(#[test]
            fn $model() {
                super::$model::<super::InterruptShared>();
            })*
        }
    };
}

both_publications!(
    push_and_pop_wait_for_each_other,
    close_wakes_waiting_producer_and_consumer,
    woken_then_dropped_pop_hands_the_wake_up_on,
    woken_then_dropped_push_hands_the_room_on,
    two_parked_consumers_each_get_one_value,
    two_producers_share_one_slot,
    close_racing_a_push_strands_nothing,
    two_producers_close_and_a_parked_consumer_lose_nothing,
    parked_producer_is_woken_by_a_take_in_flight,
    parked_consumer_waits_out_a_push_in_flight,
);

/// A producer that must wait for room (capacity 1) and a consumer that must wait for data:
/// both finish, values arrive in order.
fn push_and_pop_wait_for_each_other<R: RawMutex + Send + Sync + 'static>() {
    loom::model(|| {
        let r = ring::<1, R>();
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
fn close_wakes_waiting_producer_and_consumer<R: RawMutex + Send + Sync + 'static>() {
    loom::model(|| {
        let full = ring::<1, R>();
        full.try_push(0).unwrap();
        let empty = ring::<1, R>();
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
fn woken_then_dropped_pop_hands_the_wake_up_on<R: RawMutex + Send + Sync + 'static>() {
    loom::model(|| {
        let r = ring::<2, R>();
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
fn woken_then_dropped_push_hands_the_room_on<R: RawMutex + Send + Sync + 'static>() {
    loom::model(|| {
        let r = ring::<1, R>();
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
fn two_parked_consumers_each_get_one_value<R: RawMutex + Send + Sync + 'static>() {
    loom::model(|| {
        let r = ring::<2, R>();
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
fn two_producers_share_one_slot<R: RawMutex + Send + Sync + 'static>() {
    loom::model(|| {
        let r = ring::<1, R>();
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
fn close_racing_a_push_strands_nothing<R: RawMutex + Send + Sync + 'static>() {
    loom::model(|| {
        let r = ring::<1, R>();
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
fn two_producers_close_and_a_parked_consumer_lose_nothing<R: RawMutex + Send + Sync + 'static>() {
    loom::model(|| {
        let r = ring::<2, R>();
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
fn parked_producer_is_woken_by_a_take_in_flight<R: RawMutex + Send + Sync + 'static>() {
    loom::model(|| {
        let r = ring::<1, R>();
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

/// One push racing one consumer that parks, on a ring of one slot: the consumer's second look
/// can meet the push in flight (claimed, stamp not yet stored). Claim-ordered, the push may
/// have read the flag before the consumer raised it, so the consumer must wait for the stamp
/// rather than park (parking there deadlocks this model); stamp-ordered, it may park.
fn parked_consumer_waits_out_a_push_in_flight<R: RawMutex + Send + Sync + 'static>() {
    loom::model(|| {
        let r = ring::<1, R>();
        let consumer = {
            let r = r.clone();
            thread::spawn(move || block_on(r.take()))
        };
        r.try_push(9).unwrap();
        assert_eq!(consumer.join().unwrap(), Some(9));
        assert_eq!(r.try_take(), Err(lindy::ring::TryTakeError::Empty));
    });
}

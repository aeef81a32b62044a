//! `ShardedSpace` (issue 18): the same answers as one `LocalSpace` for every per-key and
//! whole-space operation (a differential property test), takers of each key served strictly by
//! arrival with keys spread over shards (512 cases, as the `LocalSpace` fairness test), and
//! threads on many keys losing and duplicating nothing.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use lindy::queue::{Config, LeaseId};
use lindy::space::{LocalSpace, ShardedSpace, Take};
use lindy::sync::DefaultRawMutex;
use proptest::prelude::*;

/// Four shards, so that six keys share some shards and not others.
type Sharded<V> = ShardedSpace<V, DefaultRawMutex, 4>;

const KEYS: [&str; 6] = ["a", "b", "c", "jobs", "mail", "public:app.x"];

#[test]
fn the_test_keys_spread_over_several_shards() {
    let space = Sharded::<u8>::new();
    let mut shards: Vec<usize> = KEYS.iter().map(|k| space.shard_of(k)).collect();
    shards.sort();
    shards.dedup();
    assert!(shards.len() >= 3, "keys in shards {shards:?}");
}

#[derive(Clone, Debug)]
enum Op {
    Push(usize, u8),
    PushFront(usize, u8),
    TryTake(usize),
    TryPeek(usize),
    Len(usize),
    TotalLen,
    Keys,
    Lease(usize, u64),
    Ack(usize),
    Nack(usize),
    Extend(usize, u64),
    Advance(u64),
    Close,
    Shrink,
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    prop_oneof![
        6 => (key.clone(), any::<u8>()).prop_map(|(k, v)| Op::Push(k, v)),
        1 => (key.clone(), any::<u8>()).prop_map(|(k, v)| Op::PushFront(k, v)),
        5 => key.clone().prop_map(Op::TryTake),
        1 => key.clone().prop_map(Op::TryPeek),
        1 => key.clone().prop_map(Op::Len),
        1 => Just(Op::TotalLen),
        1 => Just(Op::Keys),
        2 => (key, 1..50u64).prop_map(|(k, ms)| Op::Lease(k, ms)),
        1 => any::<usize>().prop_map(Op::Ack),
        1 => any::<usize>().prop_map(Op::Nack),
        1 => (any::<usize>(), 1..50u64).prop_map(|(i, ms)| Op::Extend(i, ms)),
        1 => (0..30u64).prop_map(Op::Advance),
        1 => Just(Op::Close),
        1 => Just(Op::Shrink),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Every operation answers as on one `LocalSpace` with the same (per-key) config.
    #[test]
    fn a_sharded_space_answers_like_one_local_space(
        ops in proptest::collection::vec(op(), 1..150),
        key_bound in proptest::option::of(1..4usize),
    ) {
        let config = || key_bound.map_or(Config::new(), |n| Config::new().key_max_entries(n));
        let sharded = Sharded::<u8>::with_config(config()).unwrap();
        let local = LocalSpace::<u8>::with_config(config()).unwrap();
        // Leases issued so far: (sharded id, local id).
        let mut leases: Vec<(LeaseId, LeaseId)> = Vec::new();
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::Push(k, v) => {
                    let (s, l) = (sharded.try_push(KEYS[k], v), local.try_push(KEYS[k], v));
                    prop_assert_eq!(s.map_err(|e| (e.code(), e.into_inner())), l.map_err(|e| (e.code(), e.into_inner())));
                }
                Op::PushFront(k, v) => {
                    let (s, l) = (sharded.push_front(KEYS[k], v), local.push_front(KEYS[k], v));
                    prop_assert_eq!(s.map_err(|e| (e.code(), e.into_inner())), l.map_err(|e| (e.code(), e.into_inner())));
                }
                Op::TryTake(k) => prop_assert_eq!(sharded.try_take(KEYS[k]), local.try_take(KEYS[k])),
                Op::TryPeek(k) => prop_assert_eq!(sharded.try_peek(KEYS[k]), local.try_peek(KEYS[k])),
                Op::Len(k) => prop_assert_eq!(sharded.len(KEYS[k]), local.len(KEYS[k])),
                Op::TotalLen => prop_assert_eq!(sharded.total_len(), local.total_len()),
                Op::Keys => {
                    let (mut s, mut l) = (sharded.keys(), local.keys());
                    s.sort();
                    l.sort();
                    prop_assert_eq!(s, l);
                }
                Op::Lease(k, ms) => {
                    let s = sharded.try_take_leased(KEYS[k], Some(ms), now);
                    let l = local.try_take_leased(KEYS[k], Some(ms), now);
                    match (s, l) {
                        (Ok(s), Ok(l)) => {
                            prop_assert_eq!((s.value, s.deliveries, s.deadline), (l.value, l.deliveries, l.deadline));
                            leases.push((s.id, l.id));
                        }
                        (s, l) => prop_assert_eq!(s.map(|_| ()), l.map(|_| ())),
                    }
                }
                Op::Ack(i) if !leases.is_empty() => {
                    let (s, l) = leases[i % leases.len()];
                    prop_assert_eq!(sharded.ack(s), local.ack(l));
                }
                Op::Nack(i) if !leases.is_empty() => {
                    let (s, l) = leases[i % leases.len()];
                    prop_assert_eq!(sharded.nack(s), local.nack(l));
                }
                Op::Extend(i, ms) if !leases.is_empty() => {
                    let (s, l) = leases[i % leases.len()];
                    prop_assert_eq!(sharded.extend(s, Some(ms), now), local.extend(l, Some(ms), now));
                }
                Op::Ack(_) | Op::Nack(_) | Op::Extend(..) => {
                    // No lease yet: an id never issued is lost on both.
                    prop_assert_eq!(sharded.ack(LeaseId::from_u64(7)).is_err(), local.ack(LeaseId::from_u64(7)).is_err());
                }
                Op::Advance(ms) => {
                    now += ms;
                    prop_assert_eq!(sharded.poll_timeout(), local.poll_timeout());
                    prop_assert_eq!(sharded.handle_timeout(now), local.handle_timeout(now));
                    prop_assert_eq!(sharded.leased_len(), local.leased_len());
                }
                Op::Close => {
                    sharded.close();
                    local.close();
                    prop_assert_eq!(sharded.is_closed(), local.is_closed());
                }
                Op::Shrink => {
                    sharded.shrink_to_fit();
                    local.shrink_to_fit();
                }
            }
        }
        prop_assert_eq!(sharded.total_len(), local.total_len());
        prop_assert_eq!(sharded.is_closed(), local.is_closed());
    }
}

#[derive(Clone, Debug)]
enum TakerOp {
    NewTaker(usize),
    Push(usize),
    TryTake(usize),
    Poll(usize),
}

fn taker_op() -> impl Strategy<Value = TakerOp> {
    let key = 0..KEYS.len();
    prop_oneof![
        3 => key.clone().prop_map(TakerOp::NewTaker),
        4 => key.clone().prop_map(TakerOp::Push),
        2 => key.prop_map(TakerOp::TryTake),
        5 => any::<usize>().prop_map(TakerOp::Poll),
    ]
}

/// A taker of the key `KEYS[.0]`, its future, and what it got.
type Taker<'a> = (usize, Pin<Box<Take<'a, u64>>>, Option<u64>);

fn poll_take(t: &mut Pin<Box<Take<'_, u64>>>) -> Poll<u64> {
    t.as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
        .map(|r| r.unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The arrival-order rule of `tests/queue_fairness.rs`, per key, with the keys spread over
    /// shards: the n-th taker of a key to start waiting gets the n-th value pushed to that key
    /// while its takers wait, whatever the order of polls and of the other keys' traffic.
    #[test]
    fn takers_of_each_key_are_served_strictly_by_arrival(
        ops in proptest::collection::vec(taker_op(), 1..150),
    ) {
        let space = ShardedSpace::<u64, DefaultRawMutex, 4>::new();
        // Every taker in arrival order: its key, its future, what it got.
        let mut takers: Vec<Taker<'_>> = Vec::new();
        // The model, per key: what each taker is owed (by taker index), and the queue.
        let mut owed: Vec<Option<u64>> = Vec::new();
        let mut waiting: HashMap<usize, VecDeque<usize>> = HashMap::new();
        let mut queued: HashMap<usize, VecDeque<u64>> = HashMap::new();
        let mut next_value = 0u64;
        for op in ops {
            match op {
                TakerOp::NewTaker(k) => {
                    let mut t = Box::pin(space.take(KEYS[k]));
                    let q = queued.entry(k).or_default();
                    match poll_take(&mut t) {
                        Poll::Ready(v) => {
                            prop_assert_eq!(Some(v), q.pop_front(), "took the head of {}", KEYS[k]);
                            owed.push(Some(v));
                            takers.push((k, t, Some(v)));
                        }
                        Poll::Pending => {
                            prop_assert!(q.is_empty(), "a taker of {} waits next to an entry", KEYS[k]);
                            waiting.entry(k).or_default().push_back(takers.len());
                            owed.push(None);
                            takers.push((k, t, None));
                        }
                    }
                }
                TakerOp::Push(k) => {
                    let v = next_value;
                    next_value += 1;
                    space.try_push(KEYS[k], v).unwrap();
                    match waiting.entry(k).or_default().pop_front() {
                        Some(i) => owed[i] = Some(v),
                        None => queued.entry(k).or_default().push_back(v),
                    }
                }
                TakerOp::TryTake(k) => {
                    let want = queued.entry(k).or_default().pop_front();
                    prop_assert_eq!(space.try_take(KEYS[k]), want, "a probe took what a taker of {} was owed", KEYS[k]);
                }
                TakerOp::Poll(i) if !takers.is_empty() => {
                    let n = takers.len();
                    let (_, t, got) = &mut takers[i % n];
                    if got.is_none() {
                        if let Poll::Ready(v) = poll_take(t) {
                            *got = Some(v);
                        }
                    }
                }
                TakerOp::Poll(_) => {}
            }
        }
        for (i, (k, t, got)) in takers.iter_mut().enumerate() {
            if got.is_none() {
                if let Poll::Ready(v) = poll_take(t) {
                    *got = Some(v);
                }
            }
            prop_assert_eq!(*got, owed[i], "taker {} of {} got another's value", i, KEYS[*k]);
        }
    }
}

/// 8 producers and 8 consumers over 64 keys, blocking takes: every value arrives exactly once,
/// and in order per (key, producer).
#[test]
fn eight_producers_eight_consumers_lose_and_duplicate_nothing() {
    const KEYS: usize = 64;
    const PER_KEY: u64 = 500;
    let space = Arc::new(ShardedSpace::<(usize, u64)>::new());
    let names: Arc<Vec<String>> = Arc::new((0..KEYS).map(|k| format!("k{k}")).collect());
    let producers: Vec<_> = (0..8)
        .map(|p| {
            let (space, names) = (space.clone(), names.clone());
            std::thread::spawn(move || {
                for k in (p..KEYS).step_by(8) {
                    for i in 0..PER_KEY {
                        space.try_push(&names[k], (k, i)).unwrap();
                    }
                }
            })
        })
        .collect();
    let consumers: Vec<_> = (0..8)
        .map(|c| {
            let (space, names) = (space.clone(), names.clone());
            std::thread::spawn(move || {
                let mut got = Vec::new();
                for k in (c..KEYS).step_by(8) {
                    for _ in 0..PER_KEY {
                        got.push(space.take_blocking(&names[k]).unwrap());
                    }
                }
                got
            })
        })
        .collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    let mut seen = vec![0u64; KEYS];
    for c in consumers {
        for (k, i) in c.join().unwrap() {
            assert_eq!(i, seen[k], "key {k} out of order or duplicated");
            seen[k] += 1;
        }
    }
    assert!(seen.iter().all(|&n| n == PER_KEY));
    assert_eq!(space.total_len(), 0);
}

/// `close` is atomic across shards: on one thread, once a push was refused, every later push on
/// any key is refused too, while another thread closes.
#[test]
fn close_is_atomic_across_shards() {
    for _ in 0..200 {
        let space = Arc::new(Sharded::<u32>::new());
        let pusher = {
            let space = space.clone();
            std::thread::spawn(move || {
                let mut refused = false;
                for i in 0..10_000u32 {
                    let key = KEYS[i as usize % KEYS.len()];
                    match space.try_push(key, i) {
                        Ok(()) => assert!(!refused, "push on {key} accepted after a refusal"),
                        Err(e) => {
                            assert_eq!(e.into_inner(), i, "the value is handed back");
                            refused = true;
                        }
                    }
                }
            })
        };
        space.close();
        pusher.join().unwrap();
    }
}

#[test]
fn space_wide_settings_are_refused_with_a_code() {
    for config in [
        Config::<u32>::new().max_entries(4),
        Config::new().max_bytes(4).weigher(|_| 1),
        Config::new().max_deliveries(2),
    ] {
        let e = Sharded::with_config(config).unwrap_err();
        assert_eq!(e.code(), "INVALID_CONFIG");
        assert!(e.reason().contains("sharded space"), "{}", e.reason());
    }
    // Out-of-range settings are refused as everywhere.
    assert_eq!(
        Sharded::<u32>::with_config(Config::new().key_max_entries(0))
            .unwrap_err()
            .reason(),
        "key_max_entries must be at least 1"
    );
}

#[test]
fn lease_ids_name_their_shard_and_foreign_ids_are_lost() {
    let space = Sharded::<u32>::new();
    let mut ids = Vec::new();
    for (i, key) in KEYS.iter().enumerate() {
        space.try_push(key, i as u32).unwrap();
        ids.push(space.try_take_leased(key, Some(100), 0).unwrap().id);
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ids.len(),
        "lease ids collide across shards: {ids:?}"
    );
    assert_eq!(
        space.ack(LeaseId::from_u64(u64::MAX)).unwrap_err().code(),
        "LEASE_LOST"
    );
    for id in ids {
        space.ack(id).unwrap();
        assert_eq!(space.ack(id).unwrap_err().code(), "LEASE_LOST");
    }
    assert_eq!((space.leased_len(), space.poll_timeout()), (0, None));
}

//! The engine against a plain reference model: random outs, put-backs, takes, pattern takes,
//! leased takes, acks, nacks, extends and expiry (with a dead-letter rule), checked op by op —
//! every result, every count, every delivery count. Nothing lost, nothing duplicated.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use lindy::grammar::Pattern;
use lindy::queue::{Config, Engine, LeaseId, TakeLeasedError, TryTakeError};
use proptest::prelude::*;

const KEYS: [&str; 3] = ["public:app.jobs.a", "public:app.jobs.b", "other"];
const DEAD: &str = "public:app.dead.x";
const MAX_DELIVERIES: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct E {
    stamp: u64,
    deliveries: u32,
    value: u64,
}

#[derive(Default)]
struct Model {
    keys: BTreeMap<&'static str, VecDeque<E>>,
    /// lease id → (key, entry, deadline)
    leases: BTreeMap<u64, (&'static str, E, u64)>,
    next_stamp: u64,
    next_lease: u64,
    now: u64,
}

impl Model {
    fn q(&mut self, k: &'static str) -> &mut VecDeque<E> {
        self.keys.entry(k).or_default()
    }
    fn by_age(&mut self, k: &'static str, e: E) {
        let q = self.q(k);
        let at = q.iter().take_while(|x| x.stamp < e.stamp).count();
        q.insert(at, e);
    }
    fn give_back(&mut self, id: u64) {
        let (k, e, _) = self.leases.remove(&id).unwrap();
        if e.deliveries >= MAX_DELIVERIES {
            self.q(DEAD).push_back(e);
        } else {
            self.by_age(k, e);
        }
    }
    fn len(&self, k: &str) -> usize {
        self.keys.get(k).map_or(0, |q| q.len())
    }
}

#[derive(Clone, Debug)]
enum Op {
    Out(usize),
    OutFront(usize),
    TryTake(usize),
    TryTakeMatching,
    TakeLeased(usize, u64),
    Ack(usize),
    Nack(usize),
    Extend(usize, u64),
    Advance(u64),
    AckUnknown,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..KEYS.len()).prop_map(Op::Out),
        1 => (0..KEYS.len()).prop_map(Op::OutFront),
        2 => (0..KEYS.len()).prop_map(Op::TryTake),
        1 => Just(Op::TryTakeMatching),
        4 => (0..KEYS.len(), 1..50u64).prop_map(|(k, ms)| Op::TakeLeased(k, ms)),
        2 => any::<usize>().prop_map(Op::Ack),
        2 => any::<usize>().prop_map(Op::Nack),
        1 => (any::<usize>(), 1..50u64).prop_map(|(i, ms)| Op::Extend(i, ms)),
        2 => (0..40u64).prop_map(Op::Advance),
        1 => Just(Op::AckUnknown),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]
    #[test]
    fn the_engine_matches_the_model(ops in proptest::collection::vec(op(), 1..200)) {
        let mut q: Engine<u64> = Engine::with_config(
            Config::new().max_deliveries(MAX_DELIVERIES).dead_letter_key(DEAD),
        ).unwrap();
        let mut m = Model::default();
        let pattern = Pattern::parse("public:app.**").unwrap();
        let mut next_value = 0u64;
        let mut acked = Vec::new();
        let mut taken = Vec::new();
        for op in ops {
            match op {
                Op::Out(k) => {
                    q.try_push(KEYS[k], next_value).unwrap();
                    let e = E { stamp: m.next_stamp, deliveries: 0, value: next_value };
                    m.next_stamp += 1;
                    m.q(KEYS[k]).push_back(e);
                    next_value += 1;
                }
                Op::OutFront(k) => {
                    q.push_front(KEYS[k], next_value).unwrap();
                    let stamp = match m.q(KEYS[k]).front() {
                        Some(h) => h.stamp,
                        None => { m.next_stamp += 1; m.next_stamp - 1 }
                    };
                    m.q(KEYS[k]).push_front(E { stamp, deliveries: 0, value: next_value });
                    next_value += 1;
                }
                Op::TryTake(k) => {
                    let got = q.try_take(KEYS[k]).ok().map(|t| (t.value, t.stamp.as_u64(), t.deliveries));
                    let want = m.q(KEYS[k]).pop_front().map(|e| (e.value, e.stamp, e.deliveries));
                    prop_assert_eq!(got, want);
                    taken.extend(got.map(|g| g.0));
                }
                Op::TryTakeMatching => {
                    let got = q.try_take_matching(&pattern).ok().map(|(n, t)| (n.into_string(), t.value));
                    let heads: Vec<(&'static str, u64)> = m.keys.iter()
                        .filter(|(k, v)| k.starts_with("public:app.") && !v.is_empty())
                        .map(|(k, v)| (*k, v.front().unwrap().stamp))
                        .collect();
                    match heads.iter().map(|h| h.1).min() {
                        None => prop_assert_eq!(&got, &None),
                        Some(oldest) => {
                            // Equal ages (an out_front takes its head's age) may be served in
                            // either order: the engine's pick must be one of the oldest.
                            let (k, v) = got.clone().unwrap();
                            let key = heads.iter().find(|h| h.0 == k && h.1 == oldest);
                            prop_assert!(key.is_some(), "{} is not among the oldest heads {:?}", k, heads);
                            let want = m.q(key.unwrap().0).pop_front().unwrap().value;
                            prop_assert_eq!(v, want);
                        }
                    }
                    taken.extend(got.map(|g| g.1));
                }
                Op::TakeLeased(k, ms) => {
                    let got = q.try_take_leased(KEYS[k], Some(ms), m.now)
                        .map(|l| (l.id.as_u64(), *l.value, l.deliveries, l.deadline));
                    match m.q(KEYS[k]).pop_front() {
                        Some(mut e) => {
                            e.deliveries += 1;
                            m.next_lease += 1;
                            let id = m.next_lease;
                            m.leases.insert(id, (KEYS[k], e, m.now + ms));
                            prop_assert_eq!(got, Ok((id, e.value, e.deliveries, m.now + ms)));
                        }
                        None => prop_assert_eq!(got, Err(TakeLeasedError::Empty)),
                    }
                }
                Op::Ack(i) | Op::Nack(i) if !m.leases.is_empty() => {
                    let id = *m.leases.keys().nth(i % m.leases.len()).unwrap();
                    if let Op::Ack(_) = op {
                        let v = q.ack(LeaseId::from_u64(id)).unwrap().value;
                        prop_assert_eq!(v, m.leases.remove(&id).unwrap().1.value);
                        acked.push(v);
                    } else {
                        q.nack(LeaseId::from_u64(id)).unwrap();
                        m.give_back(id);
                    }
                }
                Op::Extend(i, ms) if !m.leases.is_empty() => {
                    let id = *m.leases.keys().nth(i % m.leases.len()).unwrap();
                    prop_assert_eq!(q.extend(LeaseId::from_u64(id), Some(ms), m.now), Ok(m.now + ms));
                    m.leases.get_mut(&id).unwrap().2 = m.now + ms;
                }
                Op::Advance(ms) => {
                    m.now += ms;
                    let n = q.handle_timeout(m.now);
                    // Expired leases go back in (deadline, id) order.
                    let due: BTreeSet<(u64, u64)> = m.leases.iter()
                        .filter(|(_, l)| l.2 <= m.now)
                        .map(|(id, l)| (l.2, *id))
                        .collect();
                    prop_assert_eq!(n, due.len());
                    for (_, id) in due {
                        m.give_back(id);
                    }
                }
                Op::AckUnknown => {
                    prop_assert!(q.ack(LeaseId::from_u64(u64::MAX)).is_err());
                }
                _ => {}
            }
            // Counts agree after every step.
            for k in KEYS.iter().chain([&DEAD]) {
                prop_assert_eq!(q.len(k), m.len(k), "len({})", k);
            }
            prop_assert_eq!(q.total_len(), m.keys.values().map(|v| v.len()).sum::<usize>());
            prop_assert_eq!(q.leased_len(), m.leases.len());
            prop_assert_eq!(q.poll_timeout(), m.leases.values().map(|l| l.2).min());
        }
        // Drain: every value exactly once (taken, acked, still queued, or still leased).
        let mut all: Vec<u64> = taken;
        all.extend(acked);
        all.extend(m.leases.values().map(|l| l.1.value));
        for k in KEYS.iter().chain([&DEAD]) {
            loop {
                match q.try_take(k) {
                    Ok(t) => {
                        let want = m.q(k).pop_front().unwrap();
                        prop_assert_eq!((t.value, t.deliveries), (want.value, want.deliveries));
                        all.push(t.value);
                    }
                    Err(TryTakeError::Empty) => break,
                    Err(e) => prop_assert!(false, "{e}"),
                }
            }
        }
        all.sort_unstable();
        prop_assert_eq!(all, (0..next_value).collect::<Vec<_>>());
    }
}

//! Property test: `MemoryRegistry` (lazy expiry heap, slab, tombstones) against a plain model that
//! scans every record, over random operation sequences with a moving clock.

use std::collections::HashMap;
use std::time::Duration;

use lindy::channels::{Channel, Event, EventKind, MemoryRegistry, Registry, State};
use lindy::grammar::Name;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    OpenPublic(u8, u8),
    CreatePrivate(u8, u8),
    Touch(u8),
    Delete(u8),
    SetDelta(u8, bool),
    Advance(u8),
    Sweep,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..12, 0u8..40).prop_map(|(n, t)| Op::OpenPublic(n, t)),
        2 => (0u8..12, 0u8..40).prop_map(|(n, t)| Op::CreatePrivate(n, t)),
        3 => (0u8..12).prop_map(Op::Touch),
        1 => (0u8..12).prop_map(Op::Delete),
        1 => (0u8..12, any::<bool>()).prop_map(|(n, b)| Op::SetDelta(n, b)),
        3 => (0u8..30).prop_map(Op::Advance),
        2 => Just(Op::Sweep),
    ]
}

/// Names 0..6 are public, 6..12 private.
fn name(n: u8) -> Name {
    wide_name(n.into(), 6)
}

/// Names below `publics` are public, the others private.
fn wide_name(n: u16, publics: u16) -> Name {
    if n < publics {
        Name::parse(&format!("public:p.n{n}")).unwrap()
    } else {
        Name::parse(&format!("private:p.q.n{n}")).unwrap()
    }
}

#[derive(Clone, Debug)]
struct Rec {
    state: State,
    ttl: u64,
    created: u64,
    last: u64,
    delta: bool,
}

/// The rules, written the obvious way.
#[derive(Default)]
struct Model {
    recs: HashMap<String, Rec>,
}

type R<T> = Result<T, &'static str>;

impl Model {
    fn open_public(&mut self, n: &Name, ttl: u64, now: u64) -> R<Option<EventKind>> {
        match self.recs.get_mut(n.as_str()) {
            None => {
                self.recs.insert(
                    n.to_string(),
                    Rec {
                        state: State::Open,
                        ttl,
                        created: now,
                        last: now,
                        delta: false,
                    },
                );
                Ok(Some(EventKind::Opened))
            }
            Some(r) => match r.state {
                State::Deleted => Err("CHANNEL_NOT_FOUND"),
                s => {
                    r.state = State::Open;
                    r.ttl = ttl;
                    r.last = r.last.max(now);
                    Ok((s == State::Closed).then_some(EventKind::Opened))
                }
            },
        }
    }

    fn create_private(&mut self, n: &Name, ttl: u64, now: u64) -> R<EventKind> {
        if self.recs.contains_key(n.as_str()) {
            return Err("CHANNEL_EXISTS");
        }
        self.recs.insert(
            n.to_string(),
            Rec {
                state: State::Open,
                ttl,
                created: now,
                last: now,
                delta: false,
            },
        );
        Ok(EventKind::Opened)
    }

    fn touch(&mut self, n: &Name, now: u64) -> R<()> {
        match self.recs.get_mut(n.as_str()) {
            Some(r) if r.state == State::Open => {
                r.last = r.last.max(now);
                Ok(())
            }
            Some(r) if r.state == State::Closed => Err("CHANNEL_CLOSED"),
            _ => Err("CHANNEL_NOT_FOUND"),
        }
    }

    fn delete(&mut self, n: &Name, now: u64) -> R<Option<EventKind>> {
        match self.recs.get_mut(n.as_str()) {
            None => Err("CHANNEL_NOT_FOUND"),
            Some(r) if r.state == State::Deleted => Ok(None),
            Some(r) => {
                r.state = State::Deleted;
                r.delta = false;
                r.last = now;
                Ok(Some(EventKind::Deleted))
            }
        }
    }

    fn set_delta(&mut self, n: &Name, on: bool) -> R<()> {
        match self.recs.get_mut(n.as_str()) {
            Some(r) if r.state != State::Deleted => {
                r.delta = on;
                Ok(())
            }
            _ => Err("CHANNEL_NOT_FOUND"),
        }
    }

    fn sweep(&mut self, now: u64) -> Vec<(EventKind, String)> {
        let mut events = Vec::new();
        let mut gone = Vec::new();
        for (k, r) in self.recs.iter_mut() {
            let due = now.saturating_sub(r.last) >= r.ttl;
            match r.state {
                State::Open if due => {
                    if k.starts_with("public:") {
                        r.state = State::Closed;
                        events.push((EventKind::Closed, k.clone()));
                    } else {
                        gone.push(k.clone());
                        events.push((EventKind::Deleted, k.clone()));
                    }
                }
                State::Deleted if due => gone.push(k.clone()),
                _ => {}
            }
        }
        for k in gone {
            self.recs.remove(&k);
        }
        events.sort();
        events
    }

    fn next_deadline(&self) -> Option<u64> {
        self.recs
            .values()
            .filter(|r| r.state != State::Closed)
            .map(|r| r.last + r.ttl)
            .min()
    }

    fn list(&self) -> Vec<(String, State, u64, u64, u64, bool)> {
        let mut v: Vec<_> = self
            .recs
            .iter()
            .filter(|(_, r)| r.state != State::Deleted)
            .map(|(k, r)| (k.clone(), r.state, r.ttl, r.created, r.last, r.delta))
            .collect();
        v.sort();
        v
    }
}

fn snapshot(list: Vec<Channel>) -> Vec<(String, State, u64, u64, u64, bool)> {
    let mut v: Vec<_> = list
        .into_iter()
        .map(|c| {
            let ttl = c.ttl_ms();
            (
                c.name.to_string(),
                c.state,
                ttl,
                c.created_at,
                c.last_active,
                c.delta,
            )
        })
        .collect();
    v.sort();
    v
}

fn kinds(events: Vec<Event>) -> Vec<(EventKind, String)> {
    let mut v: Vec<_> = events
        .into_iter()
        .map(|e| (e.kind, e.name.to_string()))
        .collect();
    v.sort();
    v
}

fn code<T>(r: Result<T, lindy::channels::ChannelError>) -> R<T> {
    r.map_err(|e| e.code())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn memory_registry_matches_the_full_scan_model(ops in proptest::collection::vec(op(), 1..120)) {
        let mut reg = MemoryRegistry::new();
        let mut model = Model::default();
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::OpenPublic(n, t) if n < 6 => {
                    let got = code(reg.open_public(&name(n), Duration::from_millis(t.into()), now))
                        .map(|(_, e)| e.map(|e| e.kind));
                    prop_assert_eq!(got, model.open_public(&name(n), t.into(), now));
                }
                Op::OpenPublic(..) => {}
                Op::CreatePrivate(n, t) if n >= 6 => {
                    let got = code(reg.create_private(&name(n), Duration::from_millis(t.into()), now))
                        .map(|(_, e)| e.kind);
                    prop_assert_eq!(got, model.create_private(&name(n), t.into(), now));
                }
                Op::CreatePrivate(..) => {}
                Op::Touch(n) => {
                    prop_assert_eq!(code(reg.touch(&name(n), now)), model.touch(&name(n), now));
                }
                Op::Delete(n) => {
                    let got = code(reg.delete(&name(n), now)).map(|e| e.map(|e| e.kind));
                    prop_assert_eq!(got, model.delete(&name(n), now));
                }
                Op::SetDelta(n, b) => {
                    prop_assert_eq!(code(reg.set_delta(&name(n), b)), model.set_delta(&name(n), b));
                }
                Op::Advance(dt) => now += u64::from(dt),
                Op::Sweep => {
                    let events = reg.sweep(now);
                    prop_assert!(events.iter().all(|e| e.at == now));
                    prop_assert_eq!(kinds(events), model.sweep(now));
                }
            }
            prop_assert_eq!(reg.next_deadline(), model.next_deadline());
            let want = model.list();
            prop_assert_eq!(snapshot(reg.list()), want.clone());
            prop_assert_eq!(reg.len(), want.len());
            for n in 0..12 {
                let n = name(n);
                let rec = want.iter().find(|c| c.0 == n.as_str());
                prop_assert_eq!(reg.is_open(&n), rec.is_some_and(|c| c.1 == State::Open));
                prop_assert_eq!(reg.is_delta(&n), rec.is_some_and(|c| c.5));
                prop_assert_eq!(code(reg.get(&n)).is_ok(), rec.is_some());
            }
        }
    }
}

#[derive(Clone, Debug)]
enum WideOp {
    Open(u16, u8),
    Touch(u16),
    Delete(u16),
    Advance(u8),
    Sweep,
}

fn wide_op() -> impl Strategy<Value = WideOp> {
    prop_oneof![
        6 => (0u16..400, 0u8..60).prop_map(|(n, t)| WideOp::Open(n, t)),
        3 => (0u16..400).prop_map(WideOp::Touch),
        1 => (0u16..400).prop_map(WideOp::Delete),
        2 => (0u8..20).prop_map(WideOp::Advance),
        1 => Just(WideOp::Sweep),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Hundreds of channels, so sweeps that expire many take the bulk path (one pass over the
    /// heap) as well as the pop-one-by-one path.
    #[test]
    fn memory_registry_matches_the_model_with_many_channels(
        ops in proptest::collection::vec(wide_op(), 200..1200)
    ) {
        let mut reg = MemoryRegistry::new();
        let mut model = Model::default();
        let mut now = 0u64;
        let n = |i: u16| wide_name(i, 200);
        for op in ops {
            match op {
                WideOp::Open(i, t) if i < 200 => {
                    let got = code(reg.open_public(&n(i), Duration::from_millis(t.into()), now))
                        .map(|(_, e)| e.map(|e| e.kind));
                    prop_assert_eq!(got, model.open_public(&n(i), t.into(), now));
                }
                WideOp::Open(i, t) => {
                    let got = code(reg.create_private(&n(i), Duration::from_millis(t.into()), now))
                        .map(|(_, e)| e.kind);
                    prop_assert_eq!(got, model.create_private(&n(i), t.into(), now));
                }
                WideOp::Touch(i) => {
                    prop_assert_eq!(code(reg.touch(&n(i), now)), model.touch(&n(i), now));
                }
                WideOp::Delete(i) => {
                    let got = code(reg.delete(&n(i), now)).map(|e| e.map(|e| e.kind));
                    prop_assert_eq!(got, model.delete(&n(i), now));
                }
                WideOp::Advance(dt) => now += u64::from(dt),
                WideOp::Sweep => {
                    prop_assert_eq!(reg.next_deadline(), model.next_deadline());
                    prop_assert_eq!(kinds(reg.sweep(now)), model.sweep(now));
                    prop_assert_eq!(snapshot(reg.list()), model.list());
                }
            }
        }
        let end = now + 1_000;
        prop_assert_eq!(kinds(reg.sweep(end)), model.sweep(end));
        prop_assert_eq!(snapshot(reg.list()), model.list());
        prop_assert_eq!(reg.next_deadline(), model.next_deadline());
    }
}

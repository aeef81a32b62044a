//! Channel lifecycle benchmarks: sweep over 100k channels, open_public and touch throughput.
//!
//! `cargo bench --bench channels`. Peer: the seed's design — a map of records and a sweep that
//! scans every one of them — implemented as a `Registry` and run under the same `Manager`, so the
//! only difference is lindy's expiry index.

// `skip`: the shared harness keeps its own formatting.
#[rustfmt::skip]
#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use hashbrown::HashMap;
use lindy::channels::{
    Channel, ChannelError, Event, EventKind, Manager, MemoryRegistry, Registry, State,
};
use lindy::grammar::{Name, Visibility};

#[global_allocator]
static ALLOC: common::CountingAlloc = common::CountingAlloc;

/// The seed's MemoryStore: one map, every sweep scans every record.
#[derive(Default)]
struct NaiveRegistry {
    map: HashMap<String, Channel>,
}

impl NaiveRegistry {
    fn expired(c: &Channel, now: u64) -> bool {
        matches!(c.state, State::Open | State::Deleted)
            && now.saturating_sub(c.last_active) >= c.ttl_ms()
    }
}

impl Registry for NaiveRegistry {
    fn get(&self, name: &Name) -> Result<Channel, ChannelError> {
        match self.map.get(name.as_str()) {
            Some(c) if c.state != State::Deleted => Ok(c.clone()),
            _ => Err(ChannelError::NotFound {
                channel: name.clone(),
            }),
        }
    }
    fn list(&self) -> Vec<Channel> {
        self.map
            .values()
            .filter(|c| c.state != State::Deleted)
            .cloned()
            .collect()
    }
    fn len(&self) -> usize {
        self.map
            .values()
            .filter(|c| c.state != State::Deleted)
            .count()
    }
    fn is_open(&self, name: &Name) -> bool {
        self.map
            .get(name.as_str())
            .is_some_and(|c| c.state == State::Open)
    }
    fn is_delta(&self, name: &Name) -> bool {
        self.map
            .get(name.as_str())
            .is_some_and(|c| c.state != State::Deleted && c.delta)
    }
    fn open_public(
        &mut self,
        name: &Name,
        ttl: Duration,
        now: u64,
    ) -> Result<(Channel, Option<Event>), ChannelError> {
        if let Some(c) = self.map.get_mut(name.as_str()) {
            let ev = match c.state {
                State::Deleted => {
                    return Err(ChannelError::NotFound {
                        channel: name.clone(),
                    })
                }
                State::Open => None,
                State::Closed => Some(Event::new(EventKind::Opened, name.clone(), now)),
            };
            c.state = State::Open;
            c.ttl = ttl;
            c.last_active = c.last_active.max(now);
            return Ok((c.clone(), ev));
        }
        let c = Channel {
            name: name.clone(),
            state: State::Open,
            ttl,
            created_at: now,
            last_active: now,
            delta: false,
        };
        self.map.insert(name.to_string(), c.clone());
        Ok((c, Some(Event::new(EventKind::Opened, name.clone(), now))))
    }
    fn create_private(
        &mut self,
        name: &Name,
        ttl: Duration,
        now: u64,
    ) -> Result<(Channel, Event), ChannelError> {
        if self.map.contains_key(name.as_str()) {
            return Err(ChannelError::Exists {
                channel: name.clone(),
            });
        }
        let c = Channel {
            name: name.clone(),
            state: State::Open,
            ttl,
            created_at: now,
            last_active: now,
            delta: false,
        };
        self.map.insert(name.to_string(), c.clone());
        Ok((c, Event::new(EventKind::Opened, name.clone(), now)))
    }
    fn touch(&mut self, name: &Name, now: u64) -> Result<(), ChannelError> {
        match self.map.get_mut(name.as_str()) {
            Some(c) if c.state == State::Open => {
                c.last_active = c.last_active.max(now);
                Ok(())
            }
            Some(c) if c.state == State::Closed => Err(ChannelError::Closed {
                channel: name.clone(),
            }),
            _ => Err(ChannelError::NotFound {
                channel: name.clone(),
            }),
        }
    }
    fn delete(&mut self, name: &Name, now: u64) -> Result<Option<Event>, ChannelError> {
        match self.map.get_mut(name.as_str()) {
            None => Err(ChannelError::NotFound {
                channel: name.clone(),
            }),
            Some(c) if c.state == State::Deleted => Ok(None),
            Some(c) => {
                c.state = State::Deleted;
                c.last_active = now;
                Ok(Some(Event::new(EventKind::Deleted, name.clone(), now)))
            }
        }
    }
    fn set_delta(&mut self, name: &Name, enabled: bool) -> Result<(), ChannelError> {
        match self.map.get_mut(name.as_str()) {
            Some(c) if c.state != State::Deleted => {
                c.delta = enabled;
                Ok(())
            }
            _ => Err(ChannelError::NotFound {
                channel: name.clone(),
            }),
        }
    }
    fn sweep(&mut self, now: u64) -> Vec<Event> {
        let mut events = Vec::new();
        self.map.retain(|_, c| {
            if !Self::expired(c, now) {
                return true;
            }
            match (c.state, c.name.visibility()) {
                (State::Open, Visibility::Public) => {
                    c.state = State::Closed;
                    events.push(Event::new(EventKind::Closed, c.name.clone(), now));
                    true
                }
                (State::Open, Visibility::Private) => {
                    events.push(Event::new(EventKind::Deleted, c.name.clone(), now));
                    false
                }
                _ => false,
            }
        });
        events
    }
    fn next_deadline(&mut self) -> Option<u64> {
        self.map
            .values()
            .filter(|c| c.state != State::Closed)
            .filter_map(|c| c.last_active.checked_add(c.ttl_ms()))
            .min()
    }
}

const ROUNDS: usize = 11;

/// A registry behind a box, so one timing function serves both implementations.
trait BenchRegistry: Registry + Send {}
impl<T: Registry + Send> BenchRegistry for T {}

struct Dyn(Box<dyn BenchRegistry>);

impl Registry for Dyn {
    fn get(&self, name: &Name) -> Result<Channel, ChannelError> {
        self.0.get(name)
    }
    fn list(&self) -> Vec<Channel> {
        self.0.list()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn is_open(&self, name: &Name) -> bool {
        self.0.is_open(name)
    }
    fn is_delta(&self, name: &Name) -> bool {
        self.0.is_delta(name)
    }
    fn open_public(
        &mut self,
        name: &Name,
        ttl: Duration,
        now: u64,
    ) -> Result<(Channel, Option<Event>), ChannelError> {
        self.0.open_public(name, ttl, now)
    }
    fn create_private(
        &mut self,
        name: &Name,
        ttl: Duration,
        now: u64,
    ) -> Result<(Channel, Event), ChannelError> {
        self.0.create_private(name, ttl, now)
    }
    fn touch(&mut self, name: &Name, now: u64) -> Result<(), ChannelError> {
        self.0.touch(name, now)
    }
    fn delete(&mut self, name: &Name, now: u64) -> Result<Option<Event>, ChannelError> {
        self.0.delete(name, now)
    }
    fn set_delta(&mut self, name: &Name, enabled: bool) -> Result<(), ChannelError> {
        self.0.set_delta(name, enabled)
    }
    fn sweep(&mut self, now: u64) -> Vec<Event> {
        self.0.sweep(now)
    }
    fn next_deadline(&mut self) -> Option<u64> {
        self.0.next_deadline()
    }
}

fn quick() -> bool {
    std::env::var_os("LINDY_BENCH_QUICK").is_some()
}

fn names(n: usize, vis: Visibility) -> Vec<Name> {
    (0..n)
        .map(|i| match vis {
            Visibility::Public => Name::parse(&format!("public:bench.room.c{i}")).unwrap(),
            Visibility::Private => Name::parse(&format!("private:bench.dm.c{i}")).unwrap(),
        })
        .collect()
}

/// Builds a manager with `names` open at t=0: the first `due` with a 1 s TTL, the rest 1 h.
/// Then times one sweep at t=1 s. Returns the median sweep time over `ROUNDS` fresh managers
/// and the transitions of one sweep.
fn time_sweep(
    make: fn() -> Box<dyn BenchRegistry>,
    names: &[Name],
    due: usize,
    subscriber: bool,
) -> (Duration, Duration, usize) {
    let mut times = Vec::new();
    let mut transitions = 0;
    for _ in 0..ROUNDS {
        let m = Manager::<Dyn>::with_registry(Dyn(make()), || 0);
        let sub = subscriber.then(|| m.subscribe(names.len()));
        for (i, n) in names.iter().enumerate() {
            let ttl = if i < due {
                Duration::from_secs(1)
            } else {
                Duration::from_secs(3600)
            };
            match n.visibility() {
                Visibility::Public => drop(m.open_public(n, Some(ttl)).unwrap()),
                Visibility::Private => drop(m.create_private(n, Some(ttl)).unwrap()),
            }
        }
        // Drain creation events so the subscriber has room for the sweep's.
        if let Some(mut s) = sub {
            while s.try_recv().is_ok() {}
            let t = Instant::now();
            transitions = black_box(m.handle_timeout(1_000));
            times.push(t.elapsed());
            drop(s);
        } else {
            let t = Instant::now();
            transitions = black_box(m.handle_timeout(1_000));
            times.push(t.elapsed());
        }
        drop(m);
    }
    times.sort();
    (times[times.len() / 2], times[0], transitions)
}

fn main() {
    let n = if quick() { 1_000 } else { 100_000 };
    let public = names(n, Visibility::Public);
    let private = names(n, Visibility::Private);

    // ---- sweep ---------------------------------------------------------------------------
    let mut sweep = common::Table::new(
        &format!(
            "sweep over {}k channels (one sweep at a time; ns per channel in the registry)",
            n / 1000
        ),
        "channel",
    );
    let mut summary = Vec::new();
    let lindy = || Box::new(MemoryRegistry::new()) as Box<dyn BenchRegistry>;
    let naive = || Box::new(NaiveRegistry::default()) as Box<dyn BenchRegistry>;
    type Make = fn() -> Box<dyn BenchRegistry>;
    #[rustfmt::skip]
    let cases: [(&str, Make, &[Name], usize, bool); 9] = [
        ("lindy MemoryRegistry — all public expire", lindy, &public, n, false),
        ("naive full scan (seed) — all public expire", naive, &public, n, false),
        ("lindy MemoryRegistry — all private expire (removed)", lindy, &private, n, false),
        ("naive full scan (seed) — all private expire (removed)", naive, &private, n, false),
        ("lindy MemoryRegistry — all public expire, 1 subscriber", lindy, &public, n, true),
        ("lindy MemoryRegistry — 1% expire", lindy, &public, n / 100, false),
        ("naive full scan (seed) — 1% expire", naive, &public, n / 100, false),
        ("lindy MemoryRegistry — none due", lindy, &public, 0, false),
        ("naive full scan (seed) — none due", naive, &public, 0, false),
    ];
    for (label, make, names, due, subscriber) in cases {
        let (median, best, transitions) = time_sweep(make, names, due, subscriber);
        sweep.record(label, median.as_nanos() as f64 / n as f64);
        summary.push(format!(
            "{label}: {:.2} ms per sweep (median of {ROUNDS}; best {:.2} ms), {transitions} transitions",
            median.as_secs_f64() * 1e3,
            best.as_secs_f64() * 1e3
        ));
    }
    sweep.print();
    println!();
    for line in &summary {
        println!("- {line}");
    }

    // ---- open_public / touch ------------------------------------------------------------
    let mut ops = common::Table::new(
        &format!(
            "open_public and touch over {}k channels (through the Manager, one thread)",
            n / 1000
        ),
        "op",
    );
    let lindy_m = Manager::with_registry(MemoryRegistry::new(), || 0);
    let naive_m = Manager::<NaiveRegistry>::with_registry(NaiveRegistry::default(), || 0);
    for m in [&lindy_m as &dyn Ops, &naive_m] {
        for nm in &public {
            m.open(nm);
        }
    }
    let mut i = 0usize;
    let mut next = || {
        i = (i + 1) % public.len();
        &public[i]
    };
    ops.case("lindy: touch", 2_000_000, |k| {
        (0..k).for_each(|_| lindy_m.touch(next()).unwrap())
    });
    ops.case("naive: touch", 2_000_000, |k| {
        (0..k).for_each(|_| naive_m.touch(next()).unwrap())
    });
    ops.case(
        "lindy: open_public (refresh an open channel)",
        2_000_000,
        |k| (0..k).for_each(|_| drop(black_box(lindy_m.open_public(next(), None).unwrap()))),
    );
    ops.case(
        "naive: open_public (refresh an open channel)",
        2_000_000,
        |k| (0..k).for_each(|_| drop(black_box(naive_m.open_public(next(), None).unwrap()))),
    );
    // Creating: a fresh manager per round, timed over the opens only.
    for (label, lindy_side) in [
        ("lindy: open_public (create)", true),
        ("naive: open_public (create)", false),
    ] {
        let mut times = Vec::new();
        for _ in 0..ROUNDS {
            let m: Box<dyn Ops> = if lindy_side {
                Box::new(Manager::with_registry(MemoryRegistry::new(), || 0))
            } else {
                Box::new(Manager::<NaiveRegistry>::with_registry(
                    NaiveRegistry::default(),
                    || 0,
                ))
            };
            let t = Instant::now();
            for nm in &public {
                m.open(nm);
            }
            times.push(t.elapsed());
        }
        times.sort();
        ops.record(label, times[ROUNDS / 2].as_nanos() as f64 / n as f64);
    }
    ops.print();
}

/// Object-safe view of a manager for the create loop.
trait Ops {
    fn open(&self, n: &Name);
}

impl<G: Registry> Ops for Manager<G> {
    fn open(&self, n: &Name) {
        drop(black_box(self.open_public(n, None).unwrap()));
    }
}

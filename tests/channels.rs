//! Channel lifecycle rules, each positive and negative, with an injected clock (no sleeping).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lindy::channels::{
    Channel, ChannelError, Event, EventKind, Manager, MemoryRegistry, Registry, State,
    Subscription, DEFAULT_PRIVATE_TTL, DEFAULT_PUBLIC_TTL, MAX_PRIVATE_TTL,
};
use lindy::grammar::{Name, Pattern, Visibility};

const MIN: u64 = 60_000;

/// A manager on a clock the test moves by hand, and a subscriber that sees everything.
struct Fixture {
    clock: Arc<AtomicU64>,
    manager: Manager,
    events: Subscription,
}

impl Fixture {
    fn new() -> Self {
        let clock = Arc::new(AtomicU64::new(1_000));
        let manager = Manager::with_clock({
            let clock = clock.clone();
            move || clock.load(Ordering::SeqCst)
        });
        let events = manager.subscribe(4096);
        Fixture {
            clock,
            manager,
            events,
        }
    }

    fn set(&self, t: u64) {
        self.clock.store(t, Ordering::SeqCst);
    }

    fn now(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// Every event emitted since the last call: (kind, name, at).
    fn drain(&mut self) -> Vec<(EventKind, String, u64)> {
        std::iter::from_fn(|| self.events.try_recv().ok())
            .map(|e| (e.kind, e.name.to_string(), e.at))
            .collect()
    }
}

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

// ---------------------------------------------------------------------------------------------
// TTL defaults and limits

#[test]
fn public_ttl_defaults_to_thirty_minutes() {
    let f = Fixture::new();
    let c = f.manager.open_public(&name("public:a.b"), None).unwrap();
    assert_eq!(c.ttl, DEFAULT_PUBLIC_TTL);
    assert_eq!(DEFAULT_PUBLIC_TTL, Duration::from_secs(30 * 60));
    assert_eq!(c.state, State::Open);
    assert_eq!((c.created_at, c.last_active), (1_000, 1_000));
    assert_eq!(f.manager.poll_timeout(), Some(1_000 + 30 * MIN));
}

#[test]
fn public_ttl_can_be_chosen_and_has_no_maximum() {
    let f = Fixture::new();
    let day = Duration::from_secs(24 * 3600);
    let c = f
        .manager
        .open_public(&name("public:a.b"), Some(day))
        .unwrap();
    assert_eq!(c.ttl, day);
}

#[test]
fn private_ttl_defaults_to_fifteen_minutes() {
    let f = Fixture::new();
    let c = f
        .manager
        .create_private(&name("private:a.b.c"), None)
        .unwrap();
    assert_eq!(c.ttl, DEFAULT_PRIVATE_TTL);
    assert_eq!(DEFAULT_PRIVATE_TTL, Duration::from_secs(15 * 60));
}

#[test]
fn private_ttl_maximum_is_one_hour_inclusive() {
    let f = Fixture::new();
    assert_eq!(MAX_PRIVATE_TTL, Duration::from_secs(3600));
    let c = f
        .manager
        .create_private(&name("private:a.b.at-max"), Some(MAX_PRIVATE_TTL))
        .unwrap();
    assert_eq!(c.ttl, MAX_PRIVATE_TTL);

    let over = MAX_PRIVATE_TTL + Duration::from_nanos(1);
    let n = name("private:a.b.over");
    let err = f.manager.create_private(&n, Some(over)).unwrap_err();
    assert_eq!(err.code(), "CHANNEL_TTL_EXCEEDS_MAX");
    assert_eq!(
        err,
        ChannelError::TtlExceedsMax {
            channel: n.clone(),
            ttl: over,
            max: MAX_PRIVATE_TTL
        }
    );
    assert!(err.to_string().contains("private:a.b.over"), "{err}");
    assert!(f.manager.get(&n).is_err(), "nothing was created");
}

#[test]
fn sub_millisecond_ttls_round_up() {
    let f = Fixture::new();
    let c = f
        .manager
        .open_public(&name("public:a.b"), Some(Duration::from_micros(1)))
        .unwrap();
    assert_eq!(c.ttl_ms(), 1);
    assert_eq!(f.manager.handle_timeout(1_000), 0);
    assert_eq!(f.manager.handle_timeout(1_001), 1);
}

#[test]
fn zero_ttl_expires_at_the_next_sweep() {
    let f = Fixture::new();
    f.manager
        .open_public(&name("public:a.b"), Some(Duration::ZERO))
        .unwrap();
    assert_eq!(f.manager.poll_timeout(), Some(1_000));
    assert_eq!(f.manager.handle_timeout(1_000), 1);
}

// ---------------------------------------------------------------------------------------------
// Visibility

#[test]
fn open_public_with_a_private_name_is_invalid() {
    let f = Fixture::new();
    let n = name("private:a.b.c");
    let err = f.manager.open_public(&n, None).unwrap_err();
    assert_eq!(err.code(), "CHANNEL_INVALID");
    assert_eq!(
        err,
        ChannelError::WrongVisibility {
            channel: n.clone(),
            expected: Visibility::Public
        }
    );
    assert_eq!(
        err.to_string(),
        "channel `private:a.b.c` is private, but this call needs a public channel"
    );
    assert_eq!(err.channel(), Some(&n));
    assert!(f.manager.is_empty());
}

#[test]
fn create_private_with_a_public_name_is_invalid() {
    let f = Fixture::new();
    let n = name("public:a.b.c");
    let err = f.manager.create_private(&n, None).unwrap_err();
    assert_eq!(err.code(), "CHANNEL_INVALID");
    assert!(matches!(
        err,
        ChannelError::WrongVisibility {
            expected: Visibility::Private,
            ..
        }
    ));
    assert!(f.manager.is_empty());
}

#[test]
fn grammar_errors_convert_with_the_invalid_code() {
    fn open(m: &Manager, s: &str) -> Result<Channel, ChannelError> {
        m.open_public(&Name::parse(s)?, None)
    }
    let f = Fixture::new();
    let err = open(&f.manager, "public:a").unwrap_err();
    assert_eq!(err.code(), "CHANNEL_INVALID");
    assert!(err.channel().is_none());
    assert!(std::error::Error::source(&err).is_some());
    assert!(open(&f.manager, "public:a.b").is_ok());
}

// ---------------------------------------------------------------------------------------------
// open_public

#[test]
fn open_public_creates_and_emits_opened() {
    let mut f = Fixture::new();
    f.manager.open_public(&name("public:a.b"), None).unwrap();
    assert_eq!(f.drain(), [(EventKind::Opened, "public:a.b".into(), 1_000)]);
    assert!(f.manager.is_open(&name("public:a.b")));
}

#[test]
fn open_public_on_an_open_channel_refreshes_silently() {
    let mut f = Fixture::new();
    let n = name("public:a.b");
    f.manager
        .open_public(&n, Some(Duration::from_secs(60)))
        .unwrap();
    f.drain();
    f.set(50_000);
    let c = f
        .manager
        .open_public(&n, Some(Duration::from_secs(120)))
        .unwrap();
    assert_eq!(c.ttl, Duration::from_secs(120));
    assert_eq!(c.last_active, 50_000);
    assert_eq!(c.created_at, 1_000, "creation time is kept");
    assert!(f.drain().is_empty(), "a refresh emits nothing");
    // The old deadline (61 s) no longer applies; the new one (170 s) does.
    assert_eq!(f.manager.handle_timeout(61_000), 0);
    assert_eq!(f.manager.poll_timeout(), Some(170_000));
    assert_eq!(f.manager.handle_timeout(170_000), 1);
}

#[test]
fn open_public_refresh_with_a_shorter_ttl_expires_earlier() {
    let f = Fixture::new();
    let n = name("public:a.b");
    f.manager.open_public(&n, None).unwrap();
    f.manager
        .open_public(&n, Some(Duration::from_secs(1)))
        .unwrap();
    assert_eq!(f.manager.poll_timeout(), Some(2_000));
    assert_eq!(f.manager.handle_timeout(2_000), 1);
}

#[test]
fn open_public_reopens_a_closed_channel() {
    let mut f = Fixture::new();
    let n = name("public:a.b");
    f.manager
        .open_public(&n, Some(Duration::from_secs(1)))
        .unwrap();
    f.manager.set_delta(&n, true).unwrap();
    assert_eq!(f.manager.handle_timeout(2_000), 1);
    assert!(!f.manager.is_open(&n));
    f.drain();

    f.set(5_000);
    let c = f
        .manager
        .open_public(&n, Some(Duration::from_secs(3)))
        .unwrap();
    assert_eq!(c.state, State::Open);
    assert_eq!((c.created_at, c.last_active), (1_000, 5_000));
    assert!(c.delta, "the delta flag survives close and re-open");
    assert_eq!(f.drain(), [(EventKind::Opened, "public:a.b".into(), 5_000)]);
    assert_eq!(f.manager.poll_timeout(), Some(8_000));
}

#[test]
fn open_public_on_a_deleted_channel_is_not_found() {
    let mut f = Fixture::new();
    let n = name("public:a.b");
    f.manager.open_public(&n, None).unwrap();
    f.manager.delete(&n).unwrap();
    f.drain();
    let err = f.manager.open_public(&n, None).unwrap_err();
    assert_eq!(err.code(), "CHANNEL_NOT_FOUND");
    assert_eq!(err.to_string(), "channel `public:a.b` not found");
    assert!(f.drain().is_empty());
}

// ---------------------------------------------------------------------------------------------
// create_private

#[test]
fn create_private_creates_and_emits_opened() {
    let mut f = Fixture::new();
    let n = name("private:a.b.c");
    let c = f.manager.create_private(&n, None).unwrap();
    assert_eq!((c.state, c.delta), (State::Open, false));
    assert_eq!(f.drain(), [(EventKind::Opened, n.to_string(), 1_000)]);
    assert!(f.manager.is_open(&n));
}

#[test]
fn create_private_on_any_existing_record_is_exists() {
    let mut f = Fixture::new();
    let n = name("private:a.b.c");
    f.manager.create_private(&n, None).unwrap();
    let err = f.manager.create_private(&n, None).unwrap_err();
    assert_eq!(err.code(), "CHANNEL_EXISTS");
    assert_eq!(err.to_string(), "channel `private:a.b.c` already exists");
    // A tombstone is a record too.
    f.manager.delete(&n).unwrap();
    f.drain();
    let err = f.manager.create_private(&n, None).unwrap_err();
    assert_eq!(err.code(), "CHANNEL_EXISTS");
    assert!(f.drain().is_empty());
}

#[test]
fn an_expired_private_name_is_free_again() {
    let f = Fixture::new();
    let n = name("private:a.b.c");
    f.manager
        .create_private(&n, Some(Duration::from_secs(1)))
        .unwrap();
    assert_eq!(f.manager.handle_timeout(2_000), 1);
    assert!(f.manager.create_private(&n, None).is_ok());
}

// ---------------------------------------------------------------------------------------------
// touch

#[test]
fn touch_refreshes_last_active_and_postpones_expiry() {
    let mut f = Fixture::new();
    let n = name("public:a.b");
    f.manager
        .open_public(&n, Some(Duration::from_secs(10)))
        .unwrap();
    f.set(9_000);
    f.manager.touch(&n).unwrap();
    assert_eq!(f.manager.get(&n).unwrap().last_active, 9_000);
    assert_eq!(
        f.manager.handle_timeout(11_000),
        0,
        "touched: not idle for a whole TTL"
    );
    assert_eq!(f.manager.poll_timeout(), Some(19_000));
    assert_eq!(f.manager.handle_timeout(19_000), 1);
    let kinds: Vec<_> = f.drain().into_iter().map(|e| e.0).collect();
    assert_eq!(
        kinds,
        [EventKind::Opened, EventKind::Closed],
        "touch emits nothing"
    );
}

#[test]
fn touch_unknown_or_deleted_is_not_found() {
    let f = Fixture::new();
    let n = name("public:a.b");
    assert_eq!(f.manager.touch(&n).unwrap_err().code(), "CHANNEL_NOT_FOUND");
    f.manager.open_public(&n, None).unwrap();
    f.manager.delete(&n).unwrap();
    assert_eq!(f.manager.touch(&n).unwrap_err().code(), "CHANNEL_NOT_FOUND");
}

#[test]
fn touch_closed_is_closed() {
    let f = Fixture::new();
    let n = name("public:a.b");
    f.manager
        .open_public(&n, Some(Duration::from_secs(1)))
        .unwrap();
    f.manager.handle_timeout(2_000);
    let err = f.manager.touch(&n).unwrap_err();
    assert_eq!(err.code(), "CHANNEL_CLOSED");
    assert_eq!(
        err.to_string(),
        "channel `public:a.b` is closed (re-open it first)"
    );
    assert_eq!(f.manager.get(&n).unwrap().last_active, 1_000, "untouched");
}

#[test]
fn a_clock_that_steps_back_never_makes_a_channel_older() {
    let f = Fixture::new();
    let n = name("public:a.b");
    f.set(10_000);
    f.manager
        .open_public(&n, Some(Duration::from_secs(1)))
        .unwrap();
    f.set(5_000);
    f.manager.touch(&n).unwrap();
    assert_eq!(f.manager.get(&n).unwrap().last_active, 10_000);
    assert_eq!(
        f.manager.handle_timeout(6_000),
        0,
        "now < last_active expires nothing"
    );
    assert_eq!(f.manager.handle_timeout(11_000), 1);
}

// ---------------------------------------------------------------------------------------------
// delete

#[test]
fn delete_unknown_is_not_found() {
    let f = Fixture::new();
    let err = f.manager.delete(&name("public:a.b")).unwrap_err();
    assert_eq!(err.code(), "CHANNEL_NOT_FOUND");
}

#[test]
fn delete_emits_deleted_once_and_is_idempotent() {
    let mut f = Fixture::new();
    let n = name("private:a.b.c");
    f.manager.create_private(&n, None).unwrap();
    f.set(2_000);
    f.manager.delete(&n).unwrap();
    f.manager.delete(&n).unwrap();
    assert_eq!(
        f.drain(),
        [
            (EventKind::Opened, n.to_string(), 1_000),
            (EventKind::Deleted, n.to_string(), 2_000)
        ]
    );
    assert!(!f.manager.is_open(&n));
}

#[test]
fn delete_a_closed_public_channel() {
    let mut f = Fixture::new();
    let n = name("public:a.b");
    f.manager
        .open_public(&n, Some(Duration::from_secs(1)))
        .unwrap();
    f.manager.handle_timeout(2_000);
    f.manager.delete(&n).unwrap();
    let kinds: Vec<_> = f.drain().into_iter().map(|e| e.0).collect();
    assert_eq!(
        kinds,
        [EventKind::Opened, EventKind::Closed, EventKind::Deleted]
    );
}

#[test]
fn tombstones_are_reaped_one_ttl_after_deletion_silently() {
    let mut f = Fixture::new();
    let n = name("public:a.b");
    f.manager
        .open_public(&n, Some(Duration::from_secs(10)))
        .unwrap();
    f.set(4_000);
    f.manager.delete(&n).unwrap();
    f.drain();
    // The tombstone outlives the channel's own expiry time (11 s): it counts from deletion.
    assert_eq!(f.manager.poll_timeout(), Some(14_000));
    assert_eq!(f.manager.handle_timeout(13_999), 0);
    assert_eq!(
        f.manager.open_public(&n, None).unwrap_err().code(),
        "CHANNEL_NOT_FOUND"
    );
    assert_eq!(
        f.manager.handle_timeout(14_000),
        0,
        "reaping is not a transition"
    );
    assert!(f.drain().is_empty(), "and emits nothing");
    assert_eq!(f.manager.poll_timeout(), None);
    // The name is free again.
    assert_eq!(
        f.manager.delete(&n).unwrap_err().code(),
        "CHANNEL_NOT_FOUND"
    );
    f.set(20_000);
    f.manager.open_public(&n, None).unwrap();
    assert_eq!(f.drain(), [(EventKind::Opened, n.to_string(), 20_000)]);
}

// ---------------------------------------------------------------------------------------------
// get / list / is_open

#[test]
fn get_and_list_omit_deleted_records() {
    let f = Fixture::new();
    let (a, b, c) = (
        name("public:a.b"),
        name("private:a.b.c"),
        name("public:x.y"),
    );
    f.manager.open_public(&a, None).unwrap();
    f.manager.create_private(&b, None).unwrap();
    f.manager.open_public(&c, None).unwrap();
    f.manager.delete(&b).unwrap();
    assert_eq!(f.manager.get(&b).unwrap_err().code(), "CHANNEL_NOT_FOUND");
    let mut names: Vec<_> = f.manager.list().into_iter().map(|c| c.name).collect();
    names.sort();
    assert_eq!(names, [a.clone(), c.clone()]);
    assert_eq!(f.manager.len(), 2);
    assert_eq!(f.manager.get(&a).unwrap().name, a);
    assert_eq!(
        f.manager.get(&name("public:no.such")).unwrap_err().code(),
        "CHANNEL_NOT_FOUND"
    );
}

#[test]
fn list_includes_closed_channels() {
    let f = Fixture::new();
    let n = name("public:a.b");
    f.manager
        .open_public(&n, Some(Duration::from_secs(1)))
        .unwrap();
    f.manager.handle_timeout(2_000);
    let list = f.manager.list();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].state, State::Closed);
    assert!(!f.manager.is_open(&n));
}

#[test]
fn is_open_only_for_open_channels() {
    let f = Fixture::new();
    let n = name("public:a.b");
    assert!(!f.manager.is_open(&n));
    f.manager
        .open_public(&n, Some(Duration::from_secs(1)))
        .unwrap();
    assert!(f.manager.is_open(&n));
    assert!(
        f.manager.is_open(&n),
        "past its TTL but not yet swept: still open"
    );
    f.manager.handle_timeout(2_000);
    assert!(!f.manager.is_open(&n));
}

// ---------------------------------------------------------------------------------------------
// delta

#[test]
fn delta_is_off_by_default_and_persisted() {
    let f = Fixture::new();
    let n = name("public:a.b");
    f.manager.open_public(&n, None).unwrap();
    assert!(!f.manager.is_delta(&n));
    f.manager.set_delta(&n, true).unwrap();
    assert!(f.manager.is_delta(&n));
    assert!(f.manager.get(&n).unwrap().delta);
    f.manager.open_public(&n, None).unwrap();
    assert!(f.manager.is_delta(&n), "a refresh keeps it");
    f.manager.set_delta(&n, false).unwrap();
    assert!(!f.manager.is_delta(&n));
}

#[test]
fn set_delta_on_unknown_or_deleted_is_not_found() {
    let f = Fixture::new();
    let n = name("private:a.b.c");
    assert_eq!(
        f.manager.set_delta(&n, true).unwrap_err().code(),
        "CHANNEL_NOT_FOUND"
    );
    assert!(!f.manager.is_delta(&n));
    f.manager.create_private(&n, None).unwrap();
    f.manager.set_delta(&n, true).unwrap();
    f.manager.delete(&n).unwrap();
    assert_eq!(
        f.manager.set_delta(&n, true).unwrap_err().code(),
        "CHANNEL_NOT_FOUND"
    );
    assert!(!f.manager.is_delta(&n), "deleted channels report no delta");
}

// ---------------------------------------------------------------------------------------------
// sweep

#[test]
fn sweep_is_inclusive_at_the_ttl() {
    let f = Fixture::new();
    f.manager
        .open_public(&name("public:a.b"), Some(Duration::from_secs(1)))
        .unwrap();
    assert_eq!(f.manager.handle_timeout(1_999), 0);
    assert_eq!(
        f.manager.handle_timeout(2_000),
        1,
        "now - last_active == ttl expires"
    );
    assert_eq!(
        f.manager.handle_timeout(3_000),
        0,
        "closed channels do not expire again"
    );
}

#[test]
fn sweep_closes_public_and_removes_private_with_events_in_expiry_order() {
    let mut f = Fixture::new();
    let (p1, p2, q) = (
        name("public:a.one"),
        name("public:a.two"),
        name("private:a.b.q"),
    );
    f.manager
        .open_public(&p2, Some(Duration::from_secs(3)))
        .unwrap();
    f.manager
        .open_public(&p1, Some(Duration::from_secs(1)))
        .unwrap();
    f.manager
        .create_private(&q, Some(Duration::from_secs(2)))
        .unwrap();
    f.manager
        .open_public(&name("public:a.later"), Some(Duration::from_secs(100)))
        .unwrap();
    f.drain();
    assert_eq!(f.manager.handle_timeout(10_000), 3);
    assert_eq!(
        f.drain(),
        [
            (EventKind::Closed, p1.to_string(), 10_000),
            (EventKind::Deleted, q.to_string(), 10_000),
            (EventKind::Closed, p2.to_string(), 10_000),
        ]
    );
    assert_eq!(f.manager.get(&p1).unwrap().state, State::Closed);
    assert_eq!(f.manager.get(&q).unwrap_err().code(), "CHANNEL_NOT_FOUND");
    assert_eq!(f.manager.len(), 3);
    assert_eq!(
        f.manager.delete(&q).unwrap_err().code(),
        "CHANNEL_NOT_FOUND",
        "removed"
    );
}

#[test]
fn sweep_counts_only_transitions() {
    let f = Fixture::new();
    for i in 0..10 {
        f.manager
            .open_public(
                &name(&format!("public:a.c{i}")),
                Some(Duration::from_secs(i + 1)),
            )
            .unwrap();
    }
    assert_eq!(f.manager.handle_timeout(1_000 + 5_000), 5);
    assert_eq!(f.manager.handle_timeout(1_000 + 5_000), 0);
    assert_eq!(f.manager.handle_timeout(u64::MAX), 5);
}

#[test]
fn a_huge_ttl_never_expires_and_sweeping_at_the_end_of_time_terminates() {
    let f = Fixture::new();
    let n = name("public:a.b");
    f.manager.open_public(&n, Some(Duration::MAX)).unwrap();
    assert_eq!(f.manager.poll_timeout(), None);
    assert_eq!(f.manager.handle_timeout(u64::MAX), 0);
    assert!(f.manager.is_open(&n));
}

#[test]
fn sweep_now_uses_the_clock() {
    let f = Fixture::new();
    f.manager
        .open_public(&name("public:a.b"), Some(Duration::from_secs(1)))
        .unwrap();
    assert_eq!(f.manager.handle_timeout_now(), 0);
    f.set(f.now() + 1_000);
    assert_eq!(f.manager.handle_timeout_now(), 1);
}

#[test]
fn next_deadline_is_the_earliest_expiry() {
    let f = Fixture::new();
    assert_eq!(f.manager.poll_timeout(), None);
    f.manager
        .open_public(&name("public:a.b"), Some(Duration::from_secs(5)))
        .unwrap();
    f.manager
        .create_private(&name("private:a.b.c"), Some(Duration::from_secs(2)))
        .unwrap();
    assert_eq!(f.manager.poll_timeout(), Some(3_000));
    f.set(2_500);
    f.manager.touch(&name("private:a.b.c")).unwrap();
    assert_eq!(f.manager.poll_timeout(), Some(4_500));
    f.manager.handle_timeout(4_500);
    assert_eq!(f.manager.poll_timeout(), Some(6_000));
    f.manager.handle_timeout(6_000);
    assert_eq!(
        f.manager.poll_timeout(),
        None,
        "closed channels have no deadline"
    );
}

#[test]
fn on_sweep_hook_receives_the_channel_list_after_each_sweep() {
    let f = Fixture::new();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    {
        let seen = seen.clone();
        f.manager.on_sweep(move |list: &[Channel]| {
            let open = list.iter().filter(|c| c.state == State::Open).count();
            let closed = list.iter().filter(|c| c.state == State::Closed).count();
            seen.lock().unwrap().push((list.len(), open, closed));
        });
    }
    f.manager
        .open_public(&name("public:a.b"), Some(Duration::from_secs(1)))
        .unwrap();
    f.manager
        .create_private(&name("private:a.b.c"), Some(Duration::from_secs(1)))
        .unwrap();
    f.manager.open_public(&name("public:a.c"), None).unwrap();
    f.manager.handle_timeout(1_500); // nothing expires: still called
    f.manager.handle_timeout(2_000);
    f.manager.clear_on_sweep();
    f.manager.handle_timeout(u64::MAX);
    assert_eq!(*seen.lock().unwrap(), [(3, 3, 0), (2, 1, 1)]);
}

#[test]
fn on_sweep_hook_may_call_the_manager() {
    let f = Arc::new(Fixture::new());
    let weak = Arc::downgrade(&f);
    let count = Arc::new(AtomicU64::new(0));
    {
        let count = count.clone();
        f.manager.on_sweep(move |list| {
            // Runs outside the lock: re-entering the manager is fine.
            let f = weak.upgrade().unwrap();
            assert_eq!(f.manager.len(), list.len());
            count.fetch_add(1, Ordering::SeqCst);
        });
    }
    f.manager.open_public(&name("public:a.b"), None).unwrap();
    f.manager.handle_timeout(0);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// events

#[test]
fn every_transition_emits_in_order() {
    let mut f = Fixture::new();
    let p = name("public:chat.rooms");
    let q = name("private:chat.dm.u1");
    f.manager
        .open_public(&p, Some(Duration::from_secs(1)))
        .unwrap(); // Opened @1000
    f.manager
        .create_private(&q, Some(Duration::from_secs(10)))
        .unwrap(); // Opened @1000
    f.manager.handle_timeout(2_000); // p Closed @2000
    f.set(3_000);
    f.manager.open_public(&p, None).unwrap(); // p Opened @3000
    f.manager.open_public(&p, None).unwrap(); // refresh: nothing
    f.manager.touch(&q).unwrap(); // nothing
    f.manager.delete(&p).unwrap(); // p Deleted @3000
    f.manager.handle_timeout(13_000); // q Deleted @13000
    assert_eq!(
        f.drain(),
        [
            (EventKind::Opened, p.to_string(), 1_000),
            (EventKind::Opened, q.to_string(), 1_000),
            (EventKind::Closed, p.to_string(), 2_000),
            (EventKind::Opened, p.to_string(), 3_000),
            (EventKind::Deleted, p.to_string(), 3_000),
            (EventKind::Deleted, q.to_string(), 13_000),
        ]
    );
}

#[test]
fn failed_calls_emit_nothing() {
    let mut f = Fixture::new();
    let p = name("public:a.b");
    let q = name("private:a.b.c");
    let _ = f.manager.open_public(&q, None);
    let _ = f.manager.create_private(&p, None);
    let _ = f
        .manager
        .create_private(&q, Some(Duration::from_secs(7200)));
    let _ = f.manager.touch(&p);
    let _ = f.manager.delete(&p);
    let _ = f.manager.set_delta(&p, true);
    assert!(f.drain().is_empty());
    assert!(f.manager.is_empty());
}

#[test]
fn a_capacity_one_subscriber_under_a_burst_sees_the_first_event_and_counts_the_rest() {
    let mut f = Fixture::new();
    let mut slow = f.manager.subscribe(1);
    assert_eq!(slow.capacity(), 1);
    for i in 0..50 {
        f.manager
            .open_public(&name(&format!("public:burst.c{i}")), Some(Duration::ZERO))
            .unwrap();
    }
    assert_eq!(f.manager.handle_timeout(1_000), 50);
    let first = slow.try_recv().unwrap();
    assert_eq!(first.kind, EventKind::Opened);
    assert_eq!(first.name, name("public:burst.c0"));
    assert!(slow.try_recv().is_err());
    assert_eq!(slow.missed(), 99);
    // The fast subscriber saw everything: one slow subscriber costs the others nothing.
    assert_eq!(f.drain().len(), 100);
    // Once drained, the slow one receives again.
    f.manager.delete(&name("public:burst.c0")).unwrap();
    assert_eq!(slow.try_recv().unwrap().kind, EventKind::Deleted);
    assert_eq!(slow.missed(), 99);
}

#[test]
fn capacity_zero_is_raised_to_one() {
    let f = Fixture::new();
    let mut s = f.manager.subscribe(0);
    assert_eq!(s.capacity(), 1);
    f.manager.open_public(&name("public:a.b"), None).unwrap();
    assert!(s.try_recv().is_ok());
}

#[test]
fn dropping_a_subscription_unsubscribes() {
    let f = Fixture::new();
    assert_eq!(f.manager.subscribers(), 1);
    let s = f.manager.subscribe(4);
    let t = f
        .manager
        .subscribe_matching(&Pattern::parse("public:a.**").unwrap(), 4);
    assert_eq!(f.manager.subscribers(), 3);
    f.manager.open_public(&name("public:a.b"), None).unwrap();
    drop(s);
    drop(t);
    assert_eq!(f.manager.subscribers(), 1);
    // Fan-out after an unsubscribe, and the freed slot reused by a new subscriber.
    f.manager.open_public(&name("public:a.c"), None).unwrap();
    let mut u = f.manager.subscribe(4);
    f.manager.open_public(&name("public:a.d"), None).unwrap();
    assert_eq!(u.try_recv().unwrap().name, name("public:a.d"));
    assert!(u.try_recv().is_err());
}

#[test]
fn pattern_subscriptions_see_only_matching_channels() {
    let f = Fixture::new();
    let mut rooms = f
        .manager
        .subscribe_matching(&Pattern::parse("public:chat.rooms.*").unwrap(), 16);
    let mut dms = f
        .manager
        .subscribe_matching(&Pattern::parse("private:chat.dm.**").unwrap(), 16);
    f.manager
        .open_public(&name("public:chat.rooms.a"), None)
        .unwrap();
    f.manager
        .open_public(&name("public:chat.lobby"), None)
        .unwrap();
    f.manager
        .create_private(&name("private:chat.dm.u1"), None)
        .unwrap();
    f.manager
        .create_private(&name("private:chat.dm.u2.typing"), None)
        .unwrap();
    let got = |s: &mut Subscription| -> Vec<String> {
        std::iter::from_fn(|| s.try_recv().ok())
            .map(|e| e.name.to_string())
            .collect()
    };
    assert_eq!(got(&mut rooms), ["public:chat.rooms.a"]);
    assert_eq!(
        got(&mut dms),
        ["private:chat.dm.u1", "private:chat.dm.u2.typing"]
    );
}

#[test]
fn dropping_the_manager_ends_the_streams_after_the_queue() {
    let f = Fixture::new();
    let mut s = f.manager.subscribe(4);
    f.manager.open_public(&name("public:a.b"), None).unwrap();
    assert!(!s.is_closed());
    drop(f);
    assert!(s.is_closed());
    assert_eq!(
        futures::executor::block_on(s.recv()).unwrap().kind,
        EventKind::Opened
    );
    assert!(futures::executor::block_on(s.recv()).is_err());
}

#[test]
fn events_render_for_logs() {
    let e = Event::new(EventKind::Closed, name("public:a.b"), 42);
    assert_eq!(e.to_string(), "public:a.b closed at 42ms");
    assert_eq!(State::Deleted.to_string(), "deleted");
}

// ---------------------------------------------------------------------------------------------
// registry used directly (sans manager)

#[test]
fn memory_registry_follows_the_table_directly() {
    let mut r = MemoryRegistry::new();
    let n = name("public:a.b");
    let (c, e) = r.open_public(&n, Duration::from_secs(1), 0).unwrap();
    assert_eq!(
        (c.state, e.map(|e| e.kind)),
        (State::Open, Some(EventKind::Opened))
    );
    let (_, e) = r.open_public(&n, Duration::from_secs(1), 10).unwrap();
    assert!(e.is_none());
    assert_eq!(r.len(), 1);
    assert_eq!(r.sweep(1_010).len(), 1);
    assert_eq!(
        r.delete(&n, 2_000).unwrap().map(|e| e.kind),
        Some(EventKind::Deleted)
    );
    assert_eq!(r.delete(&n, 2_001).unwrap(), None);
    assert!(r.is_empty());
    assert_eq!(r.records(), 1, "the tombstone");
    assert_eq!(r.next_deadline(), Some(3_000));
    assert!(r.sweep(3_000).is_empty());
    assert_eq!(r.records(), 0);
    assert!(ms(DEFAULT_PUBLIC_TTL) > 0);
}

// ---------------------------------------------------------------------------------------------
// threads

#[test]
fn the_manager_is_shared_across_threads() {
    let f = Arc::new(Fixture::new());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let f = f.clone();
            std::thread::spawn(move || {
                for i in 0..250 {
                    let n = name(&format!("public:t{t}.c{i}"));
                    f.manager
                        .open_public(&n, Some(Duration::from_secs(1)))
                        .unwrap();
                    // The sweeper may close it at any moment.
                    match f.manager.touch(&n) {
                        Ok(()) => {}
                        Err(e) => assert_eq!(e.code(), "CHANNEL_CLOSED"),
                    }
                    if i % 2 == 0 {
                        f.manager.delete(&n).unwrap();
                    }
                }
            })
        })
        .collect();
    let sweeper = {
        let f = f.clone();
        std::thread::spawn(move || {
            (0..200)
                .map(|_| f.manager.handle_timeout(2_000))
                .sum::<usize>()
        })
    };
    threads.into_iter().for_each(|t| t.join().unwrap());
    let closed = sweeper.join().unwrap() + f.manager.handle_timeout(2_000);
    assert_eq!(f.manager.len(), 500);
    let mut f = Arc::try_unwrap(f).ok().unwrap();
    let events = f.drain();
    assert_eq!(events.len(), 1000 + 500 + closed);
    // Per channel, events arrive in a valid transition order: Opened, maybe Closed, maybe
    // Deleted; every surviving channel ends closed.
    let mut history: std::collections::HashMap<String, Vec<EventKind>> = Default::default();
    for (kind, n, _) in events {
        history.entry(n).or_default().push(kind);
    }
    assert_eq!(history.len(), 1000);
    use EventKind::*;
    let mut closes = 0;
    for (n, h) in history {
        closes += h.iter().filter(|k| **k == Closed).count();
        let i: usize = n.rsplit(".c").next().unwrap().parse().unwrap();
        let valid: &[&[EventKind]] = if i % 2 == 0 {
            &[&[Opened, Deleted], &[Opened, Closed, Deleted]]
        } else {
            &[&[Opened, Closed]]
        };
        assert!(valid.contains(&h.as_slice()), "{n}: {h:?}");
    }
    assert_eq!(closes, closed);
}

// ---------------------------------------------------------------------------------------------
// serde (run with `--features serde`)

#[cfg(feature = "serde")]
mod serde_wire {
    use super::*;
    use lindy::channels::{NodeId, RemoteEvent};

    #[test]
    fn serde_events_use_the_seed_wire_words() {
        let e = Event::new(EventKind::Opened, name("public:a.b"), 5);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"kind":"opened","name":"public:a.b","at":5}"#);
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
    }

    #[test]
    fn serde_remote_events_round_trip() {
        let r = RemoteEvent {
            origin: NodeId(42),
            event: Event::new(EventKind::Deleted, name("private:a.b.c"), 9),
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            r#"{"origin":42,"event":{"kind":"deleted","name":"private:a.b.c","at":9}}"#
        );
        assert_eq!(serde_json::from_str::<RemoteEvent>(&json).unwrap(), r);
    }

    #[test]
    fn serde_rejects_invalid_names_and_kinds() {
        assert!(
            serde_json::from_str::<Event>(r#"{"kind":"opened","name":"public:a","at":5}"#).is_err()
        );
        assert!(
            serde_json::from_str::<Event>(r#"{"kind":"Opened","name":"public:a.b","at":5}"#)
                .is_err()
        );
    }

    #[test]
    fn serde_channels_round_trip() {
        let f = Fixture::new();
        let c = f
            .manager
            .open_public(&name("public:a.b"), Some(Duration::from_millis(1500)))
            .unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains(r#""state":"open""#), "{json}");
        assert_eq!(serde_json::from_str::<Channel>(&json).unwrap(), c);
    }
}

// ---------------------------------------------------------------------------------------------
// other locks

#[test]
fn the_manager_works_with_any_lock() {
    use lindy::sync::{CriticalSectionRawMutex, NoopRawMutex};
    let single =
        Manager::<MemoryRegistry, NoopRawMutex>::with_registry(MemoryRegistry::new(), || 0);
    let mut s = single.subscribe(2);
    single.open_public(&name("public:a.b"), None).unwrap();
    assert_eq!(s.try_recv().unwrap().kind, EventKind::Opened);

    let mcu = Manager::<MemoryRegistry, CriticalSectionRawMutex>::with_registry(
        MemoryRegistry::with_capacity(8),
        || 0,
    );
    mcu.create_private(&name("private:a.b.c"), None).unwrap();
    assert_eq!(mcu.handle_timeout(u64::MAX), 1);
}

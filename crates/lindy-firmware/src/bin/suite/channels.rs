//! The channel manager: lifecycle, TTLs and the sweep, on a fake clock the test moves by hand.

use alloc::vec::Vec;
use core::pin::pin;
use core::sync::atomic::{AtomicU32, Ordering};
use core::task::Poll;
use core::time::Duration;

use lindy::channels::{EventKind, Manager, State};
use lindy::grammar::{Name, Pattern};
use lindy_firmware::harness::{Case, Outcome};
use lindy_firmware::wake::{poll_with, wakes};
use lindy_firmware::{cases, ensure, ensure_eq};

pub const CASES: [Case; 4] = cases![
    the_sweep_closes_public_and_deletes_private_channels_on_time,
    touch_moves_the_deadline,
    ttl_and_visibility_rules_are_coded_errors,
    a_slow_subscriber_misses_events_and_is_told,
];

/// The fake clock, in ms. (A Cortex-M has no 64-bit atomics; 32 bits of ms is 49 days.)
static NOW: AtomicU32 = AtomicU32::new(0);

fn set_now(ms: u32) {
    NOW.store(ms, Ordering::Relaxed);
}

fn manager() -> Manager {
    set_now(0);
    Manager::with_clock(|| u64::from(NOW.load(Ordering::Relaxed)))
}

fn the_sweep_closes_public_and_deletes_private_channels_on_time() -> Outcome {
    let m = manager();
    let mut events = m.subscribe(8);
    let room = Name::parse("public:chat.rooms.lobby").unwrap();
    let dm = Name::parse("private:chat.dm.u42").unwrap();
    m.open_public(&room, Some(Duration::from_secs(10))).unwrap();
    set_now(1_000);
    m.create_private(&dm, Some(Duration::from_secs(5))).unwrap();
    ensure_eq!(m.poll_timeout(), Some(6_000));
    ensure_eq!(m.handle_timeout(5_999), 0); // nothing expires early
    ensure_eq!(m.handle_timeout(6_000), 1); // the private one: deleted
    ensure!(m.get(&dm).is_err());
    ensure_eq!(m.poll_timeout(), Some(10_000));
    ensure_eq!(m.handle_timeout(10_000), 1); // the public one: closed, not removed
    ensure_eq!(m.get(&room).unwrap().state, State::Closed);
    let seen: Vec<_> = core::iter::from_fn(|| events.try_recv().ok())
        .map(|e| (e.kind, e.at))
        .collect();
    ensure_eq!(
        seen,
        [
            (EventKind::Opened, 0),
            (EventKind::Opened, 1_000),
            (EventKind::Deleted, 6_000),
            (EventKind::Closed, 10_000),
        ]
    );
    Ok(())
}

fn touch_moves_the_deadline() -> Outcome {
    let m = manager();
    let room = Name::parse("public:chat.rooms.lobby").unwrap();
    m.open_public(&room, Some(Duration::from_secs(10))).unwrap();
    set_now(8_000);
    m.touch(&room).unwrap();
    ensure_eq!(m.poll_timeout(), Some(18_000));
    set_now(17_999);
    ensure_eq!(m.handle_timeout_now(), 0);
    set_now(18_000);
    ensure_eq!(m.handle_timeout_now(), 1);
    ensure_eq!(m.touch(&room).unwrap_err().code(), "CHANNEL_CLOSED");
    set_now(20_000);
    m.open_public(&room, None).unwrap(); // re-opened with the default TTL (30 min)
    ensure_eq!(m.poll_timeout(), Some(20_000 + 30 * 60 * 1000));
    Ok(())
}

fn ttl_and_visibility_rules_are_coded_errors() -> Outcome {
    let m = manager();
    let dm = Name::parse("private:chat.dm.u1").unwrap();
    let room = Name::parse("public:chat.rooms.a").unwrap();
    let too_long = Some(Duration::from_secs(3601));
    ensure_eq!(
        m.create_private(&dm, too_long).unwrap_err().code(),
        "CHANNEL_TTL_EXCEEDS_MAX"
    );
    ensure_eq!(
        m.open_public(&dm, None).unwrap_err().code(),
        "CHANNEL_INVALID"
    );
    ensure_eq!(
        m.create_private(&room, None).unwrap_err().code(),
        "CHANNEL_INVALID"
    );
    m.create_private(&dm, Some(Duration::from_secs(3600)))
        .unwrap();
    ensure_eq!(
        m.create_private(&dm, None).unwrap_err().code(),
        "CHANNEL_EXISTS"
    );
    ensure_eq!(m.get(&room).unwrap_err().code(), "CHANNEL_NOT_FOUND");
    ensure_eq!(m.len(), 1);
    Ok(())
}

fn a_slow_subscriber_misses_events_and_is_told() -> Outcome {
    let m = manager();
    let mut all = m.subscribe(2);
    let mut lobby_only = m.subscribe_matching(&Pattern::parse("public:chat.*.lobby").unwrap(), 4);
    {
        let mut recv = pin!(lobby_only.recv());
        ensure!(poll_with(recv.as_mut(), 0).is_pending());
        m.open_public(&Name::parse("public:chat.rooms.lobby").unwrap(), None)
            .unwrap();
        ensure_eq!(wakes(0), 1); // the waiting subscriber is woken by a matching event
        let got = poll_with(recv.as_mut(), 0);
        ensure!(matches!(got, Poll::Ready(Ok(ref e)) if e.kind == EventKind::Opened));
    }
    m.open_public(&Name::parse("public:chat.rooms.hall").unwrap(), None)
        .unwrap(); // filtered out
    m.open_public(&Name::parse("public:chat.rooms.den").unwrap(), None)
        .unwrap();
    ensure_eq!(all.len(), 2); // full: the third event was dropped...
    ensure_eq!(all.missed(), 1); // ...and counted
    ensure_eq!(all.try_recv().map(|e| e.kind), Ok(EventKind::Opened));
    ensure!(lobby_only.try_recv().is_err());
    Ok(())
}

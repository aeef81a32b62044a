//! `SpaceCore`, the engine behind the package's JS `Space`, through the numbers-only protocol the
//! JS side speaks (`make wasm-test`, Node and headless Chromium): handles and key ids in, handles,
//! resolver ids and event records out. The JS class itself is tested by `pkg-js/test/`.
#![cfg(target_arch = "wasm32")]

mod wasm_support;

use lindy_wasm::space_core::{
    event, SpaceCore, CLOSED, EVENTS, FULL, INVALID, KEY_TOO_LONG, LOST, MAX_KEY_BYTES, QUEUED,
    WAITING,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;
use wasm_support::*;

fn space() -> SpaceCore {
    SpaceCore::new(0.0, 0.0, 0.0, 0.0, "").unwrap()
}

/// The resolver id of a waiting code.
fn rid(code: i32) -> u32 {
    assert!(code <= WAITING, "expected a waiting code, got {code}");
    (WAITING - code) as u32
}

/// The events as `(rid, kind, handle, a, b, c)` tuples.
fn events(s: &mut SpaceCore) -> Vec<[f64; 6]> {
    let ev = s.events();
    assert_eq!(ev.len() % 6, 0);
    ev.chunks(6)
        .map(|c| [c[0], c[1], c[2], c[3], c[4], c[5]])
        .collect()
}

#[wasm_bindgen_test]
fn keys_are_fifo_queues_of_handles() {
    let mut s = space();
    let jobs = s.intern("jobs") as u32;
    let other = s.intern("other") as u32;
    for h in [10, 11, 12] {
        assert_eq!(s.out(jobs, h), QUEUED);
    }
    assert_eq!(s.out(other, 20), QUEUED);
    assert_eq!((s.len(jobs), s.len(other), s.size()), (3, 1, 4));
    assert_eq!(s.try_read(jobs), 10); // read leaves it
    assert_eq!(s.try_take(jobs), 10);
    assert_eq!(s.out_front(jobs, 9), QUEUED); // put-back goes first
    assert_eq!(s.take_many(jobs, 10), [9, 11, 12]);
    assert_eq!(s.try_take(jobs), QUEUED);
    assert_eq!(s.take(other), 20); // an entry is there: no wait
}

#[wasm_bindgen_test]
fn an_out_answers_with_the_waiting_takers_rid_in_arrival_order() {
    let mut s = space();
    let k = s.intern("k") as u32;
    let first = rid(s.take(k));
    let second = rid(s.take(k));
    assert_ne!(first, second);
    // One plain taker served: the out itself says who got it, no events.
    assert_eq!(s.out(k, 1), first as i32);
    assert!(!s.has_events());
    assert_eq!(s.out(k, 2), second as i32);
    assert_eq!(s.out(k, 3), QUEUED);
    assert_eq!(s.len(k), 1);
}

#[wasm_bindgen_test]
fn readers_and_pattern_takers_come_back_as_events() {
    let mut s = space();
    let name = s.intern("public:jobs.resize.a") as u32;
    let reader = rid(s.read(name));
    let matcher = rid(s
        .take_matching(&JsValue::from_str("public:jobs.*.a"))
        .unwrap());
    assert_eq!(s.out(name, 7), EVENTS);
    let ev = events(&mut s);
    assert!(
        ev.contains(&[reader as f64, event::READ, 7.0, 0.0, 0.0, 0.0]),
        "{ev:?}"
    );
    assert!(
        ev.contains(&[
            matcher as f64,
            event::MATCHED,
            7.0,
            f64::from(name),
            0.0,
            0.0
        ]),
        "{ev:?}"
    );
    assert_eq!(s.len(name), 0);
    // A bad pattern is an error for JS, never a trap.
    assert_lindy(
        &s.take_matching(&JsValue::from_str("nope")).unwrap_err(),
        "PATTERN_INVALID",
    );
}

#[wasm_bindgen_test]
fn a_cancelled_take_takes_nothing_and_the_next_taker_is_served() {
    let mut s = space();
    let k = s.intern("k") as u32;
    let gone = rid(s.take(k));
    let stays = rid(s.take(k));
    assert_eq!(s.cancel(gone), 0);
    assert_eq!(s.cancel(gone), 0); // twice: nothing
    assert_eq!(s.out(k, 5), stays as i32);
    assert_eq!(s.len(k), 0);
}

#[wasm_bindgen_test]
fn close_ends_every_waiter_refuses_outs_and_drains_what_is_queued() {
    let mut s = space();
    let a = s.intern("a") as u32;
    let b = s.intern("b") as u32;
    assert_eq!(s.out(a, 1), QUEUED);
    let waiting = rid(s.take(b));
    s.close();
    assert!(s.is_closed());
    assert_eq!(
        events(&mut s),
        [[waiting as f64, event::CLOSED, 0.0, 0.0, 0.0, 0.0]]
    );
    assert_eq!(s.out(a, 2), CLOSED);
    assert_eq!(s.out_many(a, &[3, 4]), CLOSED);
    // The one close rule: takes drain, then report closed.
    assert_eq!(s.take(a), 1);
    assert_eq!(s.take(a), CLOSED);
    assert_eq!(s.try_take(a), CLOSED);
}

#[wasm_bindgen_test]
fn leases_come_back_at_the_head_with_their_age_unless_acked() {
    let mut s = space();
    let k = s.intern("k") as u32;
    for h in [1, 2] {
        s.out(k, h);
    }
    assert_eq!(s.try_take_leased(k, 100.0, 1_000.0), 1);
    let [lease, deadline, deliveries] = s.last_lease()[..] else {
        unreachable!()
    };
    assert_eq!((deadline, deliveries, s.leased_len()), (1_100.0, 1.0, 1));
    assert_eq!(s.poll_timeout(), 1_100.0);
    // nack: back in front of 2, delivery count kept.
    assert_eq!(s.nack(lease), 0);
    assert_eq!(s.nack(lease), LOST);
    assert_eq!(s.try_take_leased(k, 100.0, 2_000.0), 1);
    assert_eq!(s.last_lease()[2], 2.0);
    // expiry: the same, through poll_timeout / handle_timeout.
    assert_eq!(s.handle_timeout(2_099.0), 0);
    assert_eq!(s.handle_timeout(2_100.0), 1);
    assert_eq!(s.try_read(k), 1);
    // ack: done for good; the handle comes back for JS to free.
    assert_eq!(s.try_take_leased(k, 0.0, 3_000.0), 1);
    let lease = s.last_lease()[0];
    assert_eq!(s.ack(lease), 1);
    assert_eq!(s.ack(lease), LOST);
    assert_eq!(s.len(k), 1);
    assert_eq!(s.poll_timeout(), -1.0);
}

#[wasm_bindgen_test]
fn a_waiting_leased_take_gets_its_lease_with_the_entry() {
    let mut s = space();
    let k = s.intern("k") as u32;
    let r = rid(s.take_leased(k, 5_000.0, 0.0));
    assert_eq!(s.out(k, 8), EVENTS);
    let ev = events(&mut s);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0][..3], [r as f64, event::LEASED, 8.0]);
    assert_eq!(ev[0][5], 1.0); // first delivery
    assert_eq!(s.leased_len(), 1);
    assert_eq!(s.ack(ev[0][3]), 8);
}

#[wasm_bindgen_test]
fn poisoned_entries_go_to_the_dead_letter_key() {
    let mut s = SpaceCore::new(0.0, 0.0, 0.0, 2.0, "dlq").unwrap();
    let k = s.intern("k") as u32;
    let dlq = s.intern("dlq") as u32;
    s.out(k, 4);
    for round in 0..2 {
        assert_eq!(s.try_take_leased(k, 10.0, 0.0), 4);
        let outcome = s.nack(s.last_lease()[0]);
        assert_eq!(outcome, if round == 0 { 0 } else { 1 });
    }
    assert_eq!((s.len(k), s.try_take(dlq)), (0, 4));
}

#[wasm_bindgen_test]
fn bounds_refuse_with_full_and_store_nothing() {
    let mut s = SpaceCore::new(3.0, 2.0, 0.0, 0.0, "").unwrap();
    let a = s.intern("a") as u32;
    let b = s.intern("b") as u32;
    assert_eq!(s.out(a, 1), QUEUED);
    assert_eq!(s.out(a, 2), QUEUED);
    assert_eq!(s.out(a, 3), FULL); // per key
    assert_eq!(s.out_many(b, &[4, 5]), 1); // the space holds 3 at most
    assert_eq!(s.size(), 3);
}

#[wasm_bindgen_test]
fn bad_numbers_are_codes_never_traps() {
    let mut s = space();
    let k = s.intern("k") as u32;
    // Unknown key ids, stale rids, absurd leases: answered, not trapped.
    assert_eq!(s.out(99, 1), KEY_TOO_LONG);
    assert_eq!((s.try_take(99), s.take(99), s.len(99)), (QUEUED, QUEUED, 0));
    assert_eq!(s.cancel(12345), 0);
    for bad in [-1.0, 0.5, f64::NAN, f64::INFINITY, 1e300] {
        assert_eq!(s.try_take_leased(k, bad, 0.0), INVALID, "{bad}");
    }
    assert_eq!(s.ack(f64::NAN), LOST);
    assert_eq!(s.extend(-3.0, 10.0, 0.0), f64::from(LOST));
    assert_eq!(s.extend(1.0, 0.25, 0.0), f64::from(INVALID));
    let long = "k".repeat(MAX_KEY_BYTES + 1);
    assert_eq!(s.intern(&long), KEY_TOO_LONG);
    assert!(s.intern(&long[..MAX_KEY_BYTES]) >= 0);
    for bad in [(0.0, 0.0, -5.0), (0.0, 0.0, f64::NAN), (0.0, 0.0, 0.5)] {
        let e = SpaceCore::new(bad.0, bad.1, bad.2, 0.0, "")
            .err()
            .expect("refused");
        assert_lindy(&e, "LEASE_INVALID");
    }
}

#[wasm_bindgen_test]
fn idle_keys_are_swept_and_their_ids_reused() {
    let mut s = space();
    let busy = s.intern("busy") as u32;
    s.out(busy, 1);
    let idle: Vec<u32> = (0..100)
        .map(|i| s.intern(&format!("k{i}")) as u32)
        .collect();
    let mut freed = s.sweep_keys();
    freed.sort_unstable();
    assert_eq!(freed, idle);
    assert_eq!(s.key_name(busy).as_deref(), Some("busy"));
    assert_eq!(s.key_name(idle[0]), None);
    let again = s.intern("fresh") as u32;
    assert!(idle.contains(&again), "a freed id is reused");
    assert_eq!(s.try_take(busy), 1);
}

//! The kit's cases: the queue model of [`crate::queue`], one behaviour each.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::pin::pin;

use super::{poll_once, within, Capabilities, Harness, KitError, Options, Queue};

/// One case of the kit: its name (as reported), what it needs, and what it checks.
///
/// ```
/// use lindy::testkit::{Capabilities, CASES};
///
/// let case = CASES.iter().find(|c| c.name == "dropped_woken_take_hands_on").unwrap();
/// assert_eq!(case.needs, Capabilities { waits: true, ..Capabilities::NONE });
/// assert!(case.about.contains("hands the entry on"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// The name in the report.
    pub name: &'static str,
    /// The capabilities it needs (see [`Capabilities`]).
    pub needs: Capabilities,
    /// What it checks, in one line.
    pub about: &'static str,
}

const BASIC: Capabilities = Capabilities::NONE;
const WAITS: Capabilities = Capabilities {
    waits: true,
    ..Capabilities::NONE
};
const PUSH_FRONT: Capabilities = Capabilities {
    push_front: true,
    ..Capabilities::NONE
};
const PATTERN: Capabilities = Capabilities {
    pattern_take: true,
    ..Capabilities::NONE
};
const LEASES: Capabilities = Capabilities {
    leases: true,
    ..Capabilities::NONE
};
const DEAD_LETTER: Capabilities = Capabilities {
    leases: true,
    dead_letter: true,
    ..Capabilities::NONE
};
const BOUNDS: Capabilities = Capabilities {
    bounds: true,
    ..Capabilities::NONE
};
const BOUNDS_LEASES: Capabilities = Capabilities {
    bounds: true,
    leases: true,
    ..Capabilities::NONE
};
const BACK_PRESSURE: Capabilities = Capabilities {
    bounds: true,
    back_pressure: true,
    ..Capabilities::NONE
};
const DURABLE: Capabilities = Capabilities {
    durable: true,
    ..Capabilities::NONE
};
const DURABLE_LEASES: Capabilities = Capabilities {
    durable: true,
    leases: true,
    ..Capabilities::NONE
};

/// Every case, in the order [`run`](super::run) runs them.
///
/// ```
/// use lindy::testkit::CASES;
///
/// // The kit as documentation: one line per behaviour every backend must have.
/// for case in CASES {
///     assert!(!case.about.is_empty(), "{} says what it checks", case.name);
/// }
/// assert!(CASES.iter().any(|c| c.name == "takers_served_in_arrival_order"));
/// ```
pub const CASES: &[Case] = &[
    Case { name: "fifo_per_key", needs: BASIC, about: "each key is a FIFO; keys are independent; an empty key takes nothing" },
    Case { name: "close_refuses_push_with_the_value", needs: BASIC, about: "after close, push fails with CLOSED and hands the value back; close is idempotent" },
    Case { name: "close_drains_then_reports_closed", needs: BASIC, about: "after close, takes drain what is queued, then fail with CLOSED" },
    Case { name: "push_front_is_taken_next", needs: PUSH_FRONT, about: "push_front puts an entry at the head of its key" },
    Case { name: "pattern_take_oldest_head_first", needs: PATTERN, about: "a pattern take serves the oldest head among the matching keys" },
    Case { name: "pattern_take_skips_keys_that_are_not_names", needs: PATTERN, about: "keys that are not channel names never match" },
    Case { name: "waiting_take_gets_a_later_push", needs: WAITS, about: "a waiting take is served by the next push" },
    Case { name: "waiting_take_drains_a_closed_queue", needs: WAITS, about: "after close, a waiting take still gets what is queued, then CLOSED" },
    Case { name: "dropped_waiting_take_takes_nothing", needs: WAITS, about: "a take dropped while waiting takes nothing: the next push stays queued" },
    Case { name: "dropped_woken_take_hands_on", needs: WAITS, about: "a take dropped after an push chose it hands the entry on to the next taker" },
    Case { name: "takers_served_in_arrival_order", needs: WAITS, about: "waiting takers of a key are served by arrival, whatever order they are polled in" },
    Case { name: "close_ends_waiting_takes", needs: WAITS, about: "close ends a waiting take with CLOSED" },
    Case { name: "lease_ack_settles", needs: LEASES, about: "a leased entry leaves the queue, and is gone for good once acknowledged" },
    Case { name: "lease_expiry_requeues_at_the_head", needs: LEASES, about: "an expired lease's entry is back at the head of its key" },
    Case { name: "nack_returns_to_the_head_and_counts", needs: LEASES, about: "nack puts the entry back at the head; its delivery count goes up" },
    Case { name: "expired_lease_cannot_be_acked", needs: LEASES, about: "ack after expiry fails with LEASE_LOST and the entry stays queued" },
    Case { name: "extend_keeps_a_lease", needs: LEASES, about: "an extended lease outlives its first deadline" },
    Case { name: "bad_lease_length_is_refused", needs: LEASES, about: "a lease of 0 ms fails with LEASE_INVALID and takes nothing" },
    Case { name: "unknown_lease_is_lost", needs: LEASES, about: "ack / nack of a lease never issued fail with LEASE_LOST" },
    Case { name: "leases_settle_after_close", needs: LEASES, about: "after close, leases still ack and nack; a returned entry is drained" },
    Case { name: "dead_letter_after_max_deliveries", needs: DEAD_LETTER, about: "an entry delivered max_deliveries times moves to the dead-letter key" },
    Case { name: "full_push_is_refused_with_the_value", needs: BOUNDS, about: "a full key refuses push with BUFFER_FULL and hands the value back; other keys are not blocked" },
    Case { name: "leased_entries_hold_their_room", needs: BOUNDS_LEASES, about: "a leased entry counts against the bound until acknowledged" },
    Case { name: "bound_of_zero_is_invalid_config", needs: BOUNDS, about: "a bound of 0 fails to open with INVALID_CONFIG" },
    Case { name: "push_waits_for_room", needs: BACK_PRESSURE, about: "a waiting push goes in when a take makes room" },
    Case { name: "dropped_push_puts_nothing_in", needs: BACK_PRESSURE, about: "an push dropped while waiting puts nothing in" },
    Case { name: "push_dropped_after_room_frees_puts_nothing_in", needs: BACK_PRESSURE, about: "an push let in (room freed) but dropped before it ran puts nothing in; the room goes to the next producer" },
    Case { name: "close_refuses_waiting_push_with_the_value", needs: BACK_PRESSURE, about: "close ends a waiting push with CLOSED and the value handed back" },
    Case { name: "reopen_keeps_entries_in_order", needs: DURABLE, about: "after reopen, every key holds its entries in order" },
    Case { name: "reopen_returns_unacked_leases", needs: DURABLE_LEASES, about: "after reopen, un-acknowledged leases are queued again, acknowledged ones are gone" },
    Case { name: "reopen_after_close", needs: DURABLE, about: "a closed queue reopens with its entries, open again" },
];

/// A case's failure message.
type Outcome = Result<(), String>;

macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Unwraps a backend result, failing the case with the operation's name.
macro_rules! ok {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(err) => return Err(format!("{}: {}", stringify!($e), err)),
        }
    };
}

fn v(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn show(v: &Option<Vec<u8>>) -> String {
    match v {
        Some(b) => format!("{:?}", String::from_utf8_lossy(b)),
        None => "nothing".to_string(),
    }
}

fn code_of<T>(r: &Result<T, KitError>) -> &str {
    match r {
        Ok(_) => "ok",
        Err(e) => &e.code,
    }
}

/// How long (backend time) the kit waits for something that must happen.
const PATIENCE_MS: u64 = 2_000;

async fn expect_take<Q: Queue>(q: &Q, key: &str, want: Option<&str>) -> Outcome {
    let got = ok!(q.try_take(key).await);
    let want = want.map(v);
    check!(
        got == want,
        "try_take({key:?}) gave {}, want {}",
        show(&got),
        show(&want)
    );
    Ok(())
}

pub(super) async fn run_case<H: Harness>(h: &mut H, name: &str) -> Outcome {
    let plain = Options::default();
    match name {
        "fifo_per_key" => {
            let q = ok!(h.open(&plain).await);
            expect_take(&q, "k", None).await?;
            for s in ["a", "b", "c"] {
                ok!(q.try_push("k", v(s)).await);
            }
            ok!(q.try_push("other", v("x")).await);
            check!(ok!(q.len("k").await) == 3, "len(k) is not 3");
            for s in ["a", "b", "c"] {
                expect_take(&q, "k", Some(s)).await?;
            }
            expect_take(&q, "k", None).await?;
            expect_take(&q, "other", Some("x")).await
        }
        "close_refuses_push_with_the_value" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.close().await);
            ok!(q.close().await);
            let r = q.try_push("k", v("late")).await;
            check!(
                code_of(&r) == "CLOSED",
                "push after close gave {}",
                code_of(&r)
            );
            let back = r.err().and_then(|e| e.value);
            check!(
                back == Some(v("late")),
                "the value was not handed back: {}",
                show(&back)
            );
            Ok(())
        }
        "close_drains_then_reports_closed" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("k", v("a")).await);
            ok!(q.try_push("k", v("b")).await);
            ok!(q.close().await);
            expect_take(&q, "k", Some("a")).await?;
            expect_take(&q, "k", Some("b")).await?;
            let r = q.try_take("k").await;
            check!(
                code_of(&r) == "CLOSED",
                "a drained closed queue gave {}",
                code_of(&r)
            );
            Ok(())
        }
        "push_front_is_taken_next" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("k", v("a")).await);
            ok!(q.try_push("k", v("b")).await);
            ok!(q.push_front("k", v("z")).await);
            for s in ["z", "a", "b"] {
                expect_take(&q, "k", Some(s)).await?;
            }
            Ok(())
        }
        "pattern_take_oldest_head_first" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("public:app.jobs.b", v("1")).await);
            ok!(q.try_push("public:app.other.x", v("2")).await);
            ok!(q.try_push("public:app.jobs.a", v("3")).await);
            ok!(q.try_push("public:app.jobs.b", v("4")).await);
            let mut got = Vec::new();
            while let Some((k, val)) = ok!(q.try_take_matching("public:app.jobs.*").await) {
                got.push(format!("{k}={}", String::from_utf8_lossy(&val)));
                check!(got.len() <= 3, "more entries than were put: {got:?}");
            }
            check!(
                got == [
                    "public:app.jobs.b=1",
                    "public:app.jobs.a=3",
                    "public:app.jobs.b=4"
                ],
                "oldest-first order broken: {got:?}"
            );
            let rest = ok!(q.try_take_matching("public:app.**").await);
            check!(
                rest == Some(("public:app.other.x".to_string(), v("2"))),
                "the other key was not served"
            );
            Ok(())
        }
        "pattern_take_skips_keys_that_are_not_names" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("not a channel name", v("x")).await);
            let got = ok!(q.try_take_matching("public:**").await);
            check!(got.is_none(), "a key that is no channel name matched");
            expect_take(&q, "not a channel name", Some("x")).await
        }
        "waiting_take_gets_a_later_push" => {
            let q = ok!(h.open(&plain).await);
            let mut t = pin!(q.take("k"));
            check!(
                poll_once(t.as_mut()).is_pending(),
                "a take on an empty key resolved"
            );
            ok!(q.try_push("k", v("a")).await);
            let got = within(&q, PATIENCE_MS, t).await;
            check!(
                got == Some(Ok(v("a"))),
                "the waiting take did not get the entry: {got:?}"
            );
            Ok(())
        }
        "waiting_take_drains_a_closed_queue" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("k", v("a")).await);
            ok!(q.close().await);
            let got = within(&q, PATIENCE_MS, q.take("k")).await;
            check!(
                got == Some(Ok(v("a"))),
                "take after close did not drain: {got:?}"
            );
            let got = within(&q, PATIENCE_MS, q.take("k")).await;
            check!(
                matches!(&got, Some(Err(e)) if e.code == "CLOSED"),
                "take on a drained closed queue: {got:?}"
            );
            Ok(())
        }
        "dropped_waiting_take_takes_nothing" => {
            let q = ok!(h.open(&plain).await);
            {
                let mut t = pin!(q.take("k"));
                check!(
                    poll_once(t.as_mut()).is_pending(),
                    "a take on an empty key resolved"
                );
            } // dropped while waiting
            ok!(q.try_push("k", v("a")).await);
            expect_take(&q, "k", Some("a")).await
        }
        "dropped_woken_take_hands_on" => {
            let q = ok!(h.open(&plain).await);
            let mut second = pin!(q.take("k"));
            {
                let mut first = pin!(q.take("k"));
                check!(
                    poll_once(first.as_mut()).is_pending(),
                    "first take resolved"
                );
                check!(
                    poll_once(second.as_mut()).is_pending(),
                    "second take resolved"
                );
                ok!(q.try_push("k", v("a")).await);
            } // the first (chosen by the push) is dropped before it runs
            let got = within(&q, PATIENCE_MS, second).await;
            check!(
                got == Some(Ok(v("a"))),
                "the entry was not handed on: {got:?}"
            );
            check!(ok!(q.len("k").await) == 0, "the entry is also still queued");
            Ok(())
        }
        "takers_served_in_arrival_order" => {
            let q = ok!(h.open(&plain).await);
            let mut t1 = pin!(q.take("k"));
            let mut t2 = pin!(q.take("k"));
            let mut t3 = pin!(q.take("k"));
            check!(poll_once(t1.as_mut()).is_pending(), "t1 resolved");
            check!(poll_once(t2.as_mut()).is_pending(), "t2 resolved");
            check!(poll_once(t3.as_mut()).is_pending(), "t3 resolved");
            for s in ["1", "2", "3"] {
                ok!(q.try_push("k", v(s)).await);
            }
            // Polled in reverse: each still gets the entry of its turn.
            let got3 = within(&q, PATIENCE_MS, t3).await;
            let got2 = within(&q, PATIENCE_MS, t2).await;
            let got1 = within(&q, PATIENCE_MS, t1).await;
            check!(
                (got1.clone(), got2.clone(), got3.clone())
                    == (Some(Ok(v("1"))), Some(Ok(v("2"))), Some(Ok(v("3")))),
                "served out of arrival order: {got1:?} {got2:?} {got3:?}"
            );
            Ok(())
        }
        "close_ends_waiting_takes" => {
            let q = ok!(h.open(&plain).await);
            let mut t = pin!(q.take("k"));
            check!(
                poll_once(t.as_mut()).is_pending(),
                "a take on an empty key resolved"
            );
            ok!(q.close().await);
            let got = within(&q, PATIENCE_MS, t).await;
            check!(
                matches!(&got, Some(Err(e)) if e.code == "CLOSED"),
                "the waiting take did not end with CLOSED: {got:?}"
            );
            Ok(())
        }
        "lease_ack_settles" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("k", v("a")).await);
            let l = ok!(q.try_take_leased("k", 1_000).await);
            let Some(l) = l else {
                return Err("nothing leased".to_string());
            };
            check!(l.value == v("a") && l.deliveries == 1, "lease {l:?}");
            check!(
                ok!(q.len("k").await) == 0,
                "a leased entry is still counted as queued"
            );
            ok!(q.ack(l.id).await);
            q.advance(2_000).await;
            expect_take(&q, "k", None).await?;
            let again = q.ack(l.id).await;
            check!(
                code_of(&again) == "LEASE_LOST",
                "a second ack gave {}",
                code_of(&again)
            );
            Ok(())
        }
        "lease_expiry_requeues_at_the_head" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("k", v("a")).await);
            ok!(q.try_push("k", v("b")).await);
            let l = ok!(q.try_take_leased("k", 300).await);
            check!(l.is_some(), "nothing leased");
            q.advance(600).await;
            check!(ok!(q.len("k").await) == 2, "the expired entry is not back");
            expect_take(&q, "k", Some("a")).await?;
            expect_take(&q, "k", Some("b")).await
        }
        "nack_returns_to_the_head_and_counts" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("k", v("a")).await);
            ok!(q.try_push("k", v("b")).await);
            let Some(l) = ok!(q.try_take_leased("k", 10_000).await) else {
                return Err("nothing leased".to_string());
            };
            ok!(q.nack(l.id).await);
            let Some(l2) = ok!(q.try_take_leased("k", 10_000).await) else {
                return Err("nothing leased after nack".to_string());
            };
            check!(
                l2.value == v("a") && l2.deliveries == 2,
                "after nack: {l2:?} (want a, 2 deliveries)"
            );
            let r = q.nack(l.id).await;
            check!(
                code_of(&r) == "LEASE_LOST",
                "nack of a settled lease gave {}",
                code_of(&r)
            );
            ok!(q.ack(l2.id).await);
            expect_take(&q, "k", Some("b")).await
        }
        "expired_lease_cannot_be_acked" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("k", v("a")).await);
            let Some(l) = ok!(q.try_take_leased("k", 300).await) else {
                return Err("nothing leased".to_string());
            };
            q.advance(600).await;
            let r = q.ack(l.id).await;
            check!(
                code_of(&r) == "LEASE_LOST",
                "ack after expiry gave {}",
                code_of(&r)
            );
            check!(
                ok!(q.len("k").await) == 1,
                "the entry is not queued after a late ack"
            );
            Ok(())
        }
        "extend_keeps_a_lease" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("k", v("a")).await);
            let Some(l) = ok!(q.try_take_leased("k", 600).await) else {
                return Err("nothing leased".to_string());
            };
            q.advance(350).await;
            ok!(q.extend(l.id, 600).await);
            q.advance(350).await; // past the first deadline, before the second
            ok!(q.ack(l.id).await);
            expect_take(&q, "k", None).await
        }
        "bad_lease_length_is_refused" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("k", v("a")).await);
            let r = q.try_take_leased("k", 0).await;
            check!(
                code_of(&r) == "LEASE_INVALID",
                "a 0 ms lease gave {}",
                code_of(&r)
            );
            check!(ok!(q.len("k").await) == 1, "a refused lease took the entry");
            Ok(())
        }
        "unknown_lease_is_lost" => {
            let q = ok!(h.open(&plain).await);
            let never = u64::MAX - 7;
            let r = q.ack(never).await;
            check!(
                code_of(&r) == "LEASE_LOST",
                "ack of an unknown lease gave {}",
                code_of(&r)
            );
            let r = q.nack(never).await;
            check!(
                code_of(&r) == "LEASE_LOST",
                "nack of an unknown lease gave {}",
                code_of(&r)
            );
            Ok(())
        }
        "leases_settle_after_close" => {
            let q = ok!(h.open(&plain).await);
            for s in ["a", "b", "c"] {
                ok!(q.try_push("k", v(s)).await);
            }
            let Some(la) = ok!(q.try_take_leased("k", 10_000).await) else {
                return Err("nothing leased".to_string());
            };
            let Some(lb) = ok!(q.try_take_leased("k", 10_000).await) else {
                return Err("nothing leased".to_string());
            };
            ok!(q.close().await);
            ok!(q.ack(la.id).await);
            ok!(q.nack(lb.id).await);
            expect_take(&q, "k", Some("b")).await?;
            expect_take(&q, "k", Some("c")).await?;
            let r = q.try_take("k").await;
            check!(
                code_of(&r) == "CLOSED",
                "a drained closed queue gave {}",
                code_of(&r)
            );
            Ok(())
        }
        "dead_letter_after_max_deliveries" => {
            let opts = Options {
                max_deliveries: Some(2),
                dead_letter_key: Some("dead".to_string()),
                ..Options::default()
            };
            let q = ok!(h.open(&opts).await);
            ok!(q.try_push("k", v("poison")).await);
            ok!(q.try_push("k", v("fine")).await);
            for round in 1..=2 {
                let Some(l) = ok!(q.try_take_leased("k", 10_000).await) else {
                    return Err(format!("nothing leased in round {round}"));
                };
                check!(l.value == v("poison"), "round {round} leased {l:?}");
                ok!(q.nack(l.id).await);
            }
            expect_take(&q, "dead", Some("poison")).await?;
            expect_take(&q, "k", Some("fine")).await
        }
        "full_push_is_refused_with_the_value" => {
            let opts = Options {
                key_max_entries: Some(2),
                ..Options::default()
            };
            let q = ok!(h.open(&opts).await);
            ok!(q.try_push("k", v("1")).await);
            ok!(q.try_push("k", v("2")).await);
            let r = q.try_push("k", v("3")).await;
            check!(
                code_of(&r) == "BUFFER_FULL",
                "push to a full key gave {}",
                code_of(&r)
            );
            let back = r.err().and_then(|e| e.value);
            check!(
                back == Some(v("3")),
                "the value was not handed back: {}",
                show(&back)
            );
            ok!(q.try_push("other", v("x")).await);
            expect_take(&q, "k", Some("1")).await?;
            ok!(q.try_push("k", v("3")).await);
            check!(ok!(q.len("k").await) == 2, "len after refill");
            Ok(())
        }
        "leased_entries_hold_their_room" => {
            let opts = Options {
                max_entries: Some(1),
                ..Options::default()
            };
            let q = ok!(h.open(&opts).await);
            ok!(q.try_push("k", v("a")).await);
            let Some(l) = ok!(q.try_take_leased("k", 10_000).await) else {
                return Err("nothing leased".to_string());
            };
            let r = q.try_push("k", v("b")).await;
            check!(
                code_of(&r) == "BUFFER_FULL",
                "a leased entry freed its room: {}",
                code_of(&r)
            );
            ok!(q.ack(l.id).await);
            ok!(q.try_push("k", v("b")).await);
            Ok(())
        }
        "bound_of_zero_is_invalid_config" => {
            let opts = Options {
                max_entries: Some(0),
                ..Options::default()
            };
            match h.open(&opts).await {
                Ok(_) => Err("a bound of 0 was accepted".to_string()),
                Err(e) if e.code == "INVALID_CONFIG" => Ok(()),
                Err(e) => Err(format!("a bound of 0 gave {e}")),
            }
        }
        "push_waits_for_room" => {
            let opts = Options {
                key_max_entries: Some(1),
                ..Options::default()
            };
            let q = ok!(h.open(&opts).await);
            ok!(q.try_push("k", v("a")).await);
            let mut w = pin!(q.push("k", v("b")));
            check!(
                poll_once(w.as_mut()).is_pending(),
                "push on a full key resolved"
            );
            expect_take(&q, "k", Some("a")).await?;
            let got = within(&q, PATIENCE_MS, w).await;
            check!(
                got == Some(Ok(())),
                "the waiting push did not go in: {got:?}"
            );
            expect_take(&q, "k", Some("b")).await
        }
        "dropped_push_puts_nothing_in" => {
            let opts = Options {
                key_max_entries: Some(1),
                ..Options::default()
            };
            let q = ok!(h.open(&opts).await);
            ok!(q.try_push("k", v("a")).await);
            {
                let mut w = pin!(q.push("k", v("b")));
                check!(
                    poll_once(w.as_mut()).is_pending(),
                    "push on a full key resolved"
                );
            }
            expect_take(&q, "k", Some("a")).await?;
            q.sleep(50).await;
            expect_take(&q, "k", None).await
        }
        "push_dropped_after_room_frees_puts_nothing_in" => {
            let opts = Options {
                key_max_entries: Some(1),
                ..Options::default()
            };
            let q = ok!(h.open(&opts).await);
            ok!(q.try_push("k", v("a")).await);
            let mut next = pin!(q.push("k", v("c")));
            {
                let mut first = pin!(q.push("k", v("b")));
                check!(
                    poll_once(first.as_mut()).is_pending(),
                    "push on a full key resolved"
                );
                check!(
                    poll_once(next.as_mut()).is_pending(),
                    "push on a full key resolved"
                );
                expect_take(&q, "k", Some("a")).await?; // room for `first`…
            } // …which is dropped before it runs again
            let got = within(&q, PATIENCE_MS, next).await;
            check!(
                got == Some(Ok(())),
                "the room did not pass to the next producer: {got:?}"
            );
            expect_take(&q, "k", Some("c")).await?;
            expect_take(&q, "k", None).await
        }
        "close_refuses_waiting_push_with_the_value" => {
            let opts = Options {
                key_max_entries: Some(1),
                ..Options::default()
            };
            let q = ok!(h.open(&opts).await);
            ok!(q.try_push("k", v("a")).await);
            let mut w = pin!(q.push("k", v("b")));
            check!(
                poll_once(w.as_mut()).is_pending(),
                "push on a full key resolved"
            );
            ok!(q.close().await);
            let got = within(&q, PATIENCE_MS, w).await;
            check!(
                matches!(&got, Some(Err(e)) if e.code == "CLOSED" && e.value == Some(v("b"))),
                "the waiting push did not end with CLOSED and its value: {got:?}"
            );
            Ok(())
        }
        "reopen_keeps_entries_in_order" => {
            let q = ok!(h.open(&plain).await);
            for s in ["a", "b", "c"] {
                ok!(q.try_push("k", v(s)).await);
            }
            ok!(q.try_push("j", v("x")).await);
            let q = ok!(h.reopen(q, &plain).await);
            for s in ["a", "b", "c"] {
                expect_take(&q, "k", Some(s)).await?;
            }
            expect_take(&q, "j", Some("x")).await
        }
        "reopen_returns_unacked_leases" => {
            let q = ok!(h.open(&plain).await);
            for s in ["a", "b", "c"] {
                ok!(q.try_push("k", v(s)).await);
            }
            let Some(_held) = ok!(q.try_take_leased("k", 60_000).await) else {
                return Err("nothing leased".to_string());
            };
            let Some(done) = ok!(q.try_take_leased("k", 60_000).await) else {
                return Err("nothing leased".to_string());
            };
            ok!(q.ack(done.id).await);
            let q = ok!(h.reopen(q, &plain).await);
            let mut got = Vec::new();
            while let Some(val) = ok!(q.try_take("k").await) {
                got.push(String::from_utf8_lossy(&val).into_owned());
                check!(got.len() <= 3, "more entries than were put: {got:?}");
            }
            check!(
                got == ["a", "c"],
                "after reopen: {got:?} (want a back, b gone, c)"
            );
            Ok(())
        }
        "reopen_after_close" => {
            let q = ok!(h.open(&plain).await);
            ok!(q.try_push("k", v("a")).await);
            ok!(q.close().await);
            let q = ok!(h.reopen(q, &plain).await);
            ok!(q.try_push("k", v("b")).await);
            expect_take(&q, "k", Some("a")).await?;
            expect_take(&q, "k", Some("b")).await
        }
        other => Err(format!("no case named {other:?}")),
    }
}

//! The sans-IO engine: FIFO, stamps, hand-off fairness, cancel, leases, bounds, the close rule,
//! bad input. Everything is deterministic: no threads, no clock.

use lindy::grammar::Pattern;
use lindy::queue::{
    Claim, Config, Engine, LeaseError, MatchOrWait, Outcome, PeekOrWait, PushError, PushOrWait,
    Returned, TakeLeasedError, TakeOrWait, TryTakeError, WaiterId,
};

fn waiting<V>(r: Result<TakeOrWait<V>, TryTakeError>) -> WaiterId {
    match r {
        Ok(TakeOrWait::Waiting(id)) => id,
        _ => panic!("expected a waiting taker"),
    }
}

fn waiting_match<V>(r: Result<MatchOrWait<V>, TryTakeError>) -> WaiterId {
    match r {
        Ok(MatchOrWait::Waiting(id)) => id,
        _ => panic!("expected a waiting pattern taker"),
    }
}

fn taken<V>(c: Claim<V>) -> V {
    match c {
        Claim::Taken(t) => t.value,
        Claim::Matched(_, t) => t.value,
        _ => panic!("expected an entry"),
    }
}

fn ready<V, W>(q: &mut Engine<V, W>) -> Vec<WaiterId> {
    std::iter::from_fn(|| q.take_ready().map(|(id, _)| id)).collect()
}

fn pat(s: &str) -> Pattern {
    Pattern::parse(s).unwrap()
}

#[test]
fn fifo_per_key_with_probes_and_counts() {
    let mut q: Engine<u32> = Engine::new();
    assert_eq!(q.try_take("k"), Err(TryTakeError::Empty));
    assert_eq!(q.try_take("k").unwrap_err().code(), "BUFFER_EMPTY");
    for v in 1..=3 {
        assert_eq!(q.try_push("k", v), Ok(Outcome::Queued));
    }
    q.try_push("other", 9).unwrap();
    assert_eq!((q.len("k"), q.total_len()), (3, 4));
    assert_eq!(q.try_peek("k"), Ok(&1));
    let got: Vec<u32> = (0..3).map(|_| q.try_take("k").unwrap().value).collect();
    assert_eq!(got, [1, 2, 3]);
    assert_eq!(q.keys().collect::<Vec<_>>(), ["other"]);
    assert_eq!(q.total_len(), 1);
}

#[test]
fn out_front_is_next_and_put_back_keeps_age_and_deliveries() {
    let mut q: Engine<&str> = Engine::new();
    q.try_push("a", "a1").unwrap();
    q.try_push("b", "b1").unwrap();
    q.try_push("a", "a2").unwrap();
    let a1 = q.try_take("a").unwrap();
    // Put back: a1 is again the oldest entry of the whole engine.
    q.put_back("a", a1.clone()).unwrap();
    assert_eq!(q.try_take("a").unwrap(), a1);
    q.push_front("a", "first").unwrap();
    assert_eq!(q.try_take("a").unwrap().value, "first");
    assert_eq!(q.try_take("a").unwrap().value, "a2");
}

#[test]
fn pattern_take_serves_the_oldest_head_and_put_back_keeps_its_turn() {
    let mut q: Engine<u32> = Engine::new();
    q.try_push("public:app.jobs.b", 1).unwrap();
    q.try_push("public:app.other.x", 2).unwrap();
    q.try_push("public:app.jobs.a", 3).unwrap();
    q.try_push("not a name", 4).unwrap();
    let jobs = pat("public:app.jobs.*");
    let (k, t) = q.try_take_matching(&jobs).unwrap();
    assert_eq!((k.as_str(), t.value), ("public:app.jobs.b", 1));
    // Returned: it is the oldest again, so it is served before 3.
    q.put_back("public:app.jobs.b", t).unwrap();
    assert_eq!(q.try_take_matching(&jobs).unwrap().1.value, 1);
    assert_eq!(q.try_take_matching(&jobs).unwrap().1.value, 3);
    assert_eq!(q.try_take_matching(&jobs), Err(TryTakeError::Empty));
    assert_eq!(q.try_take_matching(&pat("public:**")).unwrap().1.value, 2);
}

#[test]
fn a_waiting_taker_is_handed_the_entry_and_probes_cannot_barge() {
    let mut q: Engine<u32> = Engine::new();
    let first = waiting(q.take_or_wait("k", ()));
    let second = waiting(q.take_or_wait("k", ()));
    assert_eq!(q.claim(first), Claim::Pending);
    assert_eq!(q.try_push("k", 1), Ok(Outcome::Delivered(first)));
    // Nothing is queued for a probe to steal: the woken waiter cannot lose its entry.
    assert_eq!(q.try_take("k"), Err(TryTakeError::Empty));
    assert_eq!(q.try_push("k", 2), Ok(Outcome::Delivered(second)));
    assert_eq!(ready(&mut q), [first, second]);
    assert_eq!(taken(q.claim(second)), 2);
    assert_eq!(taken(q.claim(first)), 1);
    assert_eq!(q.claim(first), Claim::Unknown, "a claimed id is spent");
    assert_eq!(q.waiter_count(), 0);
    assert_eq!(q.key_count(), 0);
}

#[test]
fn key_takers_and_pattern_takers_are_served_by_arrival() {
    let mut q: Engine<u32> = Engine::new();
    let p = pat("public:app.jobs.*");
    let key1 = waiting(q.take_or_wait("public:app.jobs.a", ()));
    let pat2 = waiting_match(q.take_matching_or_wait(&p, ()));
    let key3 = waiting(q.take_or_wait("public:app.jobs.a", ()));
    let pat4 = waiting_match(q.take_matching_or_wait(&p, ()));
    let mut served = Vec::new();
    for v in 0..4 {
        match q.try_push("public:app.jobs.a", v).unwrap() {
            Outcome::Delivered(id) => served.push(id),
            Outcome::Queued => panic!("a taker was waiting"),
        }
    }
    assert_eq!(served, [key1, pat2, key3, pat4]);
    match q.claim(pat2) {
        Claim::Matched(name, t) => assert_eq!((name.as_str(), t.value), ("public:app.jobs.a", 1)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_cancelled_taker_hands_its_entry_to_the_next_waiter_keeping_its_age() {
    let mut q: Engine<u32> = Engine::new();
    let first = waiting(q.take_or_wait("k", ()));
    let second = waiting(q.take_or_wait("k", ()));
    q.try_push("k", 7).unwrap();
    assert_eq!(ready(&mut q), [first]);
    assert_eq!(q.cancel(first), None);
    assert_eq!(ready(&mut q), [second], "handed on");
    assert_eq!(taken(q.claim(second)), 7);

    // With nobody else waiting, it goes back to the head, ahead of later entries.
    let lone = waiting(q.take_or_wait("k", ()));
    q.try_push("k", 8).unwrap();
    q.try_push("k", 9).unwrap();
    q.cancel(lone);
    assert_eq!(q.try_take("k").unwrap().value, 8);
    assert_eq!(q.try_take("k").unwrap().value, 9);
    assert_eq!(q.waiter_count(), 0);
}

#[test]
fn a_cancelled_waiting_taker_leaves_no_trace() {
    let mut q: Engine<u32> = Engine::new();
    let a = waiting(q.take_or_wait("k", ()));
    let b = waiting(q.take_or_wait("k", ()));
    let c = waiting(q.take_or_wait("k", ()));
    q.cancel(b);
    q.try_push("k", 1).unwrap();
    q.try_push("k", 2).unwrap();
    assert_eq!(ready(&mut q), [a, c]);
    q.cancel(a);
    q.cancel(c); // both gave their entries back
    assert_eq!(q.len("k"), 2);
    assert_eq!(q.try_take("k").unwrap().value, 1);
    assert_eq!(q.waiter_count(), 0);
}

#[test]
fn readers_get_a_clone_of_every_arrival_even_one_handed_to_a_taker() {
    let mut q: Engine<String> = Engine::new();
    let r1 = match q.peek_or_wait("cfg", ()).unwrap() {
        PeekOrWait::Waiting(id) => id,
        PeekOrWait::Peeked(_) => unreachable!(),
    };
    let t = waiting(q.take_or_wait("cfg", ()));
    assert_eq!(q.try_push("cfg", "v1".into()), Ok(Outcome::Delivered(t)));
    assert_eq!(ready(&mut q), [r1, t]);
    assert_eq!(q.claim(r1), Claim::Read("v1".to_string()));
    assert_eq!(taken(q.claim(t)), "v1");
    q.try_push("cfg", "v2".into()).unwrap();
    assert_eq!(
        q.peek_or_wait("cfg", ()).unwrap(),
        PeekOrWait::Peeked("v2".into())
    );
}

#[test]
fn leases_ack_nack_expire_and_count_deliveries() {
    let mut q: Engine<&str> = Engine::new();
    q.try_push("jobs", "a").unwrap();
    q.try_push("jobs", "b").unwrap();
    let l = q.try_take_leased("jobs", Some(100), 1_000).unwrap();
    assert_eq!((*l.value, l.deliveries, l.deadline), ("a", 1, 1_100));
    let (id, stamp) = (l.id, l.stamp);
    assert_eq!((q.total_len(), q.leased_len()), (1, 1));
    // nack: back to the head with its age, delivery count kept.
    assert_eq!(q.nack(id), Ok(Returned::Requeued(Outcome::Queued)));
    assert_eq!(q.nack(id), Err(LeaseError::Lost));
    let l = q.try_take_leased("jobs", Some(100), 1_000).unwrap();
    assert_eq!((*l.value, l.deliveries, l.stamp), ("a", 2, stamp));
    let id = l.id;
    // extend, then expire.
    assert_eq!(q.extend(id, Some(500), 1_050), Ok(1_550));
    assert_eq!(q.poll_timeout(), Some(1_550));
    assert_eq!(q.handle_timeout(1_549), 0);
    assert_eq!(q.handle_timeout(1_550), 1);
    assert_eq!(q.poll_timeout(), None);
    assert_eq!(q.ack(id).unwrap_err().code(), "LEASE_LOST");
    let l = q.try_take_leased("jobs", None, 2_000).unwrap();
    assert_eq!((*l.value, l.deliveries), ("a", 3));
    assert_eq!(l.deadline, 2_000 + lindy::queue::DEFAULT_LEASE_MS);
    let id = l.id;
    assert_eq!(q.ack(id).map(|t| t.value), Ok("a"));
    assert_eq!(q.ack(id), Err(LeaseError::Lost));
    assert_eq!(q.try_take("jobs").unwrap().value, "b");
    assert!(q.is_empty());
}

#[test]
fn a_returned_lease_is_handed_to_a_waiting_taker() {
    let mut q: Engine<u32> = Engine::new();
    q.try_push("k", 5).unwrap();
    let id = q.try_take_leased("k", Some(10), 0).unwrap().id;
    let w = waiting(q.take_or_wait("k", ()));
    assert_eq!(q.handle_timeout(10), 1);
    assert_eq!(ready(&mut q), [w]);
    match q.claim(w) {
        Claim::Taken(t) => assert_eq!((t.value, t.deliveries), (5, 1)),
        other => panic!("{other:?}"),
    }
    assert_eq!(q.ack(id), Err(LeaseError::Lost));
}

#[test]
fn poisoned_entries_move_to_the_dead_letter_key() {
    let mut q: Engine<&str> =
        Engine::with_config(Config::new().max_deliveries(2).dead_letter_key("dlq")).unwrap();
    q.try_push("jobs", "poison").unwrap();
    q.try_push("jobs", "fine").unwrap();
    let id = q.try_take_leased("jobs", Some(5), 0).unwrap().id;
    assert_eq!(q.nack(id), Ok(Returned::Requeued(Outcome::Queued)));
    let id = q.try_take_leased("jobs", Some(5), 0).unwrap().id;
    assert_eq!(q.handle_timeout(5), 1);
    assert_eq!(q.len("dlq"), 1);
    let dead = q.try_take("dlq").unwrap();
    assert_eq!((dead.value, dead.deliveries), ("poison", 2));
    assert_eq!(q.try_take("jobs").unwrap().value, "fine");
    assert_eq!(q.ack(id), Err(LeaseError::Lost));
}

#[test]
fn bounds_refuse_with_the_value_and_count_leases_until_ack() {
    let mut q: Engine<Vec<u8>> = Engine::with_config(
        Config::new()
            .max_entries(3)
            .key_max_entries(2)
            .max_bytes(10)
            .weigher(|v: &Vec<u8>| v.len()),
    )
    .unwrap();
    q.try_push("a", vec![1]).unwrap();
    q.try_push("a", vec![2]).unwrap();
    let e = q.try_push("a", vec![3]).unwrap_err();
    assert_eq!(e.code(), "BUFFER_FULL");
    assert_eq!(e.into_inner(), vec![3]);
    let e = q.try_push("b", vec![0; 11]).unwrap_err();
    assert_eq!(e.code(), "VALUE_TOO_LARGE");
    q.try_push("b", vec![0; 8]).unwrap();
    assert_eq!(q.bytes(), 10);
    assert!(matches!(q.try_push("c", vec![]), Err(PushError::Full(_))));
    // A leased entry keeps its room until acknowledged.
    let id = q.try_take_leased("a", Some(10), 0).unwrap().id;
    assert!(matches!(q.try_push("a", vec![4]), Err(PushError::Full(_))));
    assert_eq!(q.ack(id).map(|t| t.value), Ok(vec![1]));
    q.try_push("a", vec![4]).unwrap();
    assert_eq!(q.bytes(), 10);
}

#[test]
fn a_waiting_producer_goes_in_when_room_frees_first_come_first_served() {
    let mut q: Engine<u32> = Engine::with_config(Config::new().key_max_entries(1)).unwrap();
    q.try_push("k", 1).unwrap();
    let p1 = match q.push_or_wait("k", 2, ()).unwrap() {
        PushOrWait::Waiting(id) => id,
        PushOrWait::Done(_) => unreachable!(),
    };
    let p2 = match q.push_or_wait("k", 3, ()).unwrap() {
        PushOrWait::Waiting(id) => id,
        PushOrWait::Done(_) => unreachable!(),
    };
    // Another key is not blocked by k's producers.
    assert!(matches!(
        q.push_or_wait("j", 9, ()),
        Ok(PushOrWait::Done(_))
    ));
    // A plain out of k queues behind the waiting producers: refused.
    assert!(matches!(q.try_push("k", 4), Err(PushError::Full(4))));
    assert_eq!(q.try_take("k").unwrap().value, 1);
    assert_eq!(ready(&mut q), [p1]);
    assert_eq!(q.claim(p1), Claim::Stored);
    assert_eq!(q.try_take("k").unwrap().value, 2);
    assert_eq!(ready(&mut q), [p2]);
    // A cancelled producer gets its value back.
    let p3 = match q.push_or_wait("k", 5, ()).unwrap() {
        PushOrWait::Waiting(id) => id,
        PushOrWait::Done(_) => unreachable!(),
    };
    assert_eq!(q.cancel(p3), Some(5));
    assert_eq!(q.claim(p2), Claim::Stored);
    assert_eq!(q.len("k"), 1);
}

#[test]
fn a_waiting_producer_hands_straight_to_a_new_taker() {
    let mut q: Engine<u32> = Engine::with_config(Config::new().max_entries(1)).unwrap();
    q.try_push("full", 1).unwrap();
    let p = match q.push_or_wait("k", 2, ()).unwrap() {
        PushOrWait::Waiting(id) => id,
        PushOrWait::Done(_) => unreachable!(),
    };
    let t = waiting(q.take_or_wait("k", ()));
    assert_eq!(
        ready(&mut q),
        [p],
        "the producer is let in: a taker waits for its value"
    );
    assert_eq!(q.claim(p), Claim::Stored);
    assert_eq!(ready(&mut q), [t], "its value went straight to the taker");
    assert_eq!(taken(q.claim(t)), 2);
}

#[test]
fn a_producer_dropped_after_room_freed_puts_nothing_in() {
    let mut q: Engine<u32> = Engine::with_config(Config::new().key_max_entries(1)).unwrap();
    q.try_push("k", 1).unwrap();
    let p1 = match q.push_or_wait("k", 2, ()).unwrap() {
        PushOrWait::Waiting(id) => id,
        PushOrWait::Done(_) => unreachable!(),
    };
    let p2 = match q.push_or_wait("k", 3, ()).unwrap() {
        PushOrWait::Waiting(id) => id,
        PushOrWait::Done(_) => unreachable!(),
    };
    assert_eq!(q.try_take("k").unwrap().value, 1);
    assert_eq!(ready(&mut q), [p1], "room is reserved for p1");
    assert!(
        matches!(q.try_push("k", 9), Err(PushError::Full(9))),
        "the reserved room is p1's"
    );
    // p1 is dropped before it claims: its value comes back and the room goes to p2.
    assert_eq!(q.cancel(p1), Some(2));
    assert_eq!(q.len("k"), 0, "nothing went in for p1");
    assert_eq!(ready(&mut q), [p2]);
    assert_eq!(q.claim(p2), Claim::Stored);
    assert_eq!(q.try_take("k").unwrap().value, 3);
    // Admitted, then closed before it claims: refused with its value, nothing went in.
    q.try_push("k", 4).unwrap();
    let p3 = match q.push_or_wait("k", 5, ()).unwrap() {
        PushOrWait::Waiting(id) => id,
        PushOrWait::Done(_) => unreachable!(),
    };
    q.try_take("k").unwrap();
    q.close();
    assert_eq!(ready(&mut q), [p3]);
    assert_eq!(q.claim(p3), Claim::Refused(5));
    assert_eq!(q.try_take("k"), Err(TryTakeError::Closed));
}

#[test]
fn the_close_rule() {
    let mut q: Engine<u32> = Engine::new();
    q.try_push("k", 1).unwrap();
    q.try_push("k", 2).unwrap();
    let lease = q.try_take_leased("k", Some(10), 0).unwrap().id;
    let waiter = waiting(q.take_or_wait("empty", ()));
    let pwaiter = waiting_match(q.take_matching_or_wait(&pat("public:**"), ()));
    q.close();
    q.close(); // idempotent
    assert!(q.is_closed());
    assert_eq!(ready(&mut q), [waiter, pwaiter]);
    assert_eq!(q.claim(waiter), Claim::Closed);
    assert_eq!(q.claim(pwaiter), Claim::Closed);
    // out refused with the value handed back.
    let e = q.try_push("k", 3).unwrap_err();
    assert_eq!((e.code(), e.into_inner()), ("CLOSED", 3));
    assert!(matches!(q.push_front("k", 4), Err(PushError::Closed(4))));
    // takes drain, then report closed.
    assert!(matches!(q.take_or_wait("k", ()), Ok(TakeOrWait::Taken(t)) if t.value == 2));
    assert_eq!(q.try_take("k"), Err(TryTakeError::Closed));
    assert_eq!(q.take_or_wait("k", ()), Err(TryTakeError::Closed));
    // leases still settle; a returned entry is queued for draining.
    assert_eq!(q.nack(lease), Ok(Returned::Requeued(Outcome::Queued)));
    assert_eq!(q.try_take("k").unwrap().value, 1);
    assert_eq!(q.try_take("k").unwrap_err().code(), "CLOSED");
    assert_eq!(q.waiter_count(), 0);
    assert_eq!(q.key_count(), 0);
}

#[test]
fn close_refuses_waiting_producers_with_their_values() {
    let mut q: Engine<u32> = Engine::with_config(Config::new().max_entries(1)).unwrap();
    q.try_push("k", 1).unwrap();
    let p = match q.push_or_wait("k", 2, ()).unwrap() {
        PushOrWait::Waiting(id) => id,
        PushOrWait::Done(_) => unreachable!(),
    };
    q.close();
    assert_eq!(ready(&mut q), [p]);
    assert_eq!(q.claim(p), Claim::Refused(2));
}

#[test]
fn bad_input_gets_coded_errors_and_takes_nothing() {
    let mut q: Engine<u32> = Engine::new();
    q.try_push("k", 1).unwrap();
    for bad in [
        Some(0),
        Some(lindy::queue::MAX_LEASE_MS + 1),
        Some(u64::MAX),
    ] {
        let e = q.try_take_leased("k", bad, 0).unwrap_err();
        assert_eq!(e, TakeLeasedError::Invalid);
        assert_eq!(e.code(), "LEASE_INVALID");
    }
    assert_eq!(q.len("k"), 1, "nothing was taken");
    let id = q.try_take_leased("k", Some(1), u64::MAX).unwrap().id;
    assert_eq!(q.poll_timeout(), Some(u64::MAX), "the deadline saturates");
    assert_eq!(
        q.extend(id, Some(0), 0).unwrap_err().code(),
        "LEASE_INVALID"
    );
    let never = lindy::queue::LeaseId::from_u64(999);
    assert_eq!(q.ack(never).unwrap_err().code(), "LEASE_LOST");
    assert_eq!(q.nack(never).unwrap_err().code(), "LEASE_LOST");
    assert_eq!(q.extend(never, None, 0).unwrap_err().code(), "LEASE_LOST");
    assert_eq!(q.claim(WaiterId::from_u64(12345)), Claim::Unknown);
    assert_eq!(q.cancel(WaiterId::from_u64(12345)), None);

    for config in [
        Config::<u32>::new().max_entries(0),
        Config::new().key_max_entries(0),
        Config::new().max_bytes(0).weigher(|_| 1),
        Config::new().key_max_bytes(1),
        Config::new().default_lease_ms(0),
        Config::new().max_deliveries(0),
        Config::new().max_deliveries(1).dead_letter_key(""),
    ] {
        let e = Engine::<u32>::with_config(config).unwrap_err();
        assert_eq!(e.code(), "INVALID_CONFIG", "{e}");
    }
}

#[test]
fn stale_waiter_ids_never_reach_a_reused_slot() {
    let mut q: Engine<u32> = Engine::new();
    let a = waiting(q.take_or_wait("k", ()));
    q.cancel(a);
    let b = waiting(q.take_or_wait("k", ()));
    assert_ne!(a, b);
    assert_eq!(q.claim(a), Claim::Unknown);
    assert_eq!(q.cancel(a), None);
    assert!(q.is_waiting(b));
}

#[test]
fn stale_waiter_ids_stay_stale_after_the_slab_is_given_back() {
    let mut q: Engine<u32> = Engine::new();
    let ids: Vec<WaiterId> = (0..100)
        .map(|i| waiting(q.take_or_wait(&format!("k{i}"), ())))
        .collect();
    for &id in &ids {
        q.cancel(id);
    }
    assert_eq!(q.waiter_count(), 0);
    let fresh: Vec<WaiterId> = (0..100)
        .map(|i| waiting(q.take_or_wait(&format!("k{i}"), ())))
        .collect();
    for (old, new) in ids.iter().zip(&fresh) {
        assert_ne!(old, new);
        assert_eq!(q.claim(*old), Claim::Unknown);
        assert_eq!(q.cancel(*old), None);
    }
    assert!(fresh.iter().all(|&id| q.is_waiting(id)));
}

#[test]
fn restore_rebuilds_a_queue_with_ages_and_delivery_counts() {
    use lindy::queue::{Stamp, Taken};
    let mut q: Engine<&str> = Engine::with_config(Config::new().max_entries(1)).unwrap();
    for (stamp, v) in [(10, "a"), (11, "b")] {
        q.restore(
            "k",
            Taken {
                value: v,
                stamp: Stamp::from_u64(stamp),
                deliveries: 2,
            },
        );
    }
    // Above the bound (nothing stored is refused); later stamps are younger.
    assert_eq!(q.total_len(), 2);
    q.restore(
        "public:x.y",
        Taken {
            value: "old",
            stamp: Stamp::from_u64(5),
            deliveries: 0,
        },
    );
    let a = q.try_take("k").unwrap();
    assert_eq!((a.value, a.stamp.as_u64(), a.deliveries), ("a", 10, 2));
    assert!(matches!(q.try_push("k", "full"), Err(PushError::Full(_))));
    q.try_take("k").unwrap();
    q.try_take("public:x.y").unwrap();
    q.try_push("k", "c").unwrap();
    assert!(q.try_take("k").unwrap().stamp.as_u64() > 11);
}

#[test]
fn waiter_ids_are_exact_as_javascript_numbers() {
    let mut q: Engine<u32> = Engine::new();
    for _ in 0..5_000 {
        let id = waiting(q.take_or_wait("k", ()));
        assert!(id.as_u64() < 1 << 53);
        assert_eq!(WaiterId::from_u64(id.as_u64() as f64 as u64), id);
        q.cancel(id);
    }
}

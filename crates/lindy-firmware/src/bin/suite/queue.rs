//! The space over the queue engine: leases (ack, nack, expiry on a given `now`, dead letters),
//! bounds (entries, bytes, per key) and the waiting `out` of a bounded space.

use alloc::vec;
use alloc::vec::Vec;
use core::pin::pin;
use core::task::Poll;

use lindy::queue::{Config, PushError, Returned, TakeLeasedError};
use lindy::space::LocalSpace;
use lindy_firmware::harness::{Case, Outcome};
use lindy_firmware::wake::{poll_with, wakes};
use lindy_firmware::{cases, ensure, ensure_eq};

pub const CASES: [Case; 6] = cases![
    an_acked_lease_is_gone_and_a_nacked_one_is_back_at_the_head,
    an_expired_lease_comes_back_at_its_deadline_and_not_before,
    an_entry_delivered_too_often_goes_to_the_dead_letter_key,
    bounds_hand_the_value_back_with_a_code,
    a_waiting_out_gets_room_when_a_taker_frees_it,
    out_front_jumps_the_queue_and_a_waiting_taker_gets_it_directly,
];

fn an_acked_lease_is_gone_and_a_nacked_one_is_back_at_the_head() -> Outcome {
    let space: LocalSpace<u32> = LocalSpace::new();
    space.try_push("jobs", 1).unwrap();
    space.try_push("jobs", 2).unwrap();
    let first = space.try_take_leased("jobs", Some(1_000), 0).unwrap();
    ensure_eq!(
        (first.value, first.deliveries, first.deadline),
        (1, 1, 1_000)
    );
    ensure_eq!((space.len("jobs"), space.leased_len()), (1, 1));
    let second = space.try_take_leased("jobs", None, 0).unwrap();
    ensure_eq!(second.value, 2);
    ensure!(matches!(space.nack(second.id), Ok(Returned::Requeued(_))));
    space.ack(first.id).unwrap();
    ensure_eq!(space.ack(first.id).unwrap_err().code(), "LEASE_LOST"); // settled once
    ensure_eq!(space.try_take("jobs"), Some(2));
    let err = space.try_take_leased("jobs", Some(0), 0).unwrap_err();
    ensure_eq!(
        (err, err.code()),
        (TakeLeasedError::Invalid, "LEASE_INVALID")
    );
    ensure_eq!(
        space.try_take_leased("jobs", None, 0).unwrap_err().code(),
        "BUFFER_EMPTY"
    );
    Ok(())
}

fn an_expired_lease_comes_back_at_its_deadline_and_not_before() -> Outcome {
    let space: LocalSpace<&str> = LocalSpace::new();
    space.try_push("jobs", "a").unwrap();
    space.try_push("jobs", "b").unwrap();
    let lease = space.try_take_leased("jobs", Some(500), 1_000).unwrap();
    ensure_eq!(space.poll_timeout(), Some(1_500));
    ensure_eq!(space.extend(lease.id, Some(1_000), 1_200), Ok(2_200));
    ensure_eq!(space.handle_timeout(2_199), 0);
    // A taker waits on the key: the expired entry is handed straight to it, at the head's age.
    ensure_eq!(space.try_take("jobs"), Some("b"));
    let mut take = pin!(space.take("jobs"));
    ensure!(poll_with(take.as_mut(), 0).is_pending());
    ensure_eq!(space.handle_timeout(2_200), 1);
    ensure_eq!(wakes(0), 1);
    ensure_eq!(poll_with(take.as_mut(), 0), Poll::Ready(Ok("a")));
    ensure_eq!(space.poll_timeout(), None);
    ensure_eq!(space.ack(lease.id).unwrap_err().code(), "LEASE_LOST"); // too late
    Ok(())
}

fn an_entry_delivered_too_often_goes_to_the_dead_letter_key() -> Outcome {
    let space = LocalSpace::<u32>::with_config(
        Config::new()
            .max_deliveries(2)
            .dead_letter_key("public:app.dead"),
    )
    .unwrap();
    space.try_push("jobs", 7).unwrap();
    let l1 = space.try_take_leased("jobs", Some(10), 0).unwrap();
    ensure!(matches!(space.nack(l1.id), Ok(Returned::Requeued(_))));
    let l2 = space.try_take_leased("jobs", Some(10), 0).unwrap();
    ensure_eq!(l2.deliveries, 2);
    ensure!(matches!(space.nack(l2.id), Ok(Returned::DeadLettered(_))));
    ensure_eq!(space.len("jobs"), 0);
    ensure_eq!(space.try_take("public:app.dead"), Some(7));
    Ok(())
}

fn bounds_hand_the_value_back_with_a_code() -> Outcome {
    let config = Config::new()
        .max_entries(3)
        .key_max_bytes(8)
        .weigher(|v: &Vec<u8>| v.len());
    let space: LocalSpace<Vec<u8>> = LocalSpace::with_config(config).unwrap();
    space.try_push("a", vec![1; 8]).unwrap();
    let full = space.try_push("a", vec![2]).unwrap_err();
    ensure_eq!(full.code(), "BUFFER_FULL");
    ensure_eq!(full.into_inner(), [2]);
    let big = space.try_push("b", vec![3; 9]).unwrap_err();
    ensure!(matches!(big, PushError::TooLarge(_)));
    ensure_eq!(big.code(), "VALUE_TOO_LARGE");
    space.try_push("b", vec![4]).unwrap();
    space.try_push("c", vec![5]).unwrap();
    ensure_eq!(
        space.try_push("d", vec![6]).unwrap_err().code(),
        "BUFFER_FULL"
    ); // three in all
       // A leased entry keeps its room until it is acknowledged.
    let lease = space.try_take_leased("c", None, 0).unwrap();
    ensure_eq!(
        space.try_push("d", vec![6]).unwrap_err().code(),
        "BUFFER_FULL"
    );
    space.ack(lease.id).unwrap();
    space.try_push("d", vec![6]).unwrap();
    let bad = LocalSpace::<u8>::with_config(Config::new().max_entries(0)).unwrap_err();
    ensure_eq!(bad.code(), "INVALID_CONFIG");
    Ok(())
}

fn a_waiting_out_gets_room_when_a_taker_frees_it() -> Outcome {
    let space = LocalSpace::<u32>::with_config(Config::new().key_max_entries(1)).unwrap();
    space.try_push("k", 1).unwrap();
    let mut second = pin!(space.push("k", 2));
    ensure!(poll_with(second.as_mut(), 0).is_pending());
    {
        // A cancelled waiting out takes its value back out of the waiting room.
        let mut cancelled = pin!(space.push("k", 99));
        ensure!(poll_with(cancelled.as_mut(), 1).is_pending());
    }
    ensure_eq!(space.try_take("k"), Some(1));
    ensure_eq!(wakes(0), 1);
    ensure_eq!(poll_with(second.as_mut(), 0), Poll::Ready(Ok(())));
    ensure_eq!(space.try_take("k"), Some(2));
    ensure_eq!(space.try_take("k"), None); // 99 never went in
    space.close();
    let mut late = pin!(space.push("k", 3));
    ensure!(matches!(
        poll_with(late.as_mut(), 0),
        Poll::Ready(Err(PushError::Closed(3)))
    ));
    Ok(())
}

fn out_front_jumps_the_queue_and_a_waiting_taker_gets_it_directly() -> Outcome {
    let space: LocalSpace<u32> = LocalSpace::new();
    space.try_push("k", 1).unwrap();
    space.push_front("k", 0).unwrap();
    ensure_eq!(space.try_take("k"), Some(0));
    ensure_eq!(space.try_take("k"), Some(1));
    let mut take = pin!(space.take("k"));
    ensure!(poll_with(take.as_mut(), 0).is_pending());
    space.try_push("k", 5).unwrap();
    // Handed over, not queued: a barging probe cannot steal it from the woken taker.
    ensure_eq!(space.try_take("k"), None);
    ensure_eq!(poll_with(take.as_mut(), 0), Poll::Ready(Ok(5)));
    Ok(())
}

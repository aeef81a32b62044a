//! `LocalSpace` as a driver of the queue engine: back-pressure across threads, leases that wake
//! waiting takers when they come back, bounds, put-back, the key handle, and bad input.

use std::sync::Arc;
use std::thread;

use lindy::queue::{Config, LeaseError, Returned, TakeLeasedError};
use lindy::space::LocalSpace;

#[test]
fn out_wait_applies_back_pressure_across_threads_and_loses_nothing() {
    const N: u64 = 20_000;
    let space = Arc::new(LocalSpace::<u64>::with_config(Config::new().key_max_entries(8)).unwrap());
    let producers: Vec<_> = (0..3u64)
        .map(|p| {
            let space = space.clone();
            thread::spawn(move || {
                futures::executor::block_on(async {
                    for i in 0..N {
                        space.push("jobs", p * N + i).await.unwrap();
                        assert!(space.len("jobs") <= 8, "the bound holds");
                    }
                })
            })
        })
        .collect();
    let mut got = Vec::with_capacity(3 * N as usize);
    while got.len() < 3 * N as usize {
        got.push(space.take_blocking("jobs").unwrap());
    }
    producers.into_iter().for_each(|h| h.join().unwrap());
    // Each producer's values arrive in its own order.
    for p in 0..3u64 {
        let mine: Vec<u64> = got.iter().copied().filter(|v| v / N == p).collect();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "producer {p} reordered"
        );
    }
    got.sort_unstable();
    assert_eq!(got, (0..3 * N).collect::<Vec<_>>());
}

#[test]
fn a_dropped_out_wait_takes_its_value_back_out() {
    let space = LocalSpace::<String>::with_config(Config::new().max_entries(1)).unwrap();
    space.try_push("k", "a".into()).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = tokio::time::timeout(
            std::time::Duration::from_millis(10),
            space.push("k", "b".into()),
        )
        .await;
        assert!(r.is_err(), "no room: timed out");
    });
    assert_eq!(space.try_take("k").as_deref(), Some("a"));
    assert_eq!(
        space.try_take("k"),
        None,
        "the dropped out_wait left nothing behind"
    );
    // A closed space refuses a waiting out with the value.
    space.try_push("k", "c".into()).unwrap();
    let mut w = Box::pin(space.push("k", "d".into()));
    let waker = std::task::Waker::noop();
    assert!(w
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker))
        .is_pending());
    space.close();
    match futures::executor::block_on(w) {
        Err(e) => assert_eq!((e.code(), e.into_inner()), ("CLOSED", "d".to_string())),
        Ok(()) => panic!("a closed space took the value"),
    }
    use std::future::Future;
}

#[test]
fn an_expired_lease_is_handed_to_a_waiting_taker() {
    let space = Arc::new(LocalSpace::<&str>::new());
    space.try_push("jobs", "resize").unwrap();
    let lease = space.try_take_leased("jobs", Some(100), 0).unwrap();
    let waiter = {
        let space = space.clone();
        thread::spawn(move || space.take_blocking("jobs"))
    };
    // The worker died: its lease expires and the job goes to the waiting taker.
    while space.handle_timeout(100) == 0 && space.leased_len() > 0 {
        thread::yield_now();
    }
    assert_eq!(waiter.join().unwrap(), Ok("resize"));
    assert_eq!(space.ack(lease.id), Err(LeaseError::Lost));
}

#[test]
fn leases_through_the_space() {
    let space = LocalSpace::<String>::with_config(
        Config::new().max_deliveries(2).dead_letter_key("jobs.dead"),
    )
    .unwrap();
    space.try_push("jobs", "a".into()).unwrap();
    let l = space.try_take_leased("jobs", Some(1_000), 0).unwrap();
    assert_eq!(
        (l.value.as_str(), l.deliveries, l.deadline),
        ("a", 1, 1_000)
    );
    assert_eq!(space.extend(l.id, Some(2_000), 500), Ok(2_500));
    assert_eq!(space.poll_timeout(), Some(2_500));
    assert!(matches!(space.nack(l.id), Ok(Returned::Requeued(_))));
    let l = space.try_take_leased("jobs", None, 0).unwrap();
    assert_eq!(l.deliveries, 2);
    assert!(matches!(space.nack(l.id), Ok(Returned::DeadLettered(_))));
    assert_eq!(space.try_take("jobs.dead").as_deref(), Some("a"));
    assert_eq!(
        space.try_take_leased("jobs", Some(0), 0),
        Err(TakeLeasedError::Invalid)
    );
    assert_eq!(
        space.try_take_leased("jobs", None, 0),
        Err(TakeLeasedError::Empty)
    );
    space.close();
    assert_eq!(
        space.try_take_leased("jobs", None, 0).unwrap_err().code(),
        "CLOSED"
    );
}

#[test]
fn out_front_and_the_key_handle() {
    let space = LocalSpace::<u32>::new();
    let jobs = space.key("jobs");
    jobs.try_push(1).unwrap();
    jobs.try_push(2).unwrap();
    jobs.push_front(0).unwrap();
    assert_eq!(jobs.len(), 3);
    assert_eq!(
        [jobs.try_take(), jobs.try_take(), jobs.try_take()],
        [Some(0), Some(1), Some(2)]
    );
    assert!(jobs.is_empty());
    jobs.try_push(7).unwrap();
    assert_eq!(futures::executor::block_on(jobs.peek()), Ok(7));
    assert_eq!(futures::executor::block_on(jobs.take()), Ok(7));
    assert_eq!(jobs.name(), "jobs");
}

#[test]
fn bounds_and_bad_configuration() {
    let space = LocalSpace::<Vec<u8>>::with_config(
        Config::new().max_bytes(4).weigher(|v: &Vec<u8>| v.len()),
    )
    .unwrap();
    space.try_push("k", vec![1, 2, 3]).unwrap();
    let e = space.try_push("k", vec![4, 5]).unwrap_err();
    assert_eq!((e.code(), e.into_inner()), ("BUFFER_FULL", vec![4, 5]));
    let e = space.try_push("k", vec![0; 5]).unwrap_err();
    assert_eq!(e.code(), "VALUE_TOO_LARGE");
    for bad in [
        Config::<u8>::new().max_entries(0),
        Config::new().key_max_bytes(1),
        Config::new().default_lease_ms(lindy::queue::MAX_LEASE_MS + 1),
    ] {
        assert_eq!(
            LocalSpace::<u8>::with_config(bad).unwrap_err().code(),
            "INVALID_CONFIG"
        );
    }
}

#[test]
fn a_waiting_leased_take_starts_its_lease_when_it_resolves() {
    use std::future::Future;
    use std::sync::atomic::{AtomicU64, Ordering};
    let space = LocalSpace::<&str>::new();
    let now = AtomicU64::new(10);
    let clock = || now.load(Ordering::SeqCst);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut take = Box::pin(space.take_leased("jobs", Some(100), clock));
    assert!(take.as_mut().poll(&mut cx).is_pending());
    now.store(500, Ordering::SeqCst);
    space.try_push("jobs", "a").unwrap();
    let lease = match take.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(l) => l.unwrap(),
        std::task::Poll::Pending => panic!("handed an entry, still pending"),
    };
    assert_eq!(
        (lease.value, lease.deliveries, lease.deadline),
        ("a", 1, 600)
    );
    assert_eq!(space.leased_len(), 1);
    // Dropped after being handed an entry: the entry is back, no lease made.
    let mut dropped = Box::pin(space.take_leased("jobs", None, clock));
    assert!(dropped.as_mut().poll(&mut cx).is_pending());
    space.try_push("jobs", "b").unwrap();
    drop(dropped);
    assert_eq!((space.len("jobs"), space.leased_len()), (1, 1));
    // A bad length is refused before anything is taken.
    let bad = futures::executor::block_on(space.take_leased("jobs", Some(0), clock));
    assert_eq!(bad.unwrap_err().code(), "LEASE_INVALID");
    assert_eq!(space.len("jobs"), 1);
}

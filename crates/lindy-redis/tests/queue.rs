//! RedisQueue against real servers (`make redis-test`).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use lindy_redis::{Connection, QueueConfig, RedisQueue};

fn config(visibility_ms: u64, max_deliveries: u32) -> QueueConfig {
    QueueConfig {
        visibility: Duration::from_millis(visibility_ms),
        max_deliveries,
        poll_interval: Duration::from_millis(50),
        ..QueueConfig::default()
    }
}

async fn push_pull_fifo(conn: Connection) {
    let name = common::unique("q");
    let q = RedisQueue::open(&conn, &name).await.unwrap();
    assert_eq!(q.try_take("k").await.unwrap(), None, "no stream yet");
    for i in 0..10 {
        q.push("k", format!("v{i}")).await.unwrap();
    }
    assert_eq!(q.len("k").await.unwrap(), 10);
    for i in 0..10 {
        assert_eq!(q.take("k").await.unwrap(), format!("v{i}"));
    }
    assert_eq!(q.try_take("k").await.unwrap(), None);
    tokio::time::sleep(Duration::from_millis(100)).await; // the acks of `pull` land
    assert_eq!(q.len("k").await.unwrap(), 0, "acked entries are deleted");
    let e = q.push("k", vec![0u8; (1 << 20) + 1]).await.unwrap_err();
    assert_eq!(e.code(), "VALUE_TOO_LARGE");
    assert_eq!(q.push("", "x").await.unwrap_err().code(), "KEY_INVALID");
    q.destroy(&["k"]).await.unwrap();
}
both!(fifo, push_pull_fifo);

async fn visibility_and_dead_letters(conn: Connection) {
    let name = common::unique("q");
    let a = RedisQueue::open_with(&conn, &name, config(150, 3))
        .await
        .unwrap();
    let b = RedisQueue::open_with(&conn, &name, config(150, 3))
        .await
        .unwrap();
    assert_ne!(a.consumer_id(), b.consumer_id(), "consumer ids are unique");
    a.push("k", "x").await.unwrap();
    a.push("k", "y").await.unwrap();
    // a leases x and "dies" (never settles): pending until the timeout, then b claims it first.
    let x1 = a.take_leased("k").await.unwrap();
    assert_eq!((x1.value().as_ref(), x1.deliveries()), (&b"x"[..], 1));
    assert_eq!(a.pending("k").await.unwrap(), 1);
    let y = b.take_leased("k").await.unwrap();
    assert_eq!(y.value(), "y", "x is still leased to a");
    b.ack(&y).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let x2 = b.take_leased("k").await.unwrap();
    assert_eq!((x2.value().as_ref(), x2.deliveries()), (&b"x"[..], 2));
    assert_eq!(
        a.ack(&x1).await.unwrap_err().code(),
        "LEASE_LOST",
        "a's lease is gone"
    );
    // nack: free again at once, ahead of newer entries.
    a.push("k", "z").await.unwrap();
    b.nack(&x2).await.unwrap();
    let x3 = a.take_leased("k").await.unwrap();
    assert_eq!((x3.value().as_ref(), x3.deliveries()), (&b"x"[..], 3));
    a.nack(&x3).await.unwrap();
    // Delivered 3 times: the next pull dead-letters it and serves z.
    let z = b.take_leased("k").await.unwrap();
    assert_eq!(z.value(), "z");
    let dead = a.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (
            dead[0].key.as_str(),
            dead[0].value.as_ref(),
            dead[0].deliveries
        ),
        ("k", &b"x"[..], 3)
    );
    b.ack(&z).await.unwrap();
    assert_eq!(b.ack(&y).await.unwrap_err().code(), "LEASE_LOST", "settled");
    assert_eq!(a.len("k").await.unwrap(), 0);
    a.destroy(&["k"]).await.unwrap();
}
both!(visibility, visibility_and_dead_letters);

async fn waiting_pull_and_cancel(conn: Connection) {
    let name = common::unique("q");
    let producer = RedisQueue::open(&conn, &name).await.unwrap();
    let consumer = RedisQueue::open_with(&conn, &name, config(60_000, 0))
        .await
        .unwrap();
    let waiter = {
        let c = consumer.clone();
        tokio::spawn(async move { c.take("k").await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    producer.push("k", "woken").await.unwrap();
    assert_eq!(waiter.await.unwrap(), "woken");

    // Pulls cut off at every point lose nothing (a delivery to a dropped pull is nacked).
    let n = 200u32;
    for i in 0..n {
        producer.push("k", i.to_string()).await.unwrap();
    }
    let mut got = HashSet::new();
    let mut cut = 0u32;
    while got.len() < n as usize {
        let budget = Duration::from_micros(50 << (cut % 12)); // 50 µs .. 100 ms, cycling
        match tokio::time::timeout(budget, consumer.take_leased("k")).await {
            Ok(d) => {
                let d = d.unwrap();
                assert!(got.insert(d.value().clone()), "each entry once");
                consumer.ack(&d).await.unwrap();
            }
            Err(_) => cut += 1,
        }
    }
    assert!(cut > 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(consumer.try_take("k").await.unwrap(), None);
    assert_eq!(consumer.len("k").await.unwrap(), 0);
    let want: HashSet<Bytes> = (0..n).map(|i| Bytes::from(i.to_string())).collect();
    assert_eq!(got, want);
    producer.destroy(&["k"]).await.unwrap();
}
both!(waiting, waiting_pull_and_cancel);

//! RedisSpace against real servers: standalone and a 3-master cluster (`make redis-test`).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use lindy::grammar::Pattern;
use lindy_redis::{Connection, Nacked, RedisSpace, SpaceConfig};

async fn space(conn: &Connection) -> RedisSpace {
    RedisSpace::open(conn, &common::unique("space"))
        .await
        .unwrap()
}

async fn fifo_per_key(conn: Connection) {
    let s = space(&conn).await;
    for i in 0..5 {
        s.push("jobs", format!("j{i}")).await.unwrap();
    }
    s.push("other", "o").await.unwrap();
    assert_eq!(s.len("jobs").await.unwrap(), 5);
    assert_eq!(s.try_peek("jobs").await.unwrap().unwrap(), "j0");
    assert_eq!(s.peek("jobs").await.unwrap(), "j0");
    for i in 0..5 {
        assert_eq!(s.take("jobs").await.unwrap(), format!("j{i}"));
    }
    assert_eq!(s.try_take("jobs").await.unwrap(), None);
    assert_eq!(s.try_peek("jobs").await.unwrap(), None);
    assert_eq!(s.keys().await.unwrap(), vec!["other".to_string()]);
    // Binary values survive, including the separators the scripts use.
    let bin = Bytes::from_static(b"\0:1:2:\xff\n");
    s.push("bin", bin.clone()).await.unwrap();
    assert_eq!(s.take("bin").await.unwrap(), bin);
    s.destroy().await.unwrap();
}
both!(fifo, fifo_per_key);

async fn close_rules(conn: Connection) {
    let s = space(&conn).await;
    let other = RedisSpace::open(&conn, s.name()).await.unwrap();
    s.push("k", "a").await.unwrap();
    s.push("k", "b").await.unwrap();
    let waiter = {
        let other = other.clone();
        tokio::spawn(async move { other.take("empty").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.close().await.unwrap();
    let err = waiter.await.unwrap().unwrap_err();
    assert_eq!(
        err.code(),
        "CLOSED",
        "the close broadcast wakes waiters of other handles"
    );
    assert!(other.is_closed());
    let back = s.push("k", "late").await.unwrap_err();
    assert_eq!(back.code(), "CLOSED");
    assert_eq!(back.into_inner(), "late", "the value is handed back");
    // The close rule: takes drain what is queued, then fail with CLOSED.
    assert_eq!(s.peek("k").await.unwrap(), "a");
    assert_eq!(s.take("k").await.unwrap(), "a", "a waiting take drains");
    assert_eq!(
        s.try_take("k").await.unwrap().unwrap(),
        "b",
        "so does try_take"
    );
    assert_eq!(s.take("k").await.unwrap_err().code(), "CLOSED");
    assert_eq!(s.try_take("k").await.unwrap_err().code(), "CLOSED");
    assert_eq!(s.peek("k").await.unwrap_err().code(), "CLOSED");
    assert_eq!(s.try_peek("k").await.unwrap(), None);
    s.reopen().await.unwrap();
    s.push("k", "again").await.unwrap();
    assert_eq!(s.take("k").await.unwrap(), "again");
    s.close().await.unwrap(); // idempotent
    s.destroy().await.unwrap();
}
both!(close, close_rules);

async fn blocking_take_across_handles(conn: Connection) {
    let s = space(&conn).await;
    let consumer = RedisSpace::open(&conn, s.name()).await.unwrap();
    let n = 200;
    let got = tokio::spawn(async move {
        let mut got = Vec::new();
        for _ in 0..n {
            got.push(consumer.take("q").await.unwrap());
        }
        got
    });
    for i in 0..n {
        s.push("q", format!("{i}")).await.unwrap();
        if i % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let got = got.await.unwrap();
    let want: Vec<Bytes> = (0..n).map(|i| Bytes::from(format!("{i}"))).collect();
    assert_eq!(got, want);
    s.destroy().await.unwrap();
}
both!(blocking, blocking_take_across_handles);

async fn cancelled_takes_lose_nothing(conn: Connection) {
    let s = space(&conn).await;
    let n = 300u32;
    let producer = {
        let s = s.clone();
        tokio::spawn(async move {
            for i in 0..n {
                s.push("c", i.to_string()).await.unwrap();
                if i % 10 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    // Takes that are cut off at every point of their life: before, during and after the script.
    let mut got = Vec::new();
    let mut cut = 0u32;
    while got.len() < n as usize {
        let budget = Duration::from_micros(50 << (cut % 12)); // 50 µs .. 100 ms, cycling
        match tokio::time::timeout(budget, s.take("c")).await {
            Ok(v) => got.push(v.unwrap()),
            Err(_) => cut += 1,
        }
    }
    producer.await.unwrap();
    // Give restores spawned by cancelled takes time to land, then nothing may remain.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(s.len("c").await.unwrap(), 0);
    let uniq: HashSet<Bytes> = got.iter().cloned().collect();
    assert_eq!(
        uniq.len(),
        n as usize,
        "every entry once, none lost ({cut} takes cut off)"
    );
    assert!(cut > 0, "the test cut some takes off");
    s.destroy().await.unwrap();
}
both!(cancel, cancelled_takes_lose_nothing);

async fn pattern_take_oldest_first(conn: Connection) {
    let s = space(&conn).await;
    s.push("public:app.jobs.b", "b1").await.unwrap();
    s.push("public:app.other.x", "x1").await.unwrap();
    s.push("public:app.jobs.a", "a1").await.unwrap();
    s.push("public:app.jobs.b", "b2").await.unwrap();
    s.push("not a channel", "n").await.unwrap();
    let p = Pattern::parse("public:app.jobs.*").unwrap();
    let mut order = Vec::new();
    while let Some((name, v)) = s.try_take_matching(&p).await.unwrap() {
        order.push((name.as_str().to_owned(), v));
    }
    assert_eq!(
        order,
        vec![
            ("public:app.jobs.b".to_owned(), Bytes::from("b1")),
            ("public:app.jobs.a".to_owned(), Bytes::from("a1")),
            ("public:app.jobs.b".to_owned(), Bytes::from("b2")),
        ]
    );
    // A waiting pattern take is woken by an out on a matching key from another handle.
    let other = RedisSpace::open(&conn, s.name()).await.unwrap();
    let waiter = tokio::spawn(async move { other.take_matching(&p).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(50)).await;
    s.push("public:app.jobs.c", "c1").await.unwrap();
    let (name, v) = waiter.await.unwrap();
    assert_eq!(
        (name.as_str(), v.as_ref()),
        ("public:app.jobs.c", &b"c1"[..])
    );
    s.destroy().await.unwrap();
}
both!(pattern, pattern_take_oldest_first);

async fn leases(conn: Connection) {
    let name = common::unique("leases");
    let config = SpaceConfig {
        max_deliveries: 3,
        poll_interval: Duration::from_millis(50),
        ..SpaceConfig::default()
    };
    let s = RedisSpace::open_with(&conn, &name, config.clone())
        .await
        .unwrap();
    let other = RedisSpace::open_with(&conn, &name, config).await.unwrap();
    for v in ["a", "b", "c"] {
        s.push("k", v).await.unwrap();
    }
    // ack removes.
    let a = s.take_leased("k", Duration::from_secs(30)).await.unwrap();
    assert_eq!((a.value().as_ref(), a.delivery()), (&b"a"[..], 1));
    s.ack(&a).await.unwrap();
    assert_eq!(
        s.ack(&a).await.unwrap_err().code(),
        "LEASE_LOST",
        "a second ack"
    );
    // nack keeps age: b, then c leased; nack c then b: back in age order at the head.
    let b = s.take_leased("k", Duration::from_secs(30)).await.unwrap();
    let c = s.take_leased("k", Duration::from_secs(30)).await.unwrap();
    s.push("k", "d").await.unwrap();
    assert_eq!(s.leased().await.unwrap(), 2);
    assert_eq!(s.nack(&c).await.unwrap(), Nacked::Requeued);
    assert_eq!(s.nack(&b).await.unwrap(), Nacked::Requeued);
    assert_eq!(s.try_peek("k").await.unwrap().unwrap(), "b");
    // Expiry: leased by one handle, requeued by the other after the deadline; the old
    // holder's ack is then refused.
    let b2 = s
        .take_leased("k", Duration::from_millis(100))
        .await
        .unwrap();
    assert_eq!((b2.value().as_ref(), b2.delivery()), (&b"b"[..], 2));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(other.reap_expired().await.unwrap(), 1);
    assert_eq!(other.reap_expired().await.unwrap(), 0, "requeued once");
    assert_eq!(s.ack(&b2).await.unwrap_err().code(), "LEASE_LOST");
    // Third delivery, then a nack: dead-lettered.
    let b3 = other
        .take_leased("k", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!((b3.value().as_ref(), b3.delivery()), (&b"b"[..], 3));
    assert_eq!(other.nack(&b3).await.unwrap(), Nacked::DeadLettered);
    let dead = s.dead_letters(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (
            dead[0].key.as_str(),
            dead[0].value.as_ref(),
            dead[0].deliveries
        ),
        ("k", &b"b"[..], 3)
    );
    // The rest in order: c (delivered once before), d.
    let c2 = s.take_leased("k", Duration::from_secs(30)).await.unwrap();
    assert_eq!((c2.value().as_ref(), c2.delivery()), (&b"c"[..], 2));
    s.ack(&c2).await.unwrap();
    assert_eq!(s.take("k").await.unwrap(), "d");
    // A waiting leased take picks up an expired lease without anyone else reaping.
    s.push("k", "e").await.unwrap();
    let e = s.take_leased("k", Duration::from_millis(50)).await.unwrap();
    let e2 = tokio::time::timeout(
        Duration::from_secs(5),
        other.take_leased("k", Duration::from_secs(30)),
    )
    .await
    .expect("the expired lease comes back")
    .unwrap();
    assert_eq!((e2.value(), e2.delivery()), (e.value(), 2));
    assert_eq!(s.leased().await.unwrap(), 1);
    s.destroy().await.unwrap();
}
both!(lease, leases);

async fn bad_input(conn: Connection) {
    let s = RedisSpace::open_with(
        &conn,
        &common::unique("bad"),
        SpaceConfig {
            max_value_len: 16,
            max_key_len: 8,
            ..SpaceConfig::default()
        },
    )
    .await
    .unwrap();
    let e = s.push("k", vec![0u8; 17]).await.unwrap_err();
    assert_eq!(e.code(), "VALUE_TOO_LARGE");
    assert_eq!(e.into_inner().len(), 17, "handed back");
    assert_eq!(s.push("", "x").await.unwrap_err().code(), "KEY_INVALID");
    assert_eq!(s.take("123456789").await.unwrap_err().code(), "KEY_INVALID");
    assert_eq!(s.len("k").await.unwrap(), 0, "nothing was written");
    assert_eq!(
        RedisSpace::open(&conn, "a{b}").await.unwrap_err().code(),
        "KEY_INVALID"
    );
    // A key of the wrong type already in Redis.
    let wrong = format!("lindy:sp:{{{}}}:q:k", s.name());
    let _: () = redis::cmd("SET")
        .arg(&wrong)
        .arg("a string")
        .query_async(&mut conn.clone())
        .await
        .unwrap();
    let e = s.push("k", "v").await.unwrap_err();
    assert_eq!(e.code(), "KEY_INVALID", "{e}");
    assert_eq!(e.into_inner(), "v");
    assert_eq!(s.try_take("k").await.unwrap_err().code(), "KEY_INVALID");
    let _: () = redis::cmd("DEL")
        .arg(&wrong)
        .query_async(&mut conn.clone())
        .await
        .unwrap();
    s.destroy().await.unwrap();
}
both!(bad, bad_input);

#[tokio::test]
async fn bad_url_and_refused_connection() {
    let e = Connection::connect("not a url").await.unwrap_err();
    assert_eq!(e.code(), "INVALID_CONFIG", "{e}");
    // A port nothing listens on (bound and closed again).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = Connection::connect(&format!("redis://127.0.0.1:{port}"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "IO", "{e}");
}

/// The set of non-empty keys is kept only once something lists it: entries pushed before that
/// are found by the one-time build, plain takes (a bare `LPOP`) leave emptied keys that the next
/// listing drops, and a later push of a kept space goes into the set at once.
async fn key_set_on_demand(conn: Connection) {
    let s = space(&conn).await;
    // Many keys before the set exists, so the build takes several SCAN steps on a busy server.
    for i in 0..600 {
        s.push(&format!("public:app.bulk.k{i}"), format!("v{i}"))
            .await
            .unwrap();
    }
    s.push("public:app.jobs.a", "a1").await.unwrap();
    s.push("public:app.jobs.b", "b1").await.unwrap();
    let jobs = Pattern::parse("public:app.jobs.*").unwrap();
    let (key, v) = s.try_take_matching(&jobs).await.unwrap().unwrap();
    assert_eq!((key.as_str(), v), ("public:app.jobs.a", Bytes::from("a1")));
    // Now kept: a plain take empties b (no script), the listing drops it.
    assert_eq!(
        s.try_take("public:app.jobs.b").await.unwrap().unwrap(),
        "b1"
    );
    let keys: HashSet<String> = s.keys().await.unwrap().into_iter().collect();
    assert_eq!(keys.len(), 600);
    assert!(!keys.iter().any(|k| k.starts_with("public:app.jobs.")));
    // A push after the set exists is listed (and taken by pattern) at once.
    s.push("public:app.jobs.c", "c1").await.unwrap();
    let (key, _) = s.try_take_matching(&jobs).await.unwrap().unwrap();
    assert_eq!(key.as_str(), "public:app.jobs.c");
    assert_eq!(s.try_take_matching(&jobs).await.unwrap(), None);
    // Another handle of the same space sees the same set.
    let other = RedisSpace::open(&conn, s.name()).await.unwrap();
    assert_eq!(other.keys().await.unwrap().len(), 600);
    s.destroy().await.unwrap();
    assert!(other.keys().await.unwrap().is_empty());
}
both!(key_set, key_set_on_demand);

/// `destroy` of a space that never kept its key set still deletes every list.
async fn destroy_without_key_set(conn: Connection) {
    let s = space(&conn).await;
    for k in ["a", "b", "c"] {
        s.push(k, "v").await.unwrap();
    }
    s.destroy().await.unwrap();
    for k in ["a", "b", "c"] {
        assert_eq!(s.len(k).await.unwrap(), 0);
    }
}
both!(destroy_plain, destroy_without_key_set);

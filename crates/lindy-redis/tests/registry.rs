//! RedisRegistry + RedisBus + AsyncManager against real servers (`make redis-test`).

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use lindy::channels::{AsyncManager, Event, EventKind, State, Subscription};
use lindy::grammar::Name;
use lindy_redis::{Connection, RedisBus, RedisRegistry};

fn n(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn drain(sub: &mut Subscription) -> Vec<(EventKind, String)> {
    std::iter::from_fn(|| sub.try_recv().ok())
        .map(|e: Event| (e.kind, e.name.as_str().to_owned()))
        .collect()
}

async fn node(conn: &Connection, name: &str) -> (Arc<AsyncManager<RedisRegistry>>, RedisBus) {
    RedisBus::attach(RedisRegistry::new(conn, name).unwrap())
        .await
        .unwrap()
}

async fn transition_table(conn: Connection) {
    let name = common::unique("reg");
    let (m, _bus) = node(&conn, &name).await;
    let mut sub = m.subscribe(64);
    let room = n("public:chat.rooms.lobby");
    let short = Some(Duration::from_millis(40));

    let c = m.open_public(&room, short).await.unwrap();
    assert_eq!((c.state, c.ttl), (State::Open, Duration::from_millis(40)));
    m.open_public(&room, short).await.unwrap(); // refresh: no event
    m.touch(&room).await.unwrap();
    m.set_delta(&room, true).await.unwrap();
    assert!(m.get(&room).await.unwrap().delta);
    assert_eq!(m.len().await.unwrap(), 1);
    assert!(m.poll_timeout().await.unwrap().is_some());

    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(m.handle_timeout().await.unwrap(), 1);
    assert_eq!(m.handle_timeout().await.unwrap(), 0);
    assert_eq!(m.get(&room).await.unwrap().state, State::Closed);
    assert_eq!(m.touch(&room).await.unwrap_err().code(), "CHANNEL_CLOSED");
    let c = m.open_public(&room, None).await.unwrap(); // re-open
    assert!(c.delta, "the delta flag is kept across close and re-open");
    m.delete(&room).await.unwrap();
    m.delete(&room).await.unwrap(); // quiet
    assert_eq!(m.get(&room).await.unwrap_err().code(), "CHANNEL_NOT_FOUND");
    assert_eq!(
        m.open_public(&room, None).await.unwrap_err().code(),
        "CHANNEL_NOT_FOUND"
    );
    assert_eq!(
        m.set_delta(&room, true).await.unwrap_err().code(),
        "CHANNEL_NOT_FOUND"
    );
    assert_eq!(m.len().await.unwrap(), 0);
    assert!(m.list().await.unwrap().is_empty());

    let secret = n("private:chat.dm.ab1");
    m.create_private(&secret, short).await.unwrap();
    assert_eq!(
        m.create_private(&secret, None).await.unwrap_err().code(),
        "CHANNEL_EXISTS"
    );
    assert_eq!(
        m.create_private(&n("private:x.y.z"), Some(Duration::from_secs(3601)))
            .await
            .unwrap_err()
            .code(),
        "CHANNEL_TTL_EXCEEDS_MAX"
    );
    assert_eq!(
        m.open_public(&secret, None).await.unwrap_err().code(),
        "CHANNEL_INVALID"
    );
    assert_eq!(
        m.touch(&n("public:no.such")).await.unwrap_err().code(),
        "CHANNEL_NOT_FOUND"
    );
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(m.handle_timeout().await.unwrap(), 1);
    assert_eq!(
        m.get(&secret).await.unwrap_err().code(),
        "CHANNEL_NOT_FOUND"
    );
    m.create_private(&secret, None).await.unwrap(); // an expired private name is free again

    let lobby = "public:chat.rooms.lobby".to_owned();
    let dm = "private:chat.dm.ab1".to_owned();
    assert_eq!(
        drain(&mut sub),
        vec![
            (EventKind::Opened, lobby.clone()),
            (EventKind::Closed, lobby.clone()),
            (EventKind::Opened, lobby.clone()),
            (EventKind::Deleted, lobby),
            (EventKind::Opened, dm.clone()),
            (EventKind::Deleted, dm.clone()),
            (EventKind::Opened, dm),
        ]
    );
    m.registry().destroy().await.unwrap();
}
both!(table, transition_table);

/// Several nodes share one registry and sweep at once: every transition happens once, every
/// node's subscribers see each event once (their own calls' events locally, the others' through
/// the bus), and no node gets its own events echoed.
async fn nodes_sweeping_together(conn: Connection) {
    let name = common::unique("nodes");
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(node(&conn, &name).await);
    }
    let mut subs: Vec<Subscription> = nodes.iter().map(|(m, _)| m.subscribe(1024)).collect();
    let channels = 60;
    for i in 0..channels {
        // Opened by different nodes.
        let (m, _) = &nodes[i % 3];
        m.open_public(
            &n(&format!("public:app.c{i}")),
            Some(Duration::from_millis(30)),
        )
        .await
        .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let sweeps = nodes.iter().map(|(m, _)| {
        let m = m.clone();
        tokio::spawn(async move { m.handle_timeout().await.unwrap() })
    });
    let mut total = 0;
    for s in sweeps {
        total += s.await.unwrap();
    }
    assert_eq!(total, channels, "each expiry made once across the nodes");
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (i, sub) in subs.iter_mut().enumerate() {
        let mut seen: HashMap<(EventKind, String), usize> = HashMap::new();
        for e in drain(sub) {
            *seen.entry(e).or_default() += 1;
        }
        assert_eq!(seen.len(), 2 * channels, "node {i}: every event");
        assert!(
            seen.values().all(|&c| c == 1),
            "node {i}: each exactly once"
        );
        assert_eq!(sub.missed(), 0);
    }
    for (i, (_, bus)) in nodes.iter().enumerate() {
        let st = bus.stats();
        assert_eq!(
            st.delivered + st.echoes,
            2 * channels as u64,
            "node {i}: {st:?}"
        );
        assert!(
            st.echoes > 0,
            "node {i} saw (and dropped) its own events: {st:?}"
        );
        assert_eq!(st.lost, 0);
    }
    nodes[0].0.registry().destroy().await.unwrap();
}
both!(nodes, nodes_sweeping_together);

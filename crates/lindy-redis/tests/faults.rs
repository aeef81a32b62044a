//! Fault injection against real servers: a server restart on its AOF, a cut network path, and
//! a consumer process killed with SIGKILL while it holds leases (`make redis-test`).

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lindy::channels::{EventKind, Subscription};
use lindy::grammar::Name;
use lindy_redis::{
    Config, Connection, QueueConfig, RedisBus, RedisQueue, RedisRegistry, RedisSpace, SpaceConfig,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A redis-server of the test's own (AOF on, fsync always), stopped by PID when dropped.
struct Server {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl Server {
    fn start() -> Server {
        let dir = std::env::temp_dir().join(common::unique("lindy-redis-fault"));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut s = Server {
            child: None,
            port,
            dir,
        };
        s.spawn();
        s
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
                "--save",
                "",
            ])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (make redis-test installs it)");
        self.child = Some(child);
        let started = Instant::now();
        let client = redis::Client::open(self.url()).unwrap();
        while client
            .get_connection()
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `SHUTDOWN` (the AOF is fsynced on every write), then a new server on the same files.
    fn restart(&mut self, down_for: Duration) {
        let mut c = redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap();
        let _ = redis::cmd("SHUTDOWN").query::<()>(&mut c); // the reply is the connection closing
        let status = self.child.take().unwrap().wait().unwrap();
        assert!(status.success(), "clean shutdown: {status}");
        std::thread::sleep(down_for);
        self.spawn();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn drain(sub: &mut Subscription) -> Vec<(EventKind, String)> {
    std::iter::from_fn(|| sub.try_recv().ok())
        .map(|e| (e.kind, e.name.as_str().to_owned()))
        .collect()
}

async fn recv_within(sub: &mut Subscription, d: Duration) -> Option<(EventKind, String)> {
    tokio::time::timeout(d, sub.recv())
        .await
        .ok()
        .and_then(Result::ok)
        .map(|e| (e.kind, e.name.as_str().to_owned()))
}

/// Retries `f` until it succeeds (the server is coming back).
async fn eventually<T, E: std::fmt::Debug, F: std::future::Future<Output = Result<T, E>>>(
    mut f: impl FnMut() -> F,
) -> T {
    let started = Instant::now();
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) if started.elapsed() > Duration::from_secs(15) => {
                panic!("never recovered: {e:?}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restart_loses_no_acknowledged_push_and_subscriptions_resume() {
    let mut server = Server::start();
    let conn = Connection::connect(&server.url()).await.unwrap();
    // Long poll intervals: after the restart only the resubscribed pub/sub can wake a waiter.
    let space = RedisSpace::open_with(
        &conn,
        "restart",
        SpaceConfig {
            poll_interval: Duration::from_secs(60),
            ..SpaceConfig::default()
        },
    )
    .await
    .unwrap();
    let queue = RedisQueue::open_with(
        &conn,
        "restart",
        QueueConfig {
            poll_interval: Duration::from_secs(60),
            ..QueueConfig::default()
        },
    )
    .await
    .unwrap();
    let (node_a, _bus_a) = RedisBus::attach(RedisRegistry::new(&conn, "restart").unwrap())
        .await
        .unwrap();
    let (node_b, bus_b) = RedisBus::attach(RedisRegistry::new(&conn, "restart").unwrap())
        .await
        .unwrap();
    let mut sub_b = node_b.subscribe(256);

    // Pushes acknowledged while pushers run concurrently with the shutdown: every Ok must survive.
    let pushers = {
        let (space, queue) = (space.clone(), queue.clone());
        tokio::spawn(async move {
            let mut acked = 0u32;
            for i in 0..4000u32 {
                let a = space.push("k", i.to_string()).await.is_ok();
                let b = queue.push("k", i.to_string()).await.is_ok();
                if a && b {
                    acked += 1;
                } else {
                    return (acked, i);
                }
            }
            (acked, 4000)
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let restarted = tokio::task::spawn_blocking(move || {
        server.restart(Duration::from_millis(300));
        server
    });
    let (acked, stopped_at) = pushers.await.unwrap();
    let _server = restarted.await.unwrap(); // stopped by PID when dropped
    assert!(stopped_at < 4000, "the restart interrupted the pushers");
    assert!(acked > 0, "pushes were acknowledged before the shutdown");
    // A call while the server is down or coming back is a coded error, never a panic.
    // Once it is back: every acknowledged push is there (the failed one may be too: at-least-once).
    let len = eventually(|| space.len("k")).await;
    let qlen = eventually(|| queue.len("k")).await;
    assert!(
        len >= acked as usize && len <= acked as usize + 1,
        "space: {len} vs {acked} acked"
    );
    assert!(
        qlen >= acked as usize && qlen <= acked as usize + 1,
        "queue: {qlen} vs {acked} acked"
    );
    for i in 0..acked {
        assert_eq!(space.try_take("k").await.unwrap().unwrap(), i.to_string());
        assert_eq!(queue.try_take("k").await.unwrap().unwrap(), i.to_string());
    }

    // Subscriptions resumed: a waiting take is woken by pub/sub (the poll is 60 s away).
    let waiter = {
        let space = space.clone();
        tokio::spawn(async move { space.take("wake").await })
    };
    let queue_waiter = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.take("wake").await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    space.push("wake", "up").await.unwrap();
    queue.push("wake", "up").await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("space waiter woken");
    assert_eq!(got.unwrap().unwrap(), "up");
    let got = tokio::time::timeout(Duration::from_secs(10), queue_waiter)
        .await
        .expect("queue waiter woken");
    assert_eq!(got.unwrap().unwrap(), "up");

    // The bus resubscribed: node b hears node a again.
    let started = Instant::now();
    while bus_b.stats().reconnects == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "bus resubscribed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drain(&mut sub_b);
    let after = Name::parse("public:app.after").unwrap();
    node_a.open_public(&after, None).await.unwrap();
    assert_eq!(
        recv_within(&mut sub_b, Duration::from_secs(5)).await,
        Some((EventKind::Opened, "public:app.after".into()))
    );
}

/// A TCP proxy whose path can be cut (every connection dropped, new ones refused) and restored.
async fn proxy(target: u16) -> (u16, watch::Sender<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (up_tx, up_rx) = watch::channel(true);
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            if !*up_rx.borrow() {
                continue; // refused: dropped at once
            }
            let mut up = up_rx.clone();
            tokio::spawn(async move {
                let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", target)).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = up.wait_for(|up| !*up) => {}
                }
            });
        }
    });
    (port, up_tx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_resyncs_what_it_missed_from_the_registry() {
    let url = common::standalone_url();
    let target: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let (port, path) = proxy(target).await;
    let direct = Connection::connect(&url).await.unwrap();
    let via_proxy = Connection::open(&Config::standalone(format!("redis://127.0.0.1:{port}")))
        .await
        .unwrap();
    let name = common::unique("resync");
    let (a, _bus_a) = RedisBus::attach(RedisRegistry::new(&direct, &name).unwrap())
        .await
        .unwrap();
    let (b, bus_b) = RedisBus::attach(RedisRegistry::new(&via_proxy, &name).unwrap())
        .await
        .unwrap();
    let b = Arc::clone(&b);
    let mut sub_b = b.subscribe(256);

    a.open_public(&Name::parse("public:app.before").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        recv_within(&mut sub_b, Duration::from_secs(5)).await,
        Some((EventKind::Opened, "public:app.before".into()))
    );

    path.send(false).unwrap(); // b is cut off
    tokio::time::sleep(Duration::from_millis(100)).await;
    let e = b.len().await.unwrap_err();
    assert_eq!(
        e.code(),
        "IO",
        "a call over the cut path is a coded error: {e}"
    );
    for i in 0..5 {
        a.open_public(
            &Name::parse(&format!("public:app.during{i}")).unwrap(),
            None,
        )
        .await
        .unwrap();
    }
    a.delete(&Name::parse("public:app.before").unwrap())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        drain(&mut sub_b).is_empty(),
        "nothing reached b while cut off"
    );

    path.send(true).unwrap();
    let mut got = Vec::new();
    while got.len() < 6 {
        match recv_within(&mut sub_b, Duration::from_secs(10)).await {
            Some(e) => got.push(e),
            None => panic!("b resynced only {got:?}"),
        }
    }
    let mut want: Vec<(EventKind, String)> = (0..5)
        .map(|i| (EventKind::Opened, format!("public:app.during{i}")))
        .collect();
    want.push((EventKind::Deleted, "public:app.before".into()));
    assert_eq!(got, want, "what b missed, in order, once");
    let st = bus_b.stats();
    assert_eq!((st.missed, st.lost), (6, 0), "{st:?}");
    assert!(st.reconnects >= 1);
    // And live again.
    a.open_public(&Name::parse("public:app.after").unwrap(), None)
        .await
        .unwrap();
    assert_eq!(
        recv_within(&mut sub_b, Duration::from_secs(5)).await,
        Some((EventKind::Opened, "public:app.after".into()))
    );
    assert!(drain(&mut sub_b).is_empty(), "no duplicates");
    a.registry().destroy().await.unwrap();
}

/// The example binary: `cargo test -p lindy-redis` builds it next to this test's binary.
fn workers_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("redis_workers");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test -p lindy-redis` (all targets) or `make redis-test`",
        bin.display()
    );
    bin
}

#[test]
fn a_killed_consumer_process_s_jobs_are_done_once_by_the_survivors() {
    let out = Command::new(workers_binary())
        .args(["--jobs", "150", "--workers", "3"])
        .env("LINDY_REDIS_URL", common::standalone_url())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(out.status.success(), "the demo failed: {}", out.status);
    let result = stdout
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .expect("a RESULT line");
    let field = |k: &str| -> u64 {
        result
            .split(' ')
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{k} in {result}"))
    };
    assert_eq!(field("done"), 150, "every job done");
    assert_eq!(field("duplicates"), 0, "once");
    assert!(
        field("redelivered") >= 1,
        "the killed worker's lease came back: {result}"
    );
}

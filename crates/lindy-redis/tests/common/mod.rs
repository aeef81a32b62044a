//! Shared test setup: the servers `make redis-test` starts (see `scripts/servers.sh`).
//!
//! Tests *fail* when the servers are missing: run them with `make redis-test`, or start servers
//! with `scripts/servers.sh start DIR` and `source DIR/env`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use lindy_redis::{Config, Connection};

/// The standalone server's URL (`LINDY_REDIS_URL`).
pub fn standalone_url() -> String {
    std::env::var("LINDY_REDIS_URL").expect(
        "LINDY_REDIS_URL is not set: run `make redis-test` (it starts redis-server), \
         or `crates/lindy-redis/scripts/servers.sh start DIR && source DIR/env`",
    )
}

/// The cluster's node URLs, comma-separated (`LINDY_REDIS_CLUSTER_URLS`).
pub fn cluster_urls() -> String {
    std::env::var("LINDY_REDIS_CLUSTER_URLS").expect(
        "LINDY_REDIS_CLUSTER_URLS is not set: run `make redis-test` (it starts a 3-master cluster)",
    )
}

pub async fn standalone() -> Connection {
    Connection::open(&Config::standalone(standalone_url()))
        .await
        .expect("connect to the standalone server")
}

pub async fn cluster() -> Connection {
    Connection::open(&Config::parse(&cluster_urls()))
        .await
        .expect("connect to the cluster")
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs `body` once against the standalone server and once against the cluster.
#[macro_export]
macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn standalone() {
                super::$body(super::common::standalone().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn cluster() {
                super::$body(super::common::cluster().await).await;
            }
        }
    };
}

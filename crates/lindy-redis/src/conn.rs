//! [`Connection`]: one handle to a standalone server or a Redis Cluster, and [`Config`].

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::error::Error;

/// How to reach Redis and how long to wait for it.
///
/// Every script lindy runs is short and never blocks on the server, so a response timeout only
/// fires when the server or the network is in trouble (the default is 5 s, not redis-rs's 500 ms,
/// which a loaded CI machine can exceed). Waiting for entries is done with pub/sub wake-ups on a
/// separate connection that has no response timeout (see `docs/redis.md`).
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
/// use lindy_redis::Config;
/// # async fn demo() -> Result<(), lindy_redis::Error> {
/// let mut config = Config::standalone("redis://127.0.0.1:6379");
/// config.response_timeout = Duration::from_secs(2);
/// let conn = config.connect().await?;
/// # let _ = conn;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    /// One URL (`redis://127.0.0.1:6379`) for a standalone server, several for a cluster.
    pub nodes: Vec<String>,
    /// Whether `nodes` are the seeds of a Redis Cluster.
    pub cluster: bool,
    /// How long a request may wait for its reply.
    pub response_timeout: Duration,
    /// How long a connection attempt may take.
    pub connection_timeout: Duration,
    /// How often a connection is retried before a call fails with `IO`.
    pub retries: usize,
}

impl Config {
    /// A standalone server at `url`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = lindy_redis::Config::standalone("redis://127.0.0.1:6379");
    /// assert!(!config.cluster);
    /// ```
    pub fn standalone(url: impl Into<String>) -> Self {
        Config {
            nodes: vec![url.into()],
            cluster: false,
            response_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(2),
            retries: 2,
        }
    }

    /// A Redis Cluster reached through any of `urls`.
    ///
    /// # Examples
    ///
    /// ```
    /// let config = lindy_redis::Config::cluster(["redis://10.0.0.1:7000", "redis://10.0.0.2:7000"]);
    /// assert!(config.cluster);
    /// assert_eq!(config.nodes.len(), 2);
    /// ```
    pub fn cluster<I, S>(urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Config {
            nodes: urls.into_iter().map(Into::into).collect(),
            cluster: true,
            ..Config::standalone(String::new())
        }
    }

    /// Parses `redis://host:port` (standalone) or a comma-separated list of URLs (a cluster).
    ///
    /// # Examples
    ///
    /// ```
    /// use lindy_redis::Config;
    /// assert!(!Config::parse("redis://127.0.0.1:6379").cluster);
    /// assert!(Config::parse("redis://a:7000, redis://b:7000").cluster);
    /// ```
    pub fn parse(urls: &str) -> Self {
        let nodes: Vec<&str> = urls
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if nodes.len() > 1 {
            Config::cluster(nodes)
        } else {
            Config::standalone(urls.trim())
        }
    }

    /// Opens a connection with this configuration.
    ///
    /// # Errors
    /// `INVALID_CONFIG` for a bad URL or no node; `IO` if no node answers.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping the future drops the half-open connection; nothing was stored.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::Config;
    /// # async fn demo() -> Result<(), lindy_redis::Error> {
    /// let conn = Config::parse("redis://127.0.0.1:6379").connect().await?;
    /// # let _ = conn;
    /// # Ok(()) }
    /// ```
    pub async fn connect(&self) -> Result<Connection, Error> {
        Connection::open(self).await
    }

    pub(crate) fn clients(&self) -> Result<Vec<redis::Client>, Error> {
        if self.nodes.is_empty() {
            return Err(Error::Config("no Redis node given".into()));
        }
        self.nodes
            .iter()
            .map(|url| {
                redis::Client::open(url.as_str())
                    .map_err(|e| Error::Config(format!("bad Redis URL {url:?}: {e}")))
            })
            .collect()
    }
}

/// A cloneable, multiplexed connection to a standalone server (reconnecting on its own, through
/// redis-rs's `ConnectionManager`) or to a cluster (redis-rs's cluster connection, which follows
/// `MOVED`). Clones share one socket per node; calls from many tasks are pipelined on it.
///
/// # Examples
///
/// ```no_run
/// use lindy_redis::{Connection, RedisSpace};
/// # async fn demo() -> Result<(), lindy_redis::Error> {
/// let conn = Connection::connect("redis://127.0.0.1:6379").await?;
/// let space = RedisSpace::open(&conn, "jobs").await?; // clones share one multiplexed connection
/// # let _ = space;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Connection {
    inner: Inner,
    /// Shared: every call clones the handle, which must stay allocation-free.
    config: std::sync::Arc<Config>,
}

#[derive(Clone)]
enum Inner {
    Standalone(ConnectionManager),
    Cluster(ClusterConnection),
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("nodes", &self.config.nodes)
            .field("cluster", &self.config.cluster)
            .finish()
    }
}

impl Connection {
    /// Connects as `config` says.
    ///
    /// # Errors
    /// `INVALID_CONFIG` for a bad URL or no node; `IO` if no node answers.
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing was stored.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::{Config, Connection};
    /// # async fn demo() -> Result<(), lindy_redis::Error> {
    /// let conn = Connection::open(&Config::parse("redis://127.0.0.1:6379")).await?;
    /// # let _ = conn;
    /// # Ok(()) }
    /// ```
    pub async fn open(config: &Config) -> Result<Self, Error> {
        let clients = config.clients()?;
        let inner = if config.cluster {
            let client =
                ClusterClientBuilder::new(clients.iter().map(|c| c.get_connection_info().clone()))
                    .response_timeout(config.response_timeout)
                    .connection_timeout(config.connection_timeout)
                    .retries(config.retries as u32)
                    .build()
                    .map_err(|e| Error::Config(e.to_string()))?;
            Inner::Cluster(
                client
                    .get_async_connection()
                    .await
                    .map_err(Error::from_redis)?,
            )
        } else {
            let mc = ConnectionManagerConfig::new()
                .set_response_timeout(Some(config.response_timeout))
                .set_connection_timeout(Some(config.connection_timeout))
                .set_number_of_retries(config.retries)
                .set_min_delay(Duration::from_millis(50))
                .set_max_delay(Duration::from_millis(500));
            let client = clients.into_iter().next().expect("checked non-empty");
            Inner::Standalone(
                ConnectionManager::new_with_config(client, mc)
                    .await
                    .map_err(Error::from_redis)?,
            )
        };
        Ok(Connection {
            inner,
            config: std::sync::Arc::new(config.clone()),
        })
    }

    /// Connects to `urls` as [`Config::parse`] reads them.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing was stored.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use lindy_redis::Connection;
    /// # async fn demo() -> Result<(), lindy_redis::Error> {
    /// let conn = Connection::connect("redis://127.0.0.1:7000,redis://127.0.0.1:7001").await?;
    /// assert!(conn.is_cluster());
    /// # Ok(()) }
    /// ```
    pub async fn connect(urls: &str) -> Result<Self, Error> {
        Self::open(&Config::parse(urls)).await
    }

    /// The configuration this connection was opened with.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// println!("nodes: {:?}", conn.config().nodes);
    /// # Ok(()) }
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether this is a cluster connection.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// println!("cluster: {}", conn.is_cluster());
    /// # Ok(()) }
    /// ```
    pub fn is_cluster(&self) -> bool {
        matches!(self.inner, Inner::Cluster(_))
    }

    /// The server's clock (`TIME`) in ms since the Unix epoch: the one clock every node of a
    /// deployment agrees on. On a cluster, the clock of the node serving `tag`'s slot.
    ///
    /// # Errors
    /// `IO`.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(conn: lindy_redis::Connection) -> Result<(), Box<dyn std::error::Error>> {
    /// let now = conn.server_time_ms("jobs").await?; // the clock of the node serving `{jobs}`
    /// println!("{now}");
    /// # Ok(()) }
    /// ```
    pub async fn server_time_ms(&self, tag: &str) -> Result<u64, Error> {
        // EVAL routes by its key on a cluster; `TIME` alone would go to a random node.
        let (s, us): (u64, u64) = redis::Script::new(
            "local t = redis.call('TIME') return {tonumber(t[1]), tonumber(t[2])}",
        )
        .key(tag)
        .invoke_async(&mut self.clone())
        .await
        .map_err(Error::from_redis)?;
        Ok(s * 1000 + us / 1000)
    }
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.inner {
            Inner::Standalone(c) => c.req_packed_command(cmd),
            Inner::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.inner {
            Inner::Standalone(c) => c.req_packed_commands(cmd, offset, count),
            Inner::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.inner {
            Inner::Standalone(c) => c.get_db(),
            Inner::Cluster(c) => c.get_db(),
        }
    }
}

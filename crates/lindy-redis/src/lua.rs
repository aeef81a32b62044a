//! [`Lua`]: a server-side script run by `EVALSHA`, falling back to `EVAL` (which caches it) on
//! `NOSCRIPT` — e.g. after a server restart — and [`Call`], an owned invocation that can move
//! into a spawned task.

use redis::{Cmd, FromRedisValue, RedisResult, ToRedisArgs};

use crate::conn::Connection;

/// A Lua script and its SHA-1.
pub(crate) struct Lua {
    src: String,
    sha: String,
}

impl Lua {
    pub(crate) fn new(src: String) -> Self {
        let sha = redis::Script::new(&src).get_hash().to_owned();
        Lua { src, sha }
    }

    /// A call with `key` (every script here takes one key: the object's anchor key, whose hash
    /// tag routes the call on a cluster).
    pub(crate) fn call(&'static self, key: impl ToRedisArgs) -> Call {
        let mut args = Vec::new();
        key.write_redis_args(&mut args);
        Call {
            lua: self,
            key: args,
            args: Vec::new(),
        }
    }
}

/// One invocation: the script, its key and its arguments, owned.
pub(crate) struct Call {
    lua: &'static Lua,
    key: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
}

impl Call {
    pub(crate) fn arg(mut self, arg: impl ToRedisArgs) -> Self {
        arg.write_redis_args(&mut self.args);
        self
    }

    fn cmd(&self, verb: &str, script: &str) -> Cmd {
        let mut cmd = redis::cmd(verb);
        cmd.arg(script)
            .arg(self.key.len())
            .arg(&self.key)
            .arg(&self.args);
        cmd
    }

    /// Runs the script with `EVAL` (the whole source), owning everything. One request whatever
    /// the server's script cache holds: for calls whose *order* on the connection matters
    /// (an `EVALSHA` answered `NOSCRIPT` is re-sent later, behind whatever was sent meanwhile).
    pub(crate) async fn eval_owned<T: FromRedisValue>(self, conn: Connection) -> RedisResult<T> {
        let mut conn = conn;
        self.cmd("EVAL", &self.lua.src).query_async(&mut conn).await
    }

    /// Runs the script.
    pub(crate) async fn run<T: FromRedisValue>(&self, conn: &Connection) -> RedisResult<T> {
        let mut conn = conn.clone();
        match self
            .cmd("EVALSHA", &self.lua.sha)
            .query_async(&mut conn)
            .await
        {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                self.cmd("EVAL", &self.lua.src).query_async(&mut conn).await
            }
            other => other,
        }
    }
}

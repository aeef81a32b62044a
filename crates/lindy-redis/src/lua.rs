//! [`Lua`]: a server-side script run by `EVALSHA`, falling back to `EVAL` (which caches it) on
//! `NOSCRIPT` — e.g. after a server restart — and [`Call`], an owned invocation that can move
//! into a spawned task.

use redis::{Arg, Cmd, FromRedisValue, RedisResult, ToRedisArgs};

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
    /// tag routes the call on a cluster). The `EVALSHA` command is built in place as arguments
    /// are added: each argument is copied once, into the request.
    pub(crate) fn call(&'static self, key: impl ToRedisArgs) -> Call {
        let mut cmd = redis::cmd("EVALSHA");
        cmd.arg(&self.sha).arg(1).arg(key);
        Call { lua: self, cmd }
    }
}

/// One invocation: the script and its `EVALSHA` request (key and arguments), owned.
pub(crate) struct Call {
    lua: &'static Lua,
    cmd: Cmd,
}

impl Call {
    pub(crate) fn arg(mut self, arg: impl ToRedisArgs) -> Self {
        self.cmd.arg(arg);
        self
    }

    /// The same call as an `EVAL` carrying the whole source.
    fn eval_cmd(&self) -> Cmd {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(&self.lua.src);
        for arg in self.cmd.args_iter().skip(2) {
            if let Arg::Simple(bytes) = arg {
                cmd.arg(bytes);
            }
        }
        cmd
    }

    /// Runs the script with `EVAL` (the whole source), owning everything. One request whatever
    /// the server's script cache holds: for calls whose *order* on the connection matters
    /// (an `EVALSHA` answered `NOSCRIPT` is re-sent later, behind whatever was sent meanwhile).
    pub(crate) async fn eval_owned<T: FromRedisValue>(self, conn: Connection) -> RedisResult<T> {
        let mut conn = conn;
        self.eval_cmd().query_async(&mut conn).await
    }

    /// Runs the script.
    pub(crate) async fn run<T: FromRedisValue>(&self, conn: &Connection) -> RedisResult<T> {
        let mut conn = conn.clone();
        match self.cmd.query_async(&mut conn).await {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                self.eval_cmd().query_async(&mut conn).await
            }
            other => other,
        }
    }
}

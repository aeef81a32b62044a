//! Local wake-ups for takers waiting on a Redis-backed space or queue.
//!
//! Waiting never blocks a Redis connection: a taker runs its (non-blocking) take script, and if
//! that finds nothing it sleeps on a [`Notify`] that the space's pub/sub listener rings when a
//! script announces that a key went from empty to non-empty. The notified future is *enabled
//! before* the take script runs, so a wake-up published after the script is never missed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// Per-key notifiers, plus one for pattern takers (rung on every key).
#[derive(Default)]
pub(crate) struct Waiters {
    keys: Mutex<HashMap<String, Arc<Notify>>>,
    any: Notify,
}

/// A registration for one key; unregisters when dropped.
pub(crate) struct KeyWait<'a> {
    waiters: &'a Waiters,
    key: &'a str,
    notify: Arc<Notify>,
}

impl KeyWait<'_> {
    pub(crate) fn notify(&self) -> &Notify {
        &self.notify
    }
}

impl Drop for KeyWait<'_> {
    fn drop(&mut self) {
        let mut keys = self.waiters.keys.lock().unwrap_or_else(|e| e.into_inner());
        // The map's reference and ours: no one else waits on this key.
        if Arc::strong_count(&self.notify) == 2 {
            keys.remove(self.key);
        }
    }
}

impl Waiters {
    /// Registers interest in `key`.
    pub(crate) fn key<'a>(&'a self, key: &'a str) -> KeyWait<'a> {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let notify = keys.entry(key.to_owned()).or_default().clone();
        KeyWait {
            waiters: self,
            key,
            notify,
        }
    }

    /// The notifier of pattern takers.
    pub(crate) fn any(&self) -> &Notify {
        &self.any
    }

    /// Wakes the waiters of `key` and every pattern taker.
    pub(crate) fn wake_key(&self, key: &str) {
        if let Some(n) = self.keys.lock().unwrap_or_else(|e| e.into_inner()).get(key) {
            n.notify_waiters();
        }
        self.any.notify_waiters();
    }

    /// Wakes everyone (close, reconnect).
    pub(crate) fn wake_all(&self) {
        for n in self.keys.lock().unwrap_or_else(|e| e.into_inner()).values() {
            n.notify_waiters();
        }
        self.any.notify_waiters();
    }
}

/// Subscribes `waiters` to an object's wake-up channel (`{prefix}wake`): a message naming a key
/// wakes that key's waiters, an empty one (the object was closed: `closed`, if given, records it)
/// or an unreadable one wakes everyone, and so does every (re)connection — anything published
/// while away is unknown, so everyone re-checks. Resolves once the first subscription is live.
pub(crate) async fn subscribe_wakeups(
    conn: &crate::Connection,
    prefix: &str,
    what: &str,
    waiters: Arc<Waiters>,
    closed: Option<Arc<std::sync::atomic::AtomicBool>>,
) -> Result<crate::listener::Listener, crate::Error> {
    use crate::listener::{Listener, Signal};
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let ready_tx = Mutex::new(Some(ready_tx));
    let listener = Listener::spawn(
        conn.config().clients()?,
        vec![format!("{prefix}wake")],
        move |signal| match signal {
            Signal::Message { payload, .. } => match std::str::from_utf8(payload) {
                Ok("") => {
                    if let Some(closed) = &closed {
                        closed.store(true, std::sync::atomic::Ordering::Release);
                    }
                    waiters.wake_all();
                }
                Ok(key) => waiters.wake_key(key),
                Err(_) => waiters.wake_all(),
            },
            Signal::Connected { .. } => {
                waiters.wake_all();
                if let Some(tx) = ready_tx.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    let _ = tx.send(());
                }
            }
            Signal::Disconnected => {}
        },
    );
    match tokio::time::timeout(conn.config().connection_timeout * 2, ready_rx).await {
        Ok(Ok(())) => Ok(listener),
        _ => Err(crate::Error::Io(redis::RedisError::from((
            redis::ErrorKind::Io,
            "could not subscribe to the wake-up channel",
            format!("of the {what}"),
        )))),
    }
}

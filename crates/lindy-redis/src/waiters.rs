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

//! A pub/sub listener that reconnects and resubscribes on its own.
//!
//! It runs on its own connection, which has no response timeout (it only reads pushes), so it
//! can wait for wake-ups for as long as it likes. Each (re)connection is reported to the handler
//! as [`Signal::Connected`] *after* the subscription is confirmed, so a handler that re-checks
//! state on that signal cannot miss a message published after the check.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::task::JoinHandle;

/// What the listener tells its handler.
pub(crate) enum Signal<'a> {
    /// Subscribed (again): `reconnect` is false the first time. Messages published before this
    /// point while disconnected were not received.
    Connected { reconnect: bool },
    /// A message on one of the channels.
    Message { payload: &'a [u8] },
    /// The subscription connection was lost; the listener is reconnecting.
    Disconnected,
}

/// A running listener; aborted when dropped.
pub(crate) struct Listener {
    task: JoinHandle<()>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Listener {
    /// Spawns the listener on the current tokio runtime. `clients` are tried in turn (the nodes
    /// of a cluster: classic pub/sub reaches every node's subscribers).
    pub(crate) fn spawn<F>(clients: Vec<redis::Client>, channels: Vec<String>, handler: F) -> Self
    where
        F: Fn(Signal<'_>) + Send + Sync + 'static,
    {
        let handler = Arc::new(handler);
        let task = tokio::spawn(async move {
            let mut reconnect = false;
            let mut backoff = Duration::from_millis(20);
            let mut next = 0usize;
            loop {
                let client = &clients[next % clients.len()];
                next += 1;
                let connected = async {
                    let mut pubsub = client.get_async_pubsub().await?;
                    for ch in &channels {
                        pubsub.subscribe(ch).await?;
                    }
                    Ok::<_, redis::RedisError>(pubsub)
                };
                match tokio::time::timeout(Duration::from_secs(2), connected).await {
                    Ok(Ok(pubsub)) => {
                        backoff = Duration::from_millis(20);
                        handler(Signal::Connected { reconnect });
                        reconnect = true;
                        let mut stream = pubsub.into_on_message();
                        while let Some(msg) = stream.next().await {
                            handler(Signal::Message {
                                payload: msg.get_payload_bytes(),
                            });
                        }
                        handler(Signal::Disconnected);
                    }
                    _ => {
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_millis(500));
                    }
                }
            }
        });
        Listener { task }
    }
}

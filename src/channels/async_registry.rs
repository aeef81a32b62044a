//! The async twin of [`Registry`](super::Registry) and [`Manager`](super::Manager), for
//! registries behind a network (e.g. `lindy-redis`'s `RedisRegistry`).
//!
//! A networked registry differs from the in-memory one in three ways, which is why it is a
//! separate trait rather than a blocking implementation of [`Registry`](super::Registry):
//! every call is I/O (futures, and an error type that can say `IO`); the registry is shared by
//! many nodes, so it — not each node's clock — decides `now` (one clock for every expiry), and
//! calls take `&self` (the registry serialises them itself, e.g. one atomic script each); and
//! its transitions are carried to the other nodes by the registry itself, exactly once, so the
//! manager here only fans the returned events out *locally* and applies remote ones
//! ([`apply_remote`](AsyncManager::apply_remote)).

use super::manager::expect_visibility;
use crate::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::future::Future;
use core::time::Duration;

use super::bus::{NodeId, RemoteEvent};
use super::subscribe::{Hub, Subscription};
use super::{
    Channel, ChannelError, Event, DEFAULT_PRIVATE_TTL, DEFAULT_PUBLIC_TTL, MAX_PRIVATE_TTL,
};
use crate::error::ErrorCode;
use crate::grammar::{Name, Pattern, Visibility};
use crate::sync::{DefaultRawMutex, RawMutex};

/// Where channel records live, when that is across a network: the rules of
/// [`Registry`](super::Registry) (its transition table applies unchanged), with the registry's
/// own clock and `&self` calls.
///
/// Every mutating call returns the event(s) it caused, so the calling node can fan them out
/// locally; an implementation shared by several nodes also publishes each one to the others
/// (with the caller's node id), once per transition.
pub trait AsyncRegistry {
    /// Why a call failed: a [`ChannelError`] rule, or the backend's own failure (`IO`).
    type Error: From<ChannelError> + ErrorCode + core::error::Error;

    /// A snapshot of the channel; deleted records are `CHANNEL_NOT_FOUND`.
    ///
    /// # Cancel safety
    /// Must be cancel-safe: it only reads.
    fn get(&self, name: &Name) -> impl Future<Output = Result<Channel, Self::Error>>;
    /// Snapshots of every record that is not deleted, in no particular order.
    ///
    /// # Cancel safety
    /// Must be cancel-safe: it only reads.
    fn list(&self) -> impl Future<Output = Result<Vec<Channel>, Self::Error>>;
    /// The number of records that are not deleted.
    ///
    /// # Cancel safety
    /// Must be cancel-safe: it only reads.
    fn len(&self) -> impl Future<Output = Result<usize, Self::Error>>;
    /// Whether there are no records that are not deleted.
    ///
    /// # Cancel safety
    /// Must be cancel-safe: it only reads.
    fn is_empty(&self) -> impl Future<Output = Result<bool, Self::Error>> {
        async { Ok(self.len().await? == 0) }
    }
    /// Creates, refreshes or re-opens a public channel at the registry's `now`.
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn open_public(
        &self,
        name: &Name,
        ttl: Duration,
    ) -> impl Future<Output = Result<(Channel, Option<Event>), Self::Error>>;
    /// Creates a private channel; any existing record is `CHANNEL_EXISTS`.
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn create_private(
        &self,
        name: &Name,
        ttl: Duration,
    ) -> impl Future<Output = Result<(Channel, Event), Self::Error>>;
    /// Refreshes an open channel's last-active time.
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn touch(&self, name: &Name) -> impl Future<Output = Result<(), Self::Error>>;
    /// Deletes the channel; `Ok(None)` if it was already deleted.
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn delete(&self, name: &Name) -> impl Future<Output = Result<Option<Event>, Self::Error>>;
    /// Turns delta encoding on or off.
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn set_delta(
        &self,
        name: &Name,
        enabled: bool,
    ) -> impl Future<Output = Result<(), Self::Error>>;
    /// Runs one expiry pass at the registry's `now`; returns the transitions *this call*
    /// made (several nodes sweeping at once split the work: each transition is returned once).
    ///
    /// # Cancel safety
    /// A dropped future may still have taken effect once sent (its event then reaches other
    /// nodes through the registry, not this node's subscribers): implementations say which.
    fn sweep(&self) -> impl Future<Output = Result<Vec<Event>, Self::Error>>;
    /// The earliest time (ms, registry clock) at which a sweep has work to do.
    ///
    /// # Cancel safety
    /// Must be cancel-safe: it only reads.
    fn next_deadline(&self) -> impl Future<Output = Result<Option<u64>, Self::Error>>;
}

/// The [`Manager`](super::Manager) over an [`AsyncRegistry`]: the same validation (visibility,
/// default and maximum TTLs), the same [`Subscription`]s, with async calls.
///
/// Events of this node's calls are fanned out to local subscribers when the call returns;
/// events of other nodes arrive through [`apply_remote`](Self::apply_remote) (echoes of this
/// node's own events, recognised by [`node_id`](Self::node_id), are dropped there).
pub struct AsyncManager<G, R: RawMutex = DefaultRawMutex> {
    registry: G,
    hub: Arc<Hub<R>>,
}

impl<G: AsyncRegistry> AsyncManager<G, DefaultRawMutex> {
    /// A manager over `registry`, known to the other nodes as `node`.
    pub fn new(registry: G, node: NodeId) -> Self {
        Self::with_raw_mutex(registry, node)
    }
}

impl<G: AsyncRegistry, R: RawMutex> AsyncManager<G, R> {
    /// As [`new`](AsyncManager::new), with another lock for the subscriber hub.
    pub fn with_raw_mutex(registry: G, node: NodeId) -> Self {
        let hub = Arc::new(Hub::new());
        hub.set_node(Some(node));
        AsyncManager { registry, hub }
    }

    /// The registry.
    pub fn registry(&self) -> &G {
        &self.registry
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.hub.node().expect("set at construction")
    }

    fn emit(&self, events: Vec<Event>) {
        if !events.is_empty() {
            self.hub.fan_out(events).wake();
        }
    }

    /// Opens (or refreshes, or re-opens) a public channel; `None` TTL is
    /// [`DEFAULT_PUBLIC_TTL`].
    ///
    /// # Errors
    /// `CHANNEL_INVALID` for a private name; `CHANNEL_NOT_FOUND` on a tombstone; the backend's.
    ///
    /// # Cancel safety
    /// Not cancel-safe: once sent, the call may take effect without its event reaching the
    /// local subscribers (other nodes still get it through the registry).
    pub async fn open_public(
        &self,
        name: &Name,
        ttl: Option<Duration>,
    ) -> Result<Channel, G::Error> {
        expect_visibility(name, Visibility::Public)?;
        let (channel, event) = self
            .registry
            .open_public(name, ttl.unwrap_or(DEFAULT_PUBLIC_TTL))
            .await?;
        self.emit(event.into_iter().collect());
        Ok(channel)
    }

    /// Creates a private channel; `None` TTL is [`DEFAULT_PRIVATE_TTL`].
    ///
    /// # Errors
    /// `CHANNEL_INVALID`, `CHANNEL_TTL_EXCEEDS_MAX`, `CHANNEL_EXISTS`; the backend's.
    ///
    /// # Cancel safety
    /// As [`open_public`](Self::open_public).
    pub async fn create_private(
        &self,
        name: &Name,
        ttl: Option<Duration>,
    ) -> Result<Channel, G::Error> {
        expect_visibility(name, Visibility::Private)?;
        let ttl = ttl.unwrap_or(DEFAULT_PRIVATE_TTL);
        if ttl > MAX_PRIVATE_TTL {
            return Err(ChannelError::TtlExceedsMax {
                channel: name.clone(),
                ttl,
                max: MAX_PRIVATE_TTL,
            }
            .into());
        }
        let (channel, event) = self.registry.create_private(name, ttl).await?;
        self.emit(alloc::vec![event]);
        Ok(channel)
    }

    /// Refreshes an open channel.
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND`, `CHANNEL_CLOSED`; the backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe in effect: a touch is idempotent.
    pub async fn touch(&self, name: &Name) -> Result<(), G::Error> {
        self.registry.touch(name).await
    }

    /// Deletes a channel (a quiet `Ok` if already deleted).
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND`; the backend's.
    ///
    /// # Cancel safety
    /// As [`open_public`](Self::open_public).
    pub async fn delete(&self, name: &Name) -> Result<(), G::Error> {
        let event = self.registry.delete(name).await?;
        self.emit(event.into_iter().collect());
        Ok(())
    }

    /// A snapshot of the channel.
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND`; the backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    pub async fn get(&self, name: &Name) -> Result<Channel, G::Error> {
        self.registry.get(name).await
    }

    /// Every channel that is not deleted.
    ///
    /// # Errors
    /// The backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    pub async fn list(&self) -> Result<Vec<Channel>, G::Error> {
        self.registry.list().await
    }

    /// The number of channels that are not deleted.
    ///
    /// # Errors
    /// The backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    pub async fn len(&self) -> Result<usize, G::Error> {
        self.registry.len().await
    }

    /// Whether there are no channels that are not deleted.
    ///
    /// # Errors
    /// The backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    pub async fn is_empty(&self) -> Result<bool, G::Error> {
        self.registry.is_empty().await
    }

    /// Turns delta encoding on or off.
    ///
    /// # Errors
    /// `CHANNEL_NOT_FOUND`; the backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe in effect: idempotent.
    pub async fn set_delta(&self, name: &Name, enabled: bool) -> Result<(), G::Error> {
        self.registry.set_delta(name, enabled).await
    }

    /// Expires what is due at the registry's clock; returns how many transitions this node
    /// made (and fanned out locally).
    ///
    /// # Errors
    /// The backend's.
    ///
    /// # Cancel safety
    /// As [`open_public`](Self::open_public).
    pub async fn handle_timeout(&self) -> Result<usize, G::Error> {
        let events = self.registry.sweep().await?;
        let n = events.len();
        self.emit(events);
        Ok(n)
    }

    /// Renamed [`handle_timeout`](Self::handle_timeout).
    #[deprecated(since = "0.2.0", note = "renamed to `handle_timeout`")]
    pub async fn sweep(&self) -> Result<usize, G::Error> {
        self.handle_timeout().await
    }

    /// When [`handle_timeout`](Self::handle_timeout) next has work, in ms on the registry's
    /// clock.
    ///
    /// # Errors
    /// The backend's.
    ///
    /// # Cancel safety
    /// Cancel-safe: reads only.
    pub async fn poll_timeout(&self) -> Result<Option<u64>, G::Error> {
        self.registry.next_deadline().await
    }

    /// Renamed [`poll_timeout`](Self::poll_timeout).
    #[deprecated(since = "0.2.0", note = "renamed to `poll_timeout`")]
    pub async fn next_deadline(&self) -> Result<Option<u64>, G::Error> {
        self.poll_timeout().await
    }

    /// A subscription to every event, local and remote, holding up to `capacity`.
    pub fn subscribe(&self, capacity: usize) -> Subscription<R> {
        Subscription::new(self.hub.clone(), capacity, None)
    }

    /// A subscription to the events of channels matching `pattern`.
    pub fn subscribe_matching(&self, pattern: &Pattern, capacity: usize) -> Subscription<R> {
        Subscription::new(self.hub.clone(), capacity, Some(pattern))
    }

    /// Live subscriptions.
    pub fn subscribers(&self) -> usize {
        self.hub.subscriber_count()
    }

    /// Fans out an event another node made; `false` (and nothing delivered) if it is an echo of
    /// this node's own.
    pub fn apply_remote(&self, event: &RemoteEvent) -> bool {
        match self.hub.fan_out_remote(event.origin, &event.event) {
            Some(w) => {
                w.wake();
                true
            }
            None => false,
        }
    }
}

impl<G, R: RawMutex> Drop for AsyncManager<G, R> {
    fn drop(&mut self) {
        self.hub.close().wake();
    }
}

impl<G, R: RawMutex> fmt::Debug for AsyncManager<G, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncManager")
            .field("node", &self.hub.node())
            .field("subscribers", &self.hub.subscriber_count())
            .finish()
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use crate::channels::{EventKind, MemoryRegistry, Registry};
    use core::sync::atomic::{AtomicU64, Ordering};
    use futures::executor::block_on;
    use std::sync::Mutex;

    /// The in-memory registry behind the async trait, with its own clock: what a networked
    /// registry looks like to the manager.
    struct Mem {
        inner: Mutex<MemoryRegistry>,
        now: AtomicU64,
    }

    impl Mem {
        fn with<T>(&self, f: impl FnOnce(&mut MemoryRegistry, u64) -> T) -> T {
            f(
                &mut self.inner.lock().unwrap(),
                self.now.load(Ordering::Relaxed),
            )
        }
    }

    impl AsyncRegistry for Mem {
        type Error = ChannelError;
        async fn get(&self, name: &Name) -> Result<Channel, ChannelError> {
            self.with(|r, _| r.get(name))
        }
        async fn list(&self) -> Result<Vec<Channel>, ChannelError> {
            Ok(self.with(|r, _| r.list()))
        }
        async fn len(&self) -> Result<usize, ChannelError> {
            Ok(self.with(|r, _| r.len()))
        }
        async fn open_public(
            &self,
            name: &Name,
            ttl: Duration,
        ) -> Result<(Channel, Option<Event>), ChannelError> {
            self.with(|r, now| r.open_public(name, ttl, now))
        }
        async fn create_private(
            &self,
            name: &Name,
            ttl: Duration,
        ) -> Result<(Channel, Event), ChannelError> {
            self.with(|r, now| r.create_private(name, ttl, now))
        }
        async fn touch(&self, name: &Name) -> Result<(), ChannelError> {
            self.with(|r, now| r.touch(name, now))
        }
        async fn delete(&self, name: &Name) -> Result<Option<Event>, ChannelError> {
            self.with(|r, now| r.delete(name, now))
        }
        async fn set_delta(&self, name: &Name, enabled: bool) -> Result<(), ChannelError> {
            self.with(|r, _| r.set_delta(name, enabled))
        }
        async fn sweep(&self) -> Result<Vec<Event>, ChannelError> {
            Ok(self.with(|r, now| r.sweep(now)))
        }
        async fn next_deadline(&self) -> Result<Option<u64>, ChannelError> {
            Ok(self.with(|r, _| r.next_deadline()))
        }
    }

    #[test]
    fn the_async_manager_validates_fans_out_and_filters_echoes() {
        block_on(async {
            let m = AsyncManager::new(
                Mem {
                    inner: Mutex::new(MemoryRegistry::new()),
                    now: AtomicU64::new(0),
                },
                NodeId(1),
            );
            let mut sub = m.subscribe(16);
            let room = Name::parse("public:chat.rooms.a").unwrap();
            let dm = Name::parse("private:chat.dm.ab1").unwrap();
            m.open_public(&room, Some(Duration::from_millis(10)))
                .await
                .unwrap();
            assert_eq!(
                m.open_public(&dm, None).await.unwrap_err().code(),
                "CHANNEL_INVALID"
            );
            assert_eq!(
                m.create_private(&dm, Some(MAX_PRIVATE_TTL + Duration::from_millis(1)))
                    .await
                    .unwrap_err()
                    .code(),
                "CHANNEL_TTL_EXCEEDS_MAX"
            );
            assert_eq!(m.poll_timeout().await.unwrap(), Some(10));
            m.registry().now.store(10, Ordering::Relaxed);
            assert_eq!(m.handle_timeout().await.unwrap(), 1);
            assert_eq!(m.len().await.unwrap(), 1);
            assert!(!m.is_empty().await.unwrap());
            // A remote event is fanned out; an echo of this node's own is not.
            let remote = |origin| RemoteEvent {
                origin: NodeId(origin),
                event: Event::new(EventKind::Deleted, room.clone(), 11),
            };
            assert!(!m.apply_remote(&remote(1)), "echo");
            assert!(m.apply_remote(&remote(2)));
            let seen: Vec<_> = core::iter::from_fn(|| sub.try_recv().ok())
                .map(|e| (e.kind, e.at))
                .collect();
            assert_eq!(
                seen,
                [
                    (EventKind::Opened, 0),
                    (EventKind::Closed, 10),
                    (EventKind::Deleted, 11)
                ]
            );
            assert_eq!(m.node_id(), NodeId(1));
        });
    }
}

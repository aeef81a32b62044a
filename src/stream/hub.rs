//! The hub: named paths, their writers and readers, broadcast.

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::channel::{Channel, Deferred};
use super::{ConfigEntry, Reader, StreamError, StreamOptions, TryWriteError, Writer};
use crate::grammar::{NameRef, Pattern, PatternSegment};
use crate::sync::{Arc, DefaultRawMutex, Mutex, RawMutex};

/// A hub of named message streams — the omnistorage channel backend, with message boundaries
/// kept and the persistent replay fixed.
///
/// Paths are created on first use by [`writer`](Streams::writer) or
/// [`reader`](Streams::reader) and live until [`delete`](Streams::delete) or
/// [`close`](Streams::close). Clones share the hub.
///
/// `R` picks the lock (see [`crate::sync`]); writers and readers hold an `Arc` to their path's
/// state, so they outlive the `Streams` handle they came from.
///
/// ```
/// use lindy::stream::Streams;
/// # futures::executor::block_on(async {
/// let hub = Streams::from_config([("buffer_size", "10"), ("persistent", "true")]).unwrap();
/// let w = hub.writer("sensor/1").unwrap();
/// w.write("21.5").await.unwrap();
/// w.write("21.7").await.unwrap();
///
/// // A reader that connects late replays what was written, message by message.
/// let mut late = hub.reader("sensor/1").unwrap();
/// assert_eq!(late.recv().await.as_deref(), Some(&b"21.5"[..]));
/// assert_eq!(late.recv().await.as_deref(), Some(&b"21.7"[..]));
///
/// let report = hub.broadcast("sensor/", "calibrate");
/// assert_eq!(report.delivered, 1);
/// assert_eq!(late.recv().await.as_deref(), Some(&b"calibrate"[..]));
/// assert_eq!(hub.list("sensor/"), ["sensor/1"]);
/// # });
/// ```
pub struct Streams<R: RawMutex = DefaultRawMutex> {
    inner: Arc<Hub<R>>,
}

struct Hub<R: RawMutex> {
    opts: StreamOptions,
    state: Mutex<R, HubState<R>>,
}

struct HubState<R: RawMutex> {
    paths: BTreeMap<String, Arc<Channel<R>>>,
    closed: bool,
}

/// What a broadcast did. Nothing is dropped silently: every path it skipped is counted.
///
/// ```
/// let hub = lindy::stream::Streams::from_config([("buffer_size", "1")]).unwrap();
/// let (_a, _b) = (hub.reader("sub/a").unwrap(), hub.reader("sub/b").unwrap());
/// let w = hub.writer("sub/b").unwrap();
/// w.try_write("backlog").unwrap(); // sub/b is now full
/// let report = hub.broadcast("sub/", "event");
/// assert_eq!((report.delivered, report.full, report.closed), (1, 1, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[must_use = "a broadcast skips full and closed paths; the report says how many"]
pub struct BroadcastReport {
    /// Paths that received the message.
    pub delivered: usize,
    /// Paths skipped because their buffer was full.
    pub full: usize,
    /// Paths skipped because their stream had ended or they were deleted meanwhile.
    pub closed: usize,
}

impl BroadcastReport {
    /// Paths the broadcast was addressed to.
    ///
    /// ```
    /// let report = lindy::stream::BroadcastReport { delivered: 2, full: 1, closed: 1 };
    /// assert_eq!(report.matched(), 4);
    /// ```
    pub fn matched(&self) -> usize {
        self.delivered + self.full + self.closed
    }

    /// Paths skipped (full or closed).
    ///
    /// ```
    /// let report = lindy::stream::BroadcastReport { delivered: 2, full: 1, closed: 1 };
    /// assert_eq!(report.skipped(), 2);
    /// ```
    pub fn skipped(&self) -> usize {
        self.full + self.closed
    }

    fn tally(&mut self, r: Result<(), TryWriteError>) {
        match r {
            Ok(()) => self.delivered += 1,
            Err(TryWriteError::Full(_)) => self.full += 1,
            Err(TryWriteError::Closed(_)) => self.closed += 1,
        }
    }
}

/// A snapshot of one path, from [`Streams::stats`].
///
/// ```
/// let hub = lindy::stream::Streams::new();
/// let w = hub.writer("p").unwrap();
/// let _r = hub.reader("p").unwrap();
/// w.try_write("x").unwrap();
/// let stats = hub.stats("p").unwrap();
/// assert_eq!((stats.held, stats.readers, stats.writers, stats.ended), (1, 1, 1, false));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PathStats {
    /// Messages held: unread ones on a queue path; unread plus replay history on a persistent
    /// path.
    pub held: usize,
    /// Bytes of replay history (persistent paths), counted as for the replay cap.
    pub history_bytes: usize,
    /// Open readers.
    pub readers: usize,
    /// Open writer handles.
    pub writers: usize,
    /// Reader futures (or streams) parked waiting for a message.
    pub waiting_readers: usize,
    /// Write futures parked waiting for room.
    pub waiting_writers: usize,
    /// Whether the stream has ended (no more writes).
    pub ended: bool,
}

impl<R: RawMutex> Default for Streams<R> {
    fn default() -> Self {
        Self::with_lock(StreamOptions::new())
    }
}

impl<R: RawMutex> Clone for Streams<R> {
    fn clone(&self) -> Self {
        Streams {
            inner: self.inner.clone(),
        }
    }
}

impl<R: RawMutex> core::fmt::Debug for Streams<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (paths, closed) = self.inner.state.lock(|h| (h.paths.len(), h.closed));
        f.debug_struct("Streams")
            .field("options", &self.inner.opts)
            .field("paths", &paths)
            .field("closed", &closed)
            .finish()
    }
}

fn check_path(path: &str) -> Result<(), StreamError> {
    if path.is_empty() {
        Err(StreamError::InvalidPath)
    } else {
        Ok(())
    }
}

/// Constructors with the default lock ([`DefaultRawMutex`]), so `Streams::new()` needs no type
/// annotation. For another lock, name it: [`Streams::<R>::with_lock`](Streams::with_lock).
impl Streams<DefaultRawMutex> {
    /// A hub with the default options (100 messages per path, not persistent).
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// assert_eq!(hub.options().buffer_len(), 100);
    /// ```
    pub fn new() -> Self {
        Self::with_lock(StreamOptions::new())
    }

    /// A hub with these options.
    ///
    /// ```
    /// use lindy::stream::{StreamOptions, Streams};
    /// let hub = Streams::with_options(StreamOptions::new().persistent(true));
    /// assert!(hub.options().is_persistent());
    /// ```
    pub fn with_options(opts: StreamOptions) -> Self {
        Self::with_lock(opts)
    }

    /// A hub configured from string pairs, as the seed's registry
    /// (`{"buffer_size": "100", "persistent": "true"}`); see [`StreamOptions::from_pairs`].
    ///
    /// # Errors
    /// [`StreamError::InvalidConfig`] for an unknown key or a bad value.
    ///
    /// ```
    /// use lindy::stream::Streams;
    /// let hub = Streams::from_config([("buffer_size", "8")])?;
    /// assert_eq!(hub.options().buffer_len(), 8);
    /// assert_eq!(Streams::from_config([("buffer_size", "x")]).unwrap_err().code(), "INVALID_CONFIG");
    /// # Ok::<(), lindy::stream::StreamError>(())
    /// ```
    pub fn from_config<I>(pairs: I) -> Result<Self, StreamError>
    where
        I: IntoIterator,
        I::Item: ConfigEntry,
    {
        Ok(Self::with_options(StreamOptions::from_pairs(pairs)?))
    }
}

impl<R: RawMutex> Streams<R> {
    /// A hub with these options and the lock `R`, named in the type:
    /// `Streams::<NoopRawMutex>::with_lock(opts)` on a single thread,
    /// `Streams::<CriticalSectionRawMutex>::with_lock(opts)` shared with interrupts.
    ///
    /// ```
    /// use lindy::stream::{StreamOptions, Streams};
    /// use lindy::sync::NoopRawMutex;
    ///
    /// let hub = Streams::<NoopRawMutex>::with_lock(StreamOptions::new());
    /// let w = hub.writer("p").unwrap();
    /// w.try_write("x").unwrap();
    /// assert_eq!(hub.reader("p").unwrap().try_recv().as_deref(), Ok(&b"x"[..]));
    /// ```
    pub fn with_lock(opts: StreamOptions) -> Self {
        Streams {
            inner: Arc::new(Hub {
                opts,
                state: Mutex::new(HubState {
                    paths: BTreeMap::new(),
                    closed: false,
                }),
            }),
        }
    }

    /// The hub's options.
    ///
    /// ```
    /// use lindy::stream::{StreamOptions, Streams};
    /// let hub = Streams::with_options(StreamOptions::new().buffer_size(5));
    /// assert_eq!(hub.options().buffer_len(), 5);
    /// ```
    pub fn options(&self) -> &StreamOptions {
        &self.inner.opts
    }

    /// A writer on `path`, creating the path if needed.
    ///
    /// # Errors
    /// [`StreamError::InvalidPath`] for an empty path; [`StreamError::Closed`] if the hub is
    /// closed, or if the path's stream has ended (all its writers closed: delete the path to
    /// start a new stream under that name).
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let hub = lindy::stream::Streams::new();
    /// let w = hub.writer("stage1").unwrap();
    /// w.write("item").await.unwrap();
    /// assert_eq!(hub.writer("").unwrap_err().code(), "INVALID_PATH");
    /// # });
    /// ```
    pub fn writer(&self, path: &str) -> Result<Writer<R>, StreamError> {
        check_path(path)?;
        let channel = self.attach(path, |s| {
            if s.accepts() {
                s.add_writer();
                true
            } else {
                false
            }
        })?;
        Ok(Writer::attached(channel))
    }

    /// A reader on `path`, creating the path if needed. On a persistent path it starts with the
    /// retained history; on a queue path it competes with the path's other readers.
    ///
    /// # Errors
    /// [`StreamError::InvalidPath`] for an empty path; [`StreamError::Closed`] if the hub is
    /// closed.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let hub = lindy::stream::Streams::new();
    /// let mut r = hub.reader("stage1").unwrap();
    /// hub.writer("stage1").unwrap().write("item").await.unwrap(); // the writer is dropped: end of stream
    /// assert_eq!(r.recv().await.as_deref(), Some(&b"item"[..]));
    /// assert_eq!(r.recv().await, None);
    /// # });
    /// ```
    pub fn reader(&self, path: &str) -> Result<Reader<R>, StreamError> {
        check_path(path)?;
        let mut id = 0;
        let channel = self.attach(path, |s| {
            id = s.add_reader();
            true
        })?;
        Ok(Reader::attached(channel, id))
    }

    /// Finds or creates `path` and runs `join` on its state, under the hub lock so a
    /// concurrent `delete` cannot strand the new handle on a dropped path.
    fn attach(
        &self,
        path: &str,
        join: impl FnOnce(&mut super::channel::State) -> bool,
    ) -> Result<Arc<Channel<R>>, StreamError> {
        let opts = self.inner.opts;
        self.inner.state.lock(|h| {
            if h.closed {
                return Err(StreamError::Closed {
                    path: path.to_owned(),
                    hub: true,
                });
            }
            let channel = match h.paths.get(path) {
                Some(c) => c.clone(),
                None => {
                    let c = Arc::new(Channel::new(path.to_owned(), opts));
                    h.paths.insert(path.to_owned(), c.clone());
                    c
                }
            };
            // Lock order: hub, then path (never the other way round).
            if channel.state.lock(join) {
                Ok(channel)
            } else {
                Err(StreamError::Closed {
                    path: path.to_owned(),
                    hub: false,
                })
            }
        })
    }

    /// Writes `msg` to every path that starts with `prefix` (`""` = every path), without
    /// waiting: paths whose buffer is full, or whose stream has ended, are skipped and counted.
    /// The message is shared, not copied, between paths.
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// let mut readers: Vec<_> = (0..3).map(|i| hub.reader(&format!("subscriber/{i}")).unwrap()).collect();
    /// let report = hub.broadcast("subscriber/", "event data");
    /// assert_eq!(report.delivered, 3);
    /// assert!(readers.iter_mut().all(|r| r.try_recv().as_deref() == Ok(&b"event data"[..])));
    /// ```
    pub fn broadcast(&self, prefix: &str, msg: impl Into<Bytes>) -> BroadcastReport {
        let targets: Vec<Arc<Channel<R>>> = self.inner.state.lock(|h| {
            h.paths
                .range::<str, _>((
                    core::ops::Bound::Included(prefix),
                    core::ops::Bound::Unbounded,
                ))
                .take_while(|(p, _)| p.starts_with(prefix))
                .map(|(_, c)| c.clone())
                .collect()
        });
        Self::deliver(&targets, msg.into())
    }

    /// Writes `msg` to every path that is a channel name (see [`crate::grammar`]) matching
    /// `pattern`, without waiting; full or ended paths are skipped and counted, as in
    /// [`broadcast`](Streams::broadcast). Paths that are not valid channel names never match.
    ///
    /// Only paths sharing the pattern's literal prefix are examined (`public:chat.*` looks at
    /// paths starting with `public:chat.`), and each is parsed without allocating.
    ///
    /// ```
    /// use lindy::grammar::Pattern;
    /// use lindy::stream::Streams;
    ///
    /// let hub = Streams::new();
    /// let mut lobby = hub.reader("public:chat.rooms.lobby").unwrap();
    /// let mut hall = hub.reader("public:chat.rooms.hall").unwrap();
    /// let _raw = hub.reader("chat/rooms/lobby").unwrap(); // not a channel name
    ///
    /// let report = hub.broadcast_matching(&Pattern::parse("public:chat.*.lobby")?, "hi");
    /// assert_eq!(report.delivered, 1);
    /// assert_eq!(lobby.try_recv(), Ok("hi".into()));
    /// assert_eq!(hall.try_recv(), Err(lindy::stream::TryRecvError::Empty));
    /// # Ok::<(), lindy::grammar::GrammarError>(())
    /// ```
    pub fn broadcast_matching(&self, pattern: &Pattern, msg: impl Into<Bytes>) -> BroadcastReport {
        let prefix = literal_prefix(pattern);
        let targets: Vec<Arc<Channel<R>>> = self.inner.state.lock(|h| {
            h.paths
                .range::<str, _>((
                    core::ops::Bound::Included(prefix.as_str()),
                    core::ops::Bound::Unbounded,
                ))
                .take_while(|(p, _)| p.starts_with(prefix.as_str()))
                .filter(|(p, _)| NameRef::parse(p).is_ok_and(|n| pattern.matches_ref(n)))
                .map(|(_, c)| c.clone())
                .collect()
        });
        Self::deliver(&targets, msg.into())
    }

    fn deliver(targets: &[Arc<Channel<R>>], msg: Bytes) -> BroadcastReport {
        let mut report = BroadcastReport::default();
        for c in targets {
            report.tally(c.try_push(msg.clone()));
        }
        report
    }

    /// Whether `path` exists (created and not deleted).
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// assert!(!hub.exists("p"));
    /// let _r = hub.reader("p").unwrap();
    /// assert!(hub.exists("p"));
    /// ```
    pub fn exists(&self, path: &str) -> bool {
        self.inner.state.lock(|h| h.paths.contains_key(path))
    }

    /// Deletes `path`: its readers see EOF at once (unread messages are dropped) and its
    /// writers' writes fail. Returns the number of messages dropped, or `None` if there was
    /// no such path. A later `writer`/`reader` on the same name starts a new path.
    ///
    /// ```
    /// use lindy::stream::{Streams, TryRecvError};
    /// let hub = Streams::new();
    /// let w = hub.writer("p").unwrap();
    /// let mut r = hub.reader("p").unwrap();
    /// w.try_write("unread").unwrap();
    /// assert_eq!(hub.delete("p"), Some(1)); // one message dropped
    /// assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
    /// assert_eq!(hub.delete("p"), None);
    /// ```
    pub fn delete(&self, path: &str) -> Option<usize> {
        let channel = self.inner.state.lock(|h| h.paths.remove(path))?;
        let mut later = Deferred::default();
        let dropped = channel.state.lock(|s| s.delete(&mut later));
        later.run();
        Some(dropped)
    }

    /// A snapshot of `path`, or `None` if there is no such path.
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// assert!(hub.stats("p").is_none());
    /// let _w = hub.writer("p").unwrap();
    /// assert_eq!(hub.stats("p").unwrap().writers, 1);
    /// ```
    pub fn stats(&self, path: &str) -> Option<PathStats> {
        let channel = self.inner.state.lock(|h| h.paths.get(path).cloned())?;
        Some(channel.state.lock(|s| s.stats()))
    }

    /// The paths starting with `prefix` (`""` = all), sorted.
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// for p in ["b/2", "a/1", "b/1"] {
    ///     let _ = hub.reader(p).unwrap();
    /// }
    /// assert_eq!(hub.list("b/"), ["b/1", "b/2"]);
    /// ```
    pub fn list(&self, prefix: &str) -> Vec<String> {
        self.inner.state.lock(|h| {
            h.paths
                .range::<str, _>((
                    core::ops::Bound::Included(prefix),
                    core::ops::Bound::Unbounded,
                ))
                .take_while(|(p, _)| p.starts_with(prefix))
                .map(|(p, _)| p.clone())
                .collect()
        })
    }

    /// How many paths exist.
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// let _r = hub.reader("p").unwrap();
    /// assert_eq!(hub.channel_count(), 1);
    /// ```
    pub fn channel_count(&self) -> usize {
        self.inner.state.lock(|h| h.paths.len())
    }

    /// Closes the hub: no new writers or readers, every path's stream ends (writes fail;
    /// readers drain what is buffered, then see EOF), and the paths are removed. Closing twice
    /// is harmless.
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// let w = hub.writer("p").unwrap();
    /// hub.close();
    /// assert!(w.try_write("late").is_err());
    /// assert_eq!(hub.reader("p").unwrap_err().code(), "CLOSED");
    /// ```
    pub fn close(&self) {
        let paths = self.inner.state.lock(|h| {
            h.closed = true;
            core::mem::take(&mut h.paths)
        });
        for channel in paths.into_values() {
            let mut later = Deferred::default();
            channel.state.lock(|s| s.end(&mut later));
            later.run();
        }
    }

    /// Whether [`close`](Streams::close) was called.
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// assert!(!hub.is_closed());
    /// hub.close();
    /// assert!(hub.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.state.lock(|h| h.closed)
    }
}

/// The text every name matching `pattern` starts with: the visibility, then the leading
/// literal segments (`public:chat.*.lobby` → `public:chat.`).
fn literal_prefix(pattern: &Pattern) -> String {
    let mut prefix = String::from(pattern.visibility().as_str());
    prefix.push(':');
    let count = pattern.segment_count();
    for (i, seg) in pattern.segments().enumerate() {
        let PatternSegment::Literal(lit) = seg else {
            break;
        };
        prefix.push_str(lit);
        if i + 1 < count {
            prefix.push('.');
        }
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefix_stops_at_the_first_wildcard() {
        for (p, want) in [
            ("public:chat.*.lobby", "public:chat."),
            ("private:*.x.y", "private:"),
            ("public:chat.rooms.lobby", "public:chat.rooms.lobby"),
            ("public:chat.rooms.**", "public:chat.rooms."),
            ("public:**", "public:"),
        ] {
            assert_eq!(literal_prefix(&Pattern::parse(p).unwrap()), want, "{p}");
        }
    }
}

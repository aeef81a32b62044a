//! The reading end of a path.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_core::{FusedStream, Stream};

use super::channel::{Channel, Deferred, Take};
use crate::sync::{Arc, DefaultRawMutex, RawMutex, WaiterSlot};

/// The id of a closed reader (no cursor).
const CLOSED_ID: usize = usize::MAX;

/// Reads messages from one path of a [`Streams`](super::Streams) hub.
///
/// One write is one message is one [`recv`](Reader::recv). [`read`](Reader::read) copies into
/// a caller's buffer; a message longer than the buffer is continued by the next `read`. The
/// reader is also a [`Stream`] of messages. All of them end (EOF) once every writer of the path
/// closed and this reader has drained what is left, when the path is deleted, or when the
/// reader is closed.
///
/// Queue paths (the default) share their messages among readers, each message going to one
/// reader; on persistent paths every reader gets every message, starting with the retained
/// history (see the [module docs](super)).
///
/// ```
/// use futures::StreamExt;
/// # futures::executor::block_on(async {
/// let hub = lindy::stream::Streams::new();
/// let w = hub.writer("logs").unwrap();
/// let mut r = hub.reader("logs").unwrap();
/// w.write("hello, world").await.unwrap();
/// drop(w);
///
/// let mut buf = [0u8; 5];
/// assert_eq!(r.read(&mut buf).await, Some(5));
/// assert_eq!(&buf, b"hello");
/// assert_eq!(r.remaining(), 7); // the rest of the message waits for the next read
/// let rest: Vec<_> = r.collect().await;
/// assert_eq!(rest, [&b", world"[..]]);
/// # });
/// ```
pub struct Reader<R: RawMutex = DefaultRawMutex> {
    channel: Arc<Channel<R>>,
    id: usize,
    slot: WaiterSlot,
    /// The unread rest of a message partly consumed by `read`.
    partial: Option<Bytes>,
    missed: u64,
    /// EOF was returned, or the reader was closed.
    done: bool,
}

impl<R: RawMutex> Reader<R> {
    /// Wraps a channel on which `add_reader` returned `id`.
    pub(super) fn attached(channel: Arc<Channel<R>>, id: usize) -> Self {
        Reader {
            channel,
            id,
            slot: WaiterSlot::new(),
            partial: None,
            missed: 0,
            done: false,
        }
    }

    /// The path read from.
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// assert_eq!(hub.reader("logs").unwrap().path(), "logs");
    /// ```
    pub fn path(&self) -> &str {
        &self.channel.path
    }

    /// Messages of a persistent path's history that were dropped (replay byte cap) before this
    /// reader got to them. It grows when the reader skips over them, i.e. just before the
    /// message that follows the gap is returned. Always 0 on queue paths.
    ///
    /// ```
    /// use lindy::stream::{StreamOptions, Streams};
    /// // Keep about one message of history: a late reader misses the older one.
    /// let hub = Streams::with_options(StreamOptions::new().persistent(true).replay_bytes(40));
    /// let w = hub.writer("p").unwrap();
    /// w.try_write("old").unwrap();
    /// w.try_write("new").unwrap();
    /// let mut late = hub.reader("p").unwrap();
    /// assert_eq!(late.try_recv().as_deref(), Ok(&b"new"[..]));
    /// assert_eq!(late.missed(), 1);
    /// ```
    pub fn missed(&self) -> u64 {
        self.missed
    }

    /// Bytes left of a message partly consumed by [`read`](Reader::read).
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let hub = lindy::stream::Streams::new();
    /// let mut r = hub.reader("p").unwrap();
    /// hub.writer("p").unwrap().write("abcdef").await.unwrap();
    /// let mut buf = [0u8; 4];
    /// assert_eq!(r.read(&mut buf).await, Some(4));
    /// assert_eq!(r.remaining(), 2);
    /// # });
    /// ```
    pub fn remaining(&self) -> usize {
        self.partial.as_ref().map_or(0, Bytes::len)
    }

    /// The next message, whole; `None` at EOF. A message partly consumed by
    /// [`read`](Reader::read) yields its remaining bytes first.
    ///
    /// # Cancel safety
    /// Cancel-safe: a message is taken only when the future completes, so dropping it
    /// loses nothing. A future dropped after being woken passes the wake-up on to the next
    /// waiting reader.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let hub = lindy::stream::Streams::new();
    /// let mut r = hub.reader("p").unwrap();
    /// let w = hub.writer("p").unwrap();
    /// w.write("one").await.unwrap();
    /// drop(w);
    /// assert_eq!(r.recv().await.as_deref(), Some(&b"one"[..]));
    /// assert_eq!(r.recv().await, None); // end of stream
    /// # });
    /// ```
    pub fn recv(&mut self) -> Recv<'_, R> {
        Recv { reader: self }
    }

    /// Copies the next bytes of the stream into `buf` and returns how many; `None` at EOF.
    ///
    /// A read never spans two messages: it returns the rest of the current message, up to
    /// `buf.len()`. A zero-length message reads as `Some(0)`.
    ///
    /// # Cancel safety
    /// Cancel-safe, as [`recv`](Reader::recv): nothing is consumed unless it completes.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let hub = lindy::stream::Streams::new();
    /// let mut r = hub.reader("p").unwrap();
    /// let w = hub.writer("p").unwrap();
    /// w.write("hello").await.unwrap();
    /// w.write("!").await.unwrap();
    /// drop(w);
    /// let mut buf = [0u8; 8];
    /// assert_eq!(r.read(&mut buf).await, Some(5)); // one message, never two
    /// assert_eq!(r.read(&mut buf).await, Some(1));
    /// assert_eq!(r.read(&mut buf).await, None);
    /// # });
    /// ```
    pub fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> Read<'a, R> {
        Read { reader: self, buf }
    }

    /// Takes the next message without waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`](crate::error::TryRecvError::Empty) if nothing is there yet;
    /// [`TryRecvError::Closed`](crate::error::TryRecvError::Closed) at end of
    /// stream (every writer closed and the path is drained, the path was deleted, or this
    /// reader was closed) — from then on, always `Closed`.
    ///
    /// ```
    /// use lindy::stream::{Streams, TryRecvError};
    ///
    /// let hub: Streams = Streams::new();
    /// let w = hub.writer("jobs").unwrap();
    /// let mut r = hub.reader("jobs").unwrap();
    /// assert_eq!(r.try_recv(), Err(TryRecvError::Empty));
    /// w.try_write("one").unwrap();
    /// assert_eq!(r.try_recv().as_deref(), Ok(&b"one"[..]));
    /// drop(w);
    /// assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<Bytes, crate::error::TryRecvError> {
        if let Some(rest) = self.partial.take() {
            return Ok(rest);
        }
        match self.take(None) {
            Poll::Ready(Some(m)) => Ok(m),
            Poll::Ready(None) => Err(crate::error::TryRecvError::Closed),
            Poll::Pending => Err(crate::error::TryRecvError::Empty),
        }
    }

    /// Detaches from the path: the reader returns EOF from now on, and on a persistent path it
    /// stops holding writers back. Closing twice is harmless.
    ///
    /// ```
    /// use lindy::stream::{Streams, TryRecvError};
    /// let hub = Streams::new();
    /// let w = hub.writer("p").unwrap();
    /// let mut r = hub.reader("p").unwrap();
    /// w.try_write("x").unwrap();
    /// r.close();
    /// assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn close(&mut self) {
        if self.id == CLOSED_ID {
            return;
        }
        let (id, opts) = (self.id, &self.channel.opts);
        let slot = &mut self.slot;
        let mut later = Deferred::default();
        self.channel.state.lock(|s| {
            let owed = s.read_wait.remove(slot);
            s.remove_reader(id, opts, &mut later);
            if owed && !opts.is_persistent() && s.readable(id, opts) {
                later.wake_opt(s.read_wait.notify_one());
            }
        });
        later.run();
        self.id = CLOSED_ID;
        self.done = true;
        self.partial = None;
    }

    /// Takes the next message from the path, registering `cx`'s waker if there is none.
    fn take(&mut self, cx: Option<&mut Context<'_>>) -> Poll<Option<Bytes>> {
        if self.done {
            return Poll::Ready(None);
        }
        let (id, opts) = (self.id, &self.channel.opts);
        let (slot, missed) = (&mut self.slot, &mut self.missed);
        let mut later = Deferred::default();
        let out = self
            .channel
            .state
            .lock(|s| match s.take(id, opts, missed, &mut later) {
                Take::Message(m) => {
                    s.read_wait.remove(slot);
                    Poll::Ready(Some(m))
                }
                Take::Eof => {
                    s.read_wait.remove(slot);
                    Poll::Ready(None)
                }
                Take::Empty => {
                    if let Some(cx) = cx {
                        s.read_wait.register(slot, cx.waker());
                    }
                    Poll::Pending
                }
            });
        later.run();
        if let Poll::Ready(None) = out {
            self.done = true;
        }
        out
    }

    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        if let Some(rest) = self.partial.take() {
            return Poll::Ready(Some(rest));
        }
        self.take(Some(cx))
    }

    /// A future of this reader was dropped while waiting: leave the queue, and pass on a
    /// wake-up it had received but not used (queue paths: another reader can take the message).
    fn abandon_wait(&mut self) {
        if !self.slot.is_registered() {
            return;
        }
        let (id, opts) = (self.id, &self.channel.opts);
        let slot = &mut self.slot;
        let handed_on = self.channel.state.lock(|s| {
            let owed = s.read_wait.remove(slot);
            if owed && !opts.is_persistent() && s.readable(id, opts) {
                s.read_wait.notify_one()
            } else {
                None
            }
        });
        if let Some(w) = handed_on {
            w.wake();
        }
    }
}

impl<R: RawMutex> Drop for Reader<R> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<R: RawMutex> core::fmt::Debug for Reader<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reader")
            .field("path", &self.path())
            .field("remaining", &self.remaining())
            .field("missed", &self.missed)
            .field("done", &self.done)
            .finish()
    }
}

/// Messages until EOF. The stream parks its waker in the path's queue between polls.
///
/// # Cancel safety
/// Cancel-safe, as [`Reader::recv`]: dropping the reader leaves the queue and passes on an
/// unused wake-up.
impl<R: RawMutex> Stream for Reader<R> {
    type Item = Bytes;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        self.get_mut().poll_message(cx)
    }
}

impl<R: RawMutex> FusedStream for Reader<R> {
    fn is_terminated(&self) -> bool {
        self.done && self.partial.is_none()
    }
}

/// The future of [`Reader::recv`].
///
/// # Cancel safety
/// Cancel-safe (see [`Reader::recv`]).
///
/// ```
/// # futures::executor::block_on(async {
/// let hub = lindy::stream::Streams::new();
/// let mut r = hub.reader("p").unwrap();
/// hub.writer("p").unwrap().try_write("x").unwrap();
/// let recv: lindy::stream::Recv<'_> = r.recv();
/// assert_eq!(recv.await.as_deref(), Some(&b"x"[..]));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a, R: RawMutex = DefaultRawMutex> {
    reader: &'a mut Reader<R>,
}

impl<R: RawMutex> Future for Recv<'_, R> {
    type Output = Option<Bytes>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        self.get_mut().reader.poll_message(cx)
    }
}

impl<R: RawMutex> Drop for Recv<'_, R> {
    fn drop(&mut self) {
        self.reader.abandon_wait();
    }
}

impl<R: RawMutex> core::fmt::Debug for Recv<'_, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Recv")
            .field("path", &self.reader.path())
            .finish()
    }
}

/// The future of [`Reader::read`].
///
/// # Cancel safety
/// Cancel-safe (see [`Reader::read`]).
///
/// ```
/// # futures::executor::block_on(async {
/// let hub = lindy::stream::Streams::new();
/// let mut r = hub.reader("p").unwrap();
/// hub.writer("p").unwrap().try_write("xy").unwrap();
/// let mut buf = [0u8; 2];
/// let read: lindy::stream::Read<'_> = r.read(&mut buf);
/// assert_eq!(read.await, Some(2));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Read<'a, R: RawMutex = DefaultRawMutex> {
    reader: &'a mut Reader<R>,
    buf: &'a mut [u8],
}

impl<R: RawMutex> Future for Read<'_, R> {
    type Output = Option<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<usize>> {
        let this = self.get_mut();
        let Poll::Ready(msg) = this.reader.poll_message(cx) else {
            return Poll::Pending;
        };
        let Some(mut msg) = msg else {
            return Poll::Ready(None);
        };
        let n = msg.len().min(this.buf.len());
        msg.copy_to_slice(&mut this.buf[..n]);
        if msg.has_remaining() {
            this.reader.partial = Some(msg);
        }
        Poll::Ready(Some(n))
    }
}

impl<R: RawMutex> Drop for Read<'_, R> {
    fn drop(&mut self) {
        self.reader.abandon_wait();
    }
}

impl<R: RawMutex> core::fmt::Debug for Read<'_, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Read")
            .field("path", &self.reader.path())
            .field("buf_len", &self.buf.len())
            .finish()
    }
}

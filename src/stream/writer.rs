//! The writing end of a path.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use bytes::Bytes;

use super::channel::{Channel, Deferred};
use super::TryWriteError;
use crate::error::Closed;
use crate::sync::{Arc, DefaultRawMutex, RawMutex, WaiterSlot};

/// Writes messages to one path of a [`Streams`](super::Streams) hub.
///
/// Each [`write`](Writer::write) is one message: readers receive it whole, with its
/// boundaries. The stream ends (readers drain, then see EOF) when every writer handle of the
/// path is closed — by [`close`](Writer::close) or by dropping it. Clones are further handles
/// on the same path.
///
/// ```
/// # futures::executor::block_on(async {
/// let hub = lindy::stream::Streams::new();
/// let mut w = hub.writer("events").unwrap();
/// let mut r = hub.reader("events").unwrap();
/// w.write("one").await.unwrap();
/// w.try_write(&b"two"[..]).unwrap();
/// w.close();
/// assert_eq!(r.recv().await.as_deref(), Some(&b"one"[..]));
/// assert_eq!(r.recv().await.as_deref(), Some(&b"two"[..]));
/// assert_eq!(r.recv().await, None); // EOF
/// # });
/// ```
pub struct Writer<R: RawMutex = DefaultRawMutex> {
    channel: Arc<Channel<R>>,
    closed: bool,
}

impl<R: RawMutex> Writer<R> {
    /// Wraps a channel on which `add_writer` was already counted for this handle.
    pub(super) fn attached(channel: Arc<Channel<R>>) -> Self {
        Writer {
            channel,
            closed: false,
        }
    }

    /// The path written to.
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// assert_eq!(hub.writer("logs").unwrap().path(), "logs");
    /// ```
    pub fn path(&self) -> &str {
        &self.channel.path
    }

    /// Writes one message, waiting while the path's buffer is full.
    ///
    /// Resolves to `Err(Closed(msg))` — the message handed back — if this writer was closed,
    /// the path was deleted or the hub closed (also while waiting).
    ///
    /// # Cancel safety
    /// Cancel-safe: the message is written entirely or not at all; dropping the future
    /// before it completes drops the message unwritten. A future dropped after being woken for
    /// room passes the wake-up on to the next waiting writer.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// let hub = lindy::stream::Streams::new();
    /// let w = hub.writer("p").unwrap();
    /// let mut r = hub.reader("p").unwrap();
    /// w.write(vec![1u8, 2, 3]).await.unwrap();
    /// assert_eq!(r.recv().await.as_deref(), Some(&[1u8, 2, 3][..]));
    /// # });
    /// ```
    pub fn write(&self, msg: impl Into<Bytes>) -> Write<'_, R> {
        Write {
            writer: self,
            msg: Some(msg.into()),
            slot: WaiterSlot::new(),
        }
    }

    /// Writes one message if there is room now.
    ///
    /// # Errors
    /// [`TryWriteError::Full`] if the buffer is full, [`TryWriteError::Closed`] if this
    /// writer, the path or the hub is closed; the message is handed back either way.
    ///
    /// ```
    /// use lindy::stream::{Streams, TryWriteError};
    /// let hub = Streams::from_config([("buffer_size", "1")]).unwrap();
    /// let w = hub.writer("p").unwrap();
    /// w.try_write("first").unwrap();
    /// let err = w.try_write("second").unwrap_err();
    /// assert!(err.is_full());
    /// assert_eq!(err.into_inner(), "second"); // handed back
    /// ```
    pub fn try_write(&self, msg: impl Into<Bytes>) -> Result<(), TryWriteError> {
        let msg = msg.into();
        if self.closed {
            return Err(TryWriteError::Closed(Closed(msg)));
        }
        self.channel.try_push(msg)
    }

    /// Closes this handle; when it was the path's last open writer, the stream ends and its
    /// readers see EOF once they have drained it. Closing twice is harmless.
    ///
    /// ```
    /// use lindy::stream::{Streams, TryRecvError};
    /// let hub = Streams::new();
    /// let (mut a, b) = (hub.writer("p").unwrap(), hub.writer("p").unwrap());
    /// let mut r = hub.reader("p").unwrap();
    /// a.close();
    /// assert_eq!(r.try_recv(), Err(TryRecvError::Empty), "b is still open");
    /// drop(b); // the last writer: the stream ends
    /// assert_eq!(r.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn close(&mut self) {
        if core::mem::replace(&mut self.closed, true) {
            return;
        }
        let mut later = Deferred::default();
        self.channel.state.lock(|s| s.remove_writer(&mut later));
        later.run();
    }

    /// Whether writes will fail: this handle was closed, or the path was deleted or its hub
    /// closed.
    ///
    /// ```
    /// let hub = lindy::stream::Streams::new();
    /// let mut w = hub.writer("p").unwrap();
    /// assert!(!w.is_closed());
    /// w.close();
    /// assert!(w.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed || self.channel.state.lock(|s| !s.accepts())
    }
}

impl<R: RawMutex> Clone for Writer<R> {
    /// Another open handle on the same path (a closed handle clones closed).
    fn clone(&self) -> Self {
        let open = !self.closed
            && self.channel.state.lock(|s| {
                let ok = s.accepts();
                if ok {
                    s.add_writer();
                }
                ok
            });
        Writer {
            channel: self.channel.clone(),
            closed: !open,
        }
    }
}

impl<R: RawMutex> Drop for Writer<R> {
    fn drop(&mut self) {
        self.close();
    }
}

impl<R: RawMutex> core::fmt::Debug for Writer<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Writer")
            .field("path", &self.path())
            .field("closed", &self.closed)
            .finish()
    }
}

/// The future of [`Writer::write`].
///
/// # Cancel safety
/// Cancel-safe (see [`Writer::write`]).
///
/// ```
/// use std::pin::pin;
/// use futures::poll;
/// use lindy::stream::{Streams, Write};
///
/// # futures::executor::block_on(async {
/// let hub = Streams::from_config([("buffer_size", "1")]).unwrap();
/// let (w, mut r) = (hub.writer("p").unwrap(), hub.reader("p").unwrap());
/// w.write("a").await.unwrap();
/// let mut second: std::pin::Pin<&mut Write<'_>> = pin!(w.write("b"));
/// assert!(poll!(second.as_mut()).is_pending()); // the path is full: back-pressure
/// assert_eq!(r.recv().await.as_deref(), Some(&b"a"[..]));
/// second.await.unwrap(); // room again
/// assert_eq!(r.recv().await.as_deref(), Some(&b"b"[..]));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Write<'a, R: RawMutex = DefaultRawMutex> {
    writer: &'a Writer<R>,
    msg: Option<Bytes>,
    slot: WaiterSlot,
}

impl<R: RawMutex> Future for Write<'_, R> {
    /// `Err` hands the message back.
    type Output = Result<(), Closed<Bytes>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(msg) = this.msg.take() else {
            // Polled after completion: nothing left to write.
            return Poll::Ready(Err(Closed(Bytes::new())));
        };
        let (writer, slot) = (this.writer, &mut this.slot);
        let channel = &writer.channel;
        let mut later = Deferred::default();
        let out = channel.state.lock(|s| {
            if writer.closed || !s.accepts() {
                s.write_wait.remove(slot);
                Poll::Ready(Err(Closed(msg)))
            } else if s.has_room(&channel.opts) {
                s.write_wait.remove(slot);
                s.push(msg, &channel.opts, &mut later);
                Poll::Ready(Ok(()))
            } else {
                s.write_wait.register(slot, cx.waker());
                this.msg = Some(msg);
                Poll::Pending
            }
        });
        later.run();
        out
    }
}

impl<R: RawMutex> Drop for Write<'_, R> {
    fn drop(&mut self) {
        if !self.slot.is_registered() {
            return;
        }
        let channel = &self.writer.channel;
        let slot = &mut self.slot;
        let handed_on = channel.state.lock(|s| {
            let owed = s.write_wait.remove(slot);
            if owed && s.accepts() && s.has_room(&channel.opts) {
                s.write_wait.notify_one()
            } else {
                None
            }
        });
        if let Some(w) = handed_on {
            w.wake();
        }
    }
}

impl<R: RawMutex> core::fmt::Debug for Write<'_, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Write")
            .field("path", &self.writer.path())
            .field("done", &self.msg.is_none())
            .finish()
    }
}

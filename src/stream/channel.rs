//! One path's shared state: the message log, reader cursors and the two wait queues.
//!
//! Messages are numbered by a sequence (`seq`); `log[0]` has sequence `base`, so the next
//! message written gets `base + log.len()`.
//!
//! * **Queue mode** (not persistent): the log holds unread messages only; readers compete and
//!   a read pops the front. Writers wait while `log.len() == buffer_size`.
//! * **Persistent mode**: each reader has a cursor; reading never removes anything. A reader
//!   that joined at sequence `j` with cursor `c` *protects* every message from `max(c, j)` on:
//!   those are live messages it has yet to read. Messages before the lowest protected sequence
//!   (`protect_from`) are history, kept for late readers up to `replay_bytes` and dropped
//!   oldest first beyond. A message weighs its length plus [`ENTRY_OVERHEAD`] (its slot in the
//!   log), so even empty messages cannot grow the history without bound. Writers wait while the slowest reader is `buffer_size` live messages
//!   behind. A reader whose cursor falls below `base` (its unread history was dropped) skips
//!   ahead and counts the messages it missed.
//!
//! `protect_from` only ever grows: a new reader protects from the current end, and a leaving
//! or advancing reader can only raise the minimum.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::task::Waker;

use bytes::Bytes;

use super::{StreamOptions, TryWriteError};
use crate::error::{Closed, Full};
use crate::sync::{Mutex, RawMutex, WaitQueue};

/// What one retained message costs besides its payload, for the replay cap.
pub(super) const ENTRY_OVERHEAD: usize = core::mem::size_of::<Bytes>();

fn weight(msg: &Bytes) -> usize {
    msg.len() + ENTRY_OVERHEAD
}

pub(super) struct Channel<R: RawMutex> {
    pub(super) path: String,
    pub(super) opts: StreamOptions,
    pub(super) state: Mutex<R, State>,
}

#[derive(Clone, Copy)]
pub(super) struct Cursor {
    pub(super) next: u64,
    joined: u64,
}

pub(super) struct State {
    log: VecDeque<Bytes>,
    base: u64,
    /// Persistent mode: the first sequence some reader still has to read live.
    protect_from: u64,
    /// Persistent mode: bytes of the history (`[base, protect_from)`).
    history_bytes: usize,
    /// Reader cursors by reader id; `None` = free id.
    cursors: Vec<Option<Cursor>>,
    free_ids: Vec<usize>,
    pub(super) readers_len: usize,
    /// Open writer handles.
    writers: usize,
    /// No more writes: every writer closed, or the hub closed. Readers drain, then see EOF.
    pub(super) ended: bool,
    /// Deleted: readers see EOF at once, the buffer is gone.
    pub(super) deleted: bool,
    pub(super) read_wait: WaitQueue,
    pub(super) write_wait: WaitQueue,
}

/// Work that must not happen under the lock: waking wakers (so woken tasks do not contend for
/// it) and dropping messages (a `Bytes` may own user data with its own `Drop`). Collected while
/// locked, run after unlocking.
///
/// Built for the hot path of a queue path — one write or one read wakes at most one task and
/// drops nothing — so one waker and one message sit inline and the rest spills into a box that
/// is never allocated on that path: three words, three `None` checks to run.
#[derive(Default)]
pub(super) struct Deferred {
    waker: Option<Waker>,
    dropped: Option<Bytes>,
    spill: Option<Box<Spill>>,
}

/// What does not fit inline in [`Deferred`] (broadcast wake-ups, history trims, deletes).
#[derive(Default)]
struct Spill {
    wakers: Vec<Waker>,
    dropped: Vec<Bytes>,
}

impl Deferred {
    #[inline]
    pub(super) fn wake(&mut self, w: Waker) {
        match self.waker {
            None => self.waker = Some(w),
            Some(_) => self.spill().wakers.push(w),
        }
    }

    #[inline]
    pub(super) fn wake_opt(&mut self, w: Option<Waker>) {
        if let Some(w) = w {
            self.wake(w);
        }
    }

    fn drop_later(&mut self, msg: Bytes) {
        match self.dropped {
            None => self.dropped = Some(msg),
            Some(_) => self.spill().dropped.push(msg),
        }
    }

    fn drop_all_later(&mut self, msgs: impl IntoIterator<Item = Bytes>) {
        self.spill().dropped.extend(msgs);
    }

    fn spill(&mut self) -> &mut Spill {
        self.spill.get_or_insert_with(Box::default)
    }

    /// Wakes, in the order collected, and drops the messages (call with no lock held).
    ///
    /// Inlined to a few branches for the hot path (one waker or none, nothing to drop); the rest
    /// is out of line, so the hot path stays small enough to inline.
    #[inline]
    pub(super) fn run(self) {
        let Deferred {
            waker,
            dropped,
            spill,
        } = self;
        if let Some(w) = waker {
            w.wake();
        }
        if dropped.is_some() || spill.is_some() {
            Self::run_rest(dropped, spill);
        }
    }

    #[cold]
    #[inline(never)]
    fn run_rest(dropped: Option<Bytes>, spill: Option<Box<Spill>>) {
        if let Some(spill) = spill {
            let Spill { wakers, dropped } = *spill;
            wakers.into_iter().for_each(Waker::wake);
            drop(dropped);
        }
        drop(dropped);
    }
}

/// What a reader found.
pub(super) enum Take {
    Message(Bytes),
    Eof,
    Empty,
}

impl<R: RawMutex> Channel<R> {
    pub(super) fn new(path: String, opts: StreamOptions) -> Self {
        Channel {
            path,
            opts,
            state: Mutex::new(State::new()),
        }
    }

    /// Writes without waiting (writers' `try_write` and broadcast).
    pub(super) fn try_push(&self, msg: Bytes) -> Result<(), TryWriteError> {
        let mut later = Deferred::default();
        let r = self.state.lock(|s| {
            if !s.accepts() {
                Err(TryWriteError::Closed(Closed(msg)))
            } else if !s.has_room(&self.opts) {
                Err(TryWriteError::Full(Full(msg)))
            } else {
                s.push(msg, &self.opts, &mut later);
                Ok(())
            }
        });
        later.run();
        r
    }
}

impl State {
    const fn new() -> Self {
        State {
            log: VecDeque::new(),
            base: 0,
            protect_from: 0,
            history_bytes: 0,
            cursors: Vec::new(),
            free_ids: Vec::new(),
            readers_len: 0,
            writers: 0,
            ended: false,
            deleted: false,
            read_wait: WaitQueue::new(),
            write_wait: WaitQueue::new(),
        }
    }

    fn next_seq(&self) -> u64 {
        self.base + self.log.len() as u64
    }

    /// Whether writes are accepted at all.
    pub(super) fn accepts(&self) -> bool {
        !self.ended && !self.deleted
    }

    /// Whether a write would fit now.
    pub(super) fn has_room(&self, opts: &StreamOptions) -> bool {
        let pending = if opts.is_persistent() {
            self.next_seq() - self.protect_from
        } else {
            self.log.len() as u64
        };
        pending < opts.buffer_len() as u64
    }

    /// A snapshot for [`Streams::stats`](super::Streams::stats).
    pub(super) fn stats(&self) -> super::PathStats {
        super::PathStats {
            held: self.log.len(),
            history_bytes: self.history_bytes,
            readers: self.readers_len,
            writers: self.writers,
            waiting_readers: self.read_wait.len(),
            waiting_writers: self.write_wait.len(),
            ended: self.ended,
        }
    }

    /// Appends a message (caller checked `accepts` and `has_room`) and collects the readers to
    /// wake: one in queue mode (readers compete), all of them in persistent mode.
    #[inline]
    pub(super) fn push(&mut self, msg: Bytes, opts: &StreamOptions, later: &mut Deferred) {
        self.log.push_back(msg);
        if !opts.is_persistent() {
            // The queue path, inlined into the writer's poll: readers compete, wake one.
            later.wake_opt(self.read_wait.notify_one());
        } else {
            self.pushed_persistent(opts, later);
        }
    }

    /// The persistent half of [`push`](Self::push): every waiting reader wakes.
    fn pushed_persistent(&mut self, opts: &StreamOptions, later: &mut Deferred) {
        if self.readers_len == 0 {
            // No reader protects it: the message goes straight to the history. (With
            // readers, a write moves no cursor, so the protected floor cannot change.)
            self.refresh_protection(opts, later);
        }
        while let Some(w) = self.read_wait.notify_one() {
            later.wake(w);
        }
    }

    pub(super) fn add_writer(&mut self) {
        self.writers += 1;
    }

    /// A writer handle closed; the last one ends the stream.
    pub(super) fn remove_writer(&mut self, later: &mut Deferred) {
        self.writers = self.writers.saturating_sub(1);
        if self.writers == 0 && !self.ended {
            self.end(later);
        }
    }

    /// No more writes: readers drain what is buffered, then see EOF.
    pub(super) fn end(&mut self, later: &mut Deferred) {
        self.ended = true;
        self.wake_everyone(later);
    }

    /// Deleted: readers see EOF at once. Returns the number of messages dropped (they are
    /// handed to `later`, to be dropped outside the lock).
    pub(super) fn delete(&mut self, later: &mut Deferred) -> usize {
        let dropped = self.log.len();
        self.base = self.next_seq();
        self.protect_from = self.base;
        later.drop_all_later(core::mem::take(&mut self.log));
        self.history_bytes = 0;
        self.deleted = true;
        self.ended = true;
        self.wake_everyone(later);
        dropped
    }

    fn wake_everyone(&mut self, later: &mut Deferred) {
        while let Some(w) = self.read_wait.notify_one() {
            later.wake(w);
        }
        while let Some(w) = self.write_wait.notify_one() {
            later.wake(w);
        }
    }

    /// Registers a reader. In persistent mode its cursor starts at the very first message
    /// ever written: whatever history is gone by then counts as missed on its first read.
    pub(super) fn add_reader(&mut self) -> usize {
        let cursor = Cursor {
            next: 0,
            joined: self.next_seq(),
        };
        self.readers_len += 1;
        match self.free_ids.pop() {
            Some(id) => {
                self.cursors[id] = Some(cursor);
                id
            }
            None => {
                self.cursors.push(Some(cursor));
                self.cursors.len() - 1
            }
        }
    }

    pub(super) fn remove_reader(&mut self, id: usize, opts: &StreamOptions, later: &mut Deferred) {
        if let Some(c) = self.cursors.get_mut(id) {
            if c.take().is_some() {
                self.readers_len -= 1;
                self.free_ids.push(id);
                if opts.is_persistent() {
                    self.refresh_protection(opts, later);
                }
            }
        }
    }

    /// Takes the next message for reader `id`. `missed` grows by the history messages that
    /// were dropped before this reader got to them.
    #[inline]
    pub(super) fn take(
        &mut self,
        id: usize,
        opts: &StreamOptions,
        missed: &mut u64,
        later: &mut Deferred,
    ) -> Take {
        if self.deleted {
            return Take::Eof;
        }
        if !opts.is_persistent() {
            // The queue path, inlined into the reader's poll: pop, wake one writer.
            return match self.log.pop_front() {
                Some(msg) => {
                    self.base += 1;
                    later.wake_opt(self.write_wait.notify_one());
                    Take::Message(msg)
                }
                None if self.ended => Take::Eof,
                None => Take::Empty,
            };
        }
        self.take_persistent(id, opts, missed, later)
    }

    fn take_persistent(
        &mut self,
        id: usize,
        opts: &StreamOptions,
        missed: &mut u64,
        later: &mut Deferred,
    ) -> Take {
        let base = self.base;
        let next_seq = self.next_seq();
        let Some(Some(cursor)) = self.cursors.get_mut(id) else {
            return Take::Eof;
        };
        // History this reader had not replayed may have been dropped: skip it, but only count
        // it as missed when something follows (a message or EOF), so `missed` changes right
        // before the reader sees what comes after the gap.
        let start = cursor.next.max(base);
        if start == next_seq && !self.ended {
            return Take::Empty;
        }
        *missed += start - cursor.next;
        cursor.next = start;
        if start == next_seq {
            return Take::Eof;
        }
        let msg = self.log[(start - base) as usize].clone();
        cursor.next += 1;
        let live = cursor.next > cursor.joined;
        if live {
            // Only a live read can raise the protected floor.
            self.refresh_protection(opts, later);
        }
        Take::Message(msg)
    }

    /// Whether reader `id` would get something (a message or EOF) without waiting.
    pub(super) fn readable(&self, id: usize, opts: &StreamOptions) -> bool {
        if self.deleted || self.ended {
            return true;
        }
        if !opts.is_persistent() {
            return !self.log.is_empty();
        }
        match self.cursors.get(id) {
            Some(Some(c)) => c.next < self.next_seq(),
            _ => true,
        }
    }

    /// Recomputes the protected floor after readers moved, joined or left, or a message was
    /// written; moves newly unprotected messages into the history, wakes writers for the room
    /// that opened, and trims the history to the byte cap.
    fn refresh_protection(&mut self, opts: &StreamOptions, later: &mut Deferred) {
        let floor = self
            .cursors
            .iter()
            .flatten()
            .map(|c| c.next.max(c.joined))
            .min()
            .unwrap_or_else(|| self.next_seq());
        if floor > self.protect_from {
            let from = (self.protect_from - self.base) as usize;
            let to = (floor - self.base) as usize;
            self.history_bytes += self.log.range(from..to).map(weight).sum::<usize>();
            let freed = floor - self.protect_from;
            self.protect_from = floor;
            for _ in 0..freed {
                match self.write_wait.notify_one() {
                    Some(w) => later.wake(w),
                    None => break,
                }
            }
        }
        while self.history_bytes > opts.replay_cap() {
            let Some(old) = self.log.pop_front() else {
                break;
            };
            self.history_bytes -= weight(&old);
            self.base += 1;
            later.drop_later(old);
        }
    }
}

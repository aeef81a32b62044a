//! [`Key`]: a handle on one key of a [`LocalSpace`].

use core::fmt;

use super::{LocalSpace, Peek, Push, Take};
use crate::queue::PushError;
use crate::sync::{DefaultRawMutex, RawMutex};

/// One key of a [`LocalSpace`], from [`LocalSpace::key`]: the space's key operations without
/// naming the key each time. Copy it freely.
pub struct Key<'a, V, R: RawMutex = DefaultRawMutex> {
    space: &'a LocalSpace<V, R>,
    key: &'a str,
}

impl<V, R: RawMutex> Clone for Key<'_, V, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V, R: RawMutex> Copy for Key<'_, V, R> {}

impl<'a, V, R: RawMutex> Key<'a, V, R> {
    pub(crate) fn new(space: &'a LocalSpace<V, R>, key: &'a str) -> Self {
        Key { space, key }
    }

    /// The key's name.
    pub fn name(&self) -> &'a str {
        self.key
    }

    /// [`LocalSpace::try_push`] on this key.
    ///
    /// # Errors
    /// As [`LocalSpace::try_push`].
    pub fn try_push(&self, value: V) -> Result<(), PushError<V>> {
        self.space.try_push(self.key, value)
    }

    /// Renamed [`try_push`](Self::try_push).
    #[deprecated(since = "0.2.0", note = "renamed to `try_push`")]
    pub fn out(&self, value: V) -> Result<(), PushError<V>> {
        self.try_push(value)
    }

    /// [`LocalSpace::push_front`] on this key.
    ///
    /// # Errors
    /// As [`LocalSpace::try_push`].
    pub fn push_front(&self, value: V) -> Result<(), PushError<V>> {
        self.space.push_front(self.key, value)
    }

    /// Renamed [`push_front`](Self::push_front).
    #[deprecated(since = "0.2.0", note = "renamed to `push_front`")]
    pub fn out_front(&self, value: V) -> Result<(), PushError<V>> {
        self.push_front(value)
    }

    /// [`LocalSpace::push`] on this key.
    ///
    /// # Cancel safety
    /// As [`LocalSpace::push`]: the value is in only if the future resolved `Ok`.
    pub fn push(&self, value: V) -> Push<'a, V, R> {
        self.space.push(self.key, value)
    }

    /// Renamed [`push`](Self::push).
    #[deprecated(since = "0.2.0", note = "renamed to `push`")]
    pub fn out_wait(&self, value: V) -> Push<'a, V, R> {
        self.push(value)
    }

    /// [`LocalSpace::take`] on this key.
    ///
    /// # Cancel safety
    /// As [`LocalSpace::take`]: an entry handed to a dropped future goes back to the head.
    pub fn take(&self) -> Take<'a, V, R> {
        self.space.take(self.key)
    }

    /// [`LocalSpace::try_take`] on this key.
    pub fn try_take(&self) -> Option<V> {
        self.space.try_take(self.key)
    }

    /// [`LocalSpace::len`] of this key.
    pub fn len(&self) -> usize {
        self.space.len(self.key)
    }

    /// Whether nothing is queued under this key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a, V: Clone, R: RawMutex> Key<'a, V, R> {
    /// [`LocalSpace::peek`] on this key.
    ///
    /// # Cancel safety
    /// As [`LocalSpace::peek`]: a read changes nothing.
    pub fn peek(&self) -> Peek<'a, V, R> {
        self.space.peek(self.key)
    }

    /// Renamed [`peek`](Self::peek).
    #[deprecated(since = "0.2.0", note = "renamed to `peek`")]
    pub fn read(&self) -> Peek<'a, V, R> {
        self.peek()
    }

    /// [`LocalSpace::try_peek`] on this key.
    pub fn try_peek(&self) -> Option<V> {
        self.space.try_peek(self.key)
    }

    /// Renamed [`try_peek`](Self::try_peek).
    #[deprecated(since = "0.2.0", note = "renamed to `try_peek`")]
    pub fn try_read(&self) -> Option<V> {
        self.try_peek()
    }
}

impl<V, R: RawMutex> fmt::Debug for Key<'_, V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key").field("name", &self.key).finish()
    }
}

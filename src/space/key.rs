//! [`Key`]: a handle on one key of a [`LocalSpace`].

use core::fmt;

use super::{LocalSpace, OutWait, Read, Take};
use crate::queue::OutError;
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

    /// [`LocalSpace::out`] on this key.
    ///
    /// # Errors
    /// As [`LocalSpace::out`].
    pub fn out(&self, value: V) -> Result<(), OutError<V>> {
        self.space.out(self.key, value)
    }

    /// [`LocalSpace::out_front`] on this key.
    ///
    /// # Errors
    /// As [`LocalSpace::out`].
    pub fn out_front(&self, value: V) -> Result<(), OutError<V>> {
        self.space.out_front(self.key, value)
    }

    /// [`LocalSpace::out_wait`] on this key.
    ///
    /// # Cancel safety
    /// As [`LocalSpace::out_wait`]: the value is in only if the future resolved `Ok`.
    pub fn out_wait(&self, value: V) -> OutWait<'a, V, R> {
        self.space.out_wait(self.key, value)
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
    /// [`LocalSpace::read`] on this key.
    ///
    /// # Cancel safety
    /// As [`LocalSpace::read`]: a read changes nothing.
    pub fn read(&self) -> Read<'a, V, R> {
        self.space.read(self.key)
    }

    /// [`LocalSpace::try_read`] on this key.
    pub fn try_read(&self) -> Option<V> {
        self.space.try_read(self.key)
    }
}

impl<V, R: RawMutex> fmt::Debug for Key<'_, V, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key").field("name", &self.key).finish()
    }
}

//! [`Key`]: a handle on one key of a [`LocalSpace`].

use core::fmt;

use super::{LocalSpace, Peek, Push, Take};
use crate::queue::PushError;
use crate::sync::{DefaultRawMutex, RawMutex};

/// One key of a [`LocalSpace`], from [`LocalSpace::key`]: the space's key operations without
/// naming the key each time. Copy it freely.
///
/// The handle carries the key's hash in the space's key table, computed once when it is made,
/// so its [`try_push`](Self::try_push), [`try_take`](Self::try_take), [`take`](Self::take) and
/// [`len`](Self::len) skip hashing the key: use one in a hot loop on one key.
///
/// ```
/// use lindy::space::LocalSpace;
/// let space = LocalSpace::<u64>::new();
/// let jobs = space.key("jobs");
/// for i in 0..1_000 {
///     jobs.try_push(i).unwrap();
///     assert_eq!(jobs.try_take(), Some(i));
/// }
/// assert_eq!(jobs.name(), "jobs");
/// ```
pub struct Key<'a, V, R: RawMutex = DefaultRawMutex> {
    space: &'a LocalSpace<V, R>,
    key: &'a str,
    /// `key`'s hash in `space`'s key table (`Engine::key_hash`): fixed for the space's life.
    hash: u64,
}

impl<V, R: RawMutex> Clone for Key<'_, V, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V, R: RawMutex> Copy for Key<'_, V, R> {}

impl<'a, V, R: RawMutex> Key<'a, V, R> {
    pub(crate) fn new(space: &'a LocalSpace<V, R>, key: &'a str) -> Self {
        // One lock to hash the key with the table's seed (seeding it if this is the first key).
        let hash = space.state.lock(|e| e.key_hash(key));
        Key { space, key, hash }
    }

    /// The space this handle works on (for the blocking forms, which need `std`).
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(crate) fn space(&self) -> &'a LocalSpace<V, R> {
        self.space
    }

    /// The key's hash in the space's key table (for the blocking forms, which need `std`).
    #[cfg_attr(not(feature = "std"), allow(dead_code))]
    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    /// The key's name.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// assert_eq!(space.key("jobs").name(), "jobs");
    /// ```
    pub fn name(&self) -> &'a str {
        self.key
    }

    /// [`LocalSpace::try_push`] on this key, without hashing it.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// space.key("jobs").try_push(1).unwrap();
    /// assert_eq!(space.try_take("jobs"), Some(1));
    /// ```
    ///
    /// # Errors
    /// As [`LocalSpace::try_push`].
    #[inline]
    pub fn try_push(&self, value: V) -> Result<(), PushError<V>> {
        let (hash, key) = (self.hash, self.key);
        self.space
            .with(|e| e.try_push_hashed(hash, key, value))
            .map(|_| ())
    }

    /// Renamed [`try_push`](Self::try_push).
    #[deprecated(since = "0.2.0", note = "renamed to `try_push`")]
    pub fn out(&self, value: V) -> Result<(), PushError<V>> {
        self.try_push(value)
    }

    /// [`LocalSpace::push_front`] on this key.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// let jobs = space.key("jobs");
    /// jobs.try_push(1).unwrap();
    /// jobs.push_front(0).unwrap();
    /// assert_eq!(jobs.try_take(), Some(0));
    /// ```
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
    /// ```
    /// use lindy::space::LocalSpace;
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// space.key("jobs").push(1).await.unwrap();
    /// assert_eq!(space.try_take("jobs"), Some(1));
    /// # });
    /// ```
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

    /// [`LocalSpace::take`] on this key, without hashing it.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// let jobs = space.key("jobs");
    /// jobs.try_push(7).unwrap();
    /// assert_eq!(jobs.take().await, Ok(7));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    /// As [`LocalSpace::take`]: an entry handed to a dropped future goes back to the head.
    pub fn take(&self) -> Take<'a, V, R> {
        Take::with_hash(self.space, self.key, self.hash)
    }

    /// [`LocalSpace::try_take`] on this key, without hashing it.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// let jobs = space.key("jobs");
    /// assert_eq!(jobs.try_take(), None);
    /// space.try_push("jobs", 1).unwrap();
    /// assert_eq!(jobs.try_take(), Some(1));
    /// ```
    #[inline]
    pub fn try_take(&self) -> Option<V> {
        let (hash, key) = (self.hash, self.key);
        self.space
            .with(|e| e.try_take_hashed(hash, key).ok().map(|t| t.value))
    }

    /// [`LocalSpace::len`] of this key, without hashing it.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// let jobs = space.key("jobs");
    /// jobs.try_push(1).unwrap();
    /// assert_eq!(jobs.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        let (hash, key) = (self.hash, self.key);
        self.space.state.lock(|e| e.len_hashed(hash, key))
    }

    /// Whether nothing is queued under this key.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// assert!(space.key("jobs").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a, V: Clone, R: RawMutex> Key<'a, V, R> {
    /// [`LocalSpace::peek`] on this key.
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// # futures::executor::block_on(async {
    /// let space = LocalSpace::<u32>::new();
    /// let config = space.key("config");
    /// config.try_push(7).unwrap();
    /// assert_eq!(config.peek().await, Ok(7));
    /// # });
    /// ```
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
    ///
    /// ```
    /// use lindy::space::LocalSpace;
    /// let space = LocalSpace::<u32>::new();
    /// let config = space.key("config");
    /// assert_eq!(config.try_peek(), None);
    /// config.try_push(7).unwrap();
    /// assert_eq!(config.try_peek(), Some(7));
    /// ```
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

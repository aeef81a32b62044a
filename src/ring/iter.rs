//! Iterators over a ring, front (oldest) to back.

use core::iter::FusedIterator;
use core::slice;

use super::base::RingBase;
use super::storage::Storage;

/// Borrowing iterator over a ring, oldest first ([`RingBase::iter`]).
///
/// ```
/// let mut ring: lindy::ring::Ring<u8, 2> = lindy::ring::Ring::new();
/// ring.try_push(1)?;
/// ring.try_push(2)?;
/// let iter: lindy::ring::Iter<'_, u8> = ring.iter();
/// assert_eq!(iter.rev().copied().collect::<Vec<_>>(), [2, 1]);
/// # Ok::<(), lindy::Full<u8>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Iter<'a, T> {
    front: slice::Iter<'a, T>,
    back: slice::Iter<'a, T>,
}

impl<'a, T> Iter<'a, T> {
    pub(super) fn new(front: &'a [T], back: &'a [T]) -> Self {
        Iter {
            front: front.iter(),
            back: back.iter(),
        }
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        match self.front.next() {
            Some(v) => Some(v),
            None => {
                // Front run exhausted: continue with the wrapped-around run.
                core::mem::swap(&mut self.front, &mut self.back);
                self.front.next()
            }
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.len();
        (n, Some(n))
    }

    fn fold<B, F: FnMut(B, &'a T) -> B>(self, init: B, mut f: F) -> B {
        let acc = self.front.fold(init, &mut f);
        self.back.fold(acc, f)
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        match self.back.next_back() {
            Some(v) => Some(v),
            None => {
                core::mem::swap(&mut self.front, &mut self.back);
                self.back.next_back()
            }
        }
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {
    fn len(&self) -> usize {
        self.front.len() + self.back.len()
    }
}

impl<T> FusedIterator for Iter<'_, T> {}

/// Mutably borrowing iterator over a ring, oldest first ([`RingBase::iter_mut`]).
///
/// ```
/// let mut ring: lindy::ring::Ring<u8, 2> = lindy::ring::Ring::new();
/// ring.try_push(1)?;
/// let iter: lindy::ring::IterMut<'_, u8> = ring.iter_mut();
/// iter.for_each(|v| *v += 1);
/// assert_eq!(ring.try_take(), Some(2));
/// # Ok::<(), lindy::Full<u8>>(())
/// ```
#[derive(Debug)]
pub struct IterMut<'a, T> {
    front: slice::IterMut<'a, T>,
    back: slice::IterMut<'a, T>,
}

impl<'a, T> IterMut<'a, T> {
    pub(super) fn new(front: &'a mut [T], back: &'a mut [T]) -> Self {
        IterMut {
            front: front.iter_mut(),
            back: back.iter_mut(),
        }
    }
}

impl<'a, T> Iterator for IterMut<'a, T> {
    type Item = &'a mut T;

    #[inline]
    fn next(&mut self) -> Option<&'a mut T> {
        match self.front.next() {
            Some(v) => Some(v),
            None => {
                core::mem::swap(&mut self.front, &mut self.back);
                self.front.next()
            }
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.len();
        (n, Some(n))
    }
}

impl<T> DoubleEndedIterator for IterMut<'_, T> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        match self.back.next_back() {
            Some(v) => Some(v),
            None => {
                core::mem::swap(&mut self.front, &mut self.back);
                self.back.next_back()
            }
        }
    }
}

impl<T> ExactSizeIterator for IterMut<'_, T> {
    fn len(&self) -> usize {
        self.front.len() + self.back.len()
    }
}

impl<T> FusedIterator for IterMut<'_, T> {}

/// Owning iterator: takes a ring's values oldest first; values not taken are dropped with it.
///
/// ```
/// let mut ring: lindy::ring::Ring<String, 2> = lindy::ring::Ring::new();
/// ring.try_push("a".to_string())?;
/// ring.try_push("b".to_string())?;
/// let owned: Vec<String> = ring.into_iter().collect();
/// assert_eq!(owned, ["a", "b"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct IntoIter<T, S: Storage<T>> {
    ring: RingBase<T, S>,
}

impl<T, S: Storage<T>> IntoIter<T, S> {
    pub(super) fn new(ring: RingBase<T, S>) -> Self {
        IntoIter { ring }
    }
}

impl<T, S: Storage<T>> Iterator for IntoIter<T, S> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        self.ring.try_take()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.ring.len(), Some(self.ring.len()))
    }
}

impl<T, S: Storage<T>> ExactSizeIterator for IntoIter<T, S> {}

impl<T, S: Storage<T>> FusedIterator for IntoIter<T, S> {}

impl<T: core::fmt::Debug, S: Storage<T>> core::fmt::Debug for IntoIter<T, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("IntoIter").field(&self.ring).finish()
    }
}

//! `HeapRing<T>`: the runtime-capacity ring (one allocation, at construction).

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::mem::MaybeUninit;

use super::base::RingBase;
use super::error::CapacityError;

/// A ring whose capacity is chosen at run time (the JS API's ring): the same [`RingBase`] as
/// [`Ring<T, N>`](super::Ring), over a boxed slice allocated once by
/// [`with_capacity`](HeapRing::with_capacity) and never resized.
///
/// ```
/// use lindy::ring::HeapRing;
///
/// let mut ring = HeapRing::with_capacity(2)?;
/// ring.try_push('a')?;
/// ring.try_push('b')?;
/// assert!(ring.is_full());
/// assert_eq!(ring.try_take(), Some('a'));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type HeapRing<T> = RingBase<T, Box<[MaybeUninit<T>]>>;

impl<T> HeapRing<T> {
    /// An empty ring with room for exactly `capacity` values.
    ///
    /// # Errors
    /// [`CapacityError`] (`INVALID_CONFIG`) when `capacity` is 0, above `isize::MAX`, or too
    /// large to allocate (the allocation is attempted fallibly: no abort, no panic).
    ///
    /// ```
    /// use lindy::{ring::HeapRing, ErrorCode};
    ///
    /// assert_eq!(HeapRing::<u8>::with_capacity(0).unwrap_err().code(), "INVALID_CONFIG");
    /// assert!(HeapRing::<u64>::with_capacity(usize::MAX).is_err());
    /// ```
    pub fn with_capacity(capacity: usize) -> Result<Self, CapacityError> {
        Ok(RingBase::from_storage(alloc_slots(capacity)?))
    }
}

/// `capacity` uninitialised slots, allocated fallibly.
pub(crate) fn alloc_slots<T>(capacity: usize) -> Result<Box<[MaybeUninit<T>]>, CapacityError> {
    if capacity == 0 {
        return Err(CapacityError::Zero);
    }
    if capacity > isize::MAX as usize {
        // The ring's position arithmetic needs `2 * capacity` to fit (only reachable with
        // zero-sized values: anything larger cannot be allocated that many times anyway).
        return Err(CapacityError::TooLarge {
            requested: capacity,
        });
    }
    let mut slots: Vec<MaybeUninit<T>> = Vec::new();
    slots
        .try_reserve_exact(capacity)
        .map_err(|_| CapacityError::TooLarge {
            requested: capacity,
        })?;
    // Safety: the capacity was reserved above, and `MaybeUninit` slots need no initialisation.
    unsafe { slots.set_len(capacity) };
    Ok(slots.into_boxed_slice())
}

impl<T: Clone> Clone for HeapRing<T> {
    fn clone(&self) -> Self {
        // Same capacity as `self`, which was allocated once already; an allocation failure here
        // aborts like any other infallible clone (`Vec::clone`).
        let mut copy = RingBase::from_storage(Box::new_uninit_slice(self.capacity()));
        for v in self {
            let _ = copy.try_push(v.clone());
        }
        copy
    }
}

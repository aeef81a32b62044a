//! Where a ring keeps its slots: the one seam between the fixed, the unsized and the boxed ring.

use alloc::boxed::Box;
use core::mem::MaybeUninit;

/// The slot storage of a [`RingBase`](super::RingBase). Sealed: the ring's `unsafe` code relies on
/// the storage handing out the same slots, of the same length, every time, so only lindy's three
/// implementations exist:
///
/// | storage | ring | capacity |
/// |---|---|---|
/// | `[MaybeUninit<T>; N]` | [`Ring<T, N>`](super::Ring) | `N`, in the type; no allocation |
/// | `[MaybeUninit<T>]` | [`RingView<T>`](super::RingView) | of the `Ring` it views (unsized) |
/// | `Box<[MaybeUninit<T>]>` | [`HeapRing<T>`](super::HeapRing) | chosen at run time |
///
/// Write code over every ring with `S: Storage<T> + ?Sized`:
/// ```
/// use lindy::ring::{HeapRing, Ring, RingBase, Storage};
///
/// fn drain_sum<S: Storage<u32> + ?Sized>(ring: &mut RingBase<u32, S>) -> u32 {
///     core::iter::from_fn(|| ring.try_take()).sum()
/// }
///
/// let mut fixed: Ring<u32, 4> = Ring::new();
/// let mut heap = HeapRing::with_capacity(4)?;
/// for v in 1..=3 {
///     fixed.try_push(v)?;
///     heap.try_push(v * 10)?;
/// }
/// assert_eq!(drain_sum(&mut fixed), 6);
/// assert_eq!(drain_sum(fixed.as_mut_view()), 0); // the unsized view is a `RingBase` too
/// assert_eq!(drain_sum(&mut heap), 60);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Storage<T>: sealed::Slots<T> {}

impl<T, const N: usize> Storage<T> for [MaybeUninit<T>; N] {}
impl<T> Storage<T> for [MaybeUninit<T>] {}
impl<T> Storage<T> for Box<[MaybeUninit<T>]> {}

pub(crate) mod sealed {
    use super::super::slot::{NoSlots, Slot, StampedSlots};
    use super::*;

    /// The slots themselves. `slots().len()` is the capacity and never changes.
    ///
    /// ```
    /// // Crate-private and sealed; from outside, name the public `Storage` bound instead:
    /// fn capacity<S: lindy::ring::Storage<u8> + ?Sized>(ring: &lindy::ring::RingBase<u8, S>) -> usize {
    ///     ring.capacity()
    /// }
    /// assert_eq!(capacity(&lindy::ring::Ring::<u8, 3>::new()), 3);
    /// ```
    pub trait Slots<T> {
        fn slots(&self) -> &[MaybeUninit<T>];
        fn slots_mut(&mut self) -> &mut [MaybeUninit<T>];
        /// The slots of the storage `this` points to, without creating a reference to them
        /// (the locking ring's producers and consumers write and read different slots at once).
        ///
        /// # Safety
        /// `this` points to a live storage.
        unsafe fn slots_ptr(this: *mut Self) -> *mut [MaybeUninit<T>];

        /// What a [`LockingRingBase`](crate::ring::LockingRingBase) over this storage keeps
        /// instead: each slot beside its stamp.
        type Stamped: StampedSlots<T>;

        /// Empty stamped slots, as many as `self` has (sharing a ring: `From<RingBase>`).
        fn stamped_like(&self) -> Self::Stamped
        where
            Self: Sized;

        /// Empty plain slots, as many as `stamped` has (unsharing it: `into_inner`).
        fn plain_like(stamped: &Self::Stamped) -> Self
        where
            Self: Sized;
    }

    impl<T, const N: usize> Slots<T> for [MaybeUninit<T>; N] {
        #[inline(always)]
        fn slots(&self) -> &[MaybeUninit<T>] {
            self
        }
        #[inline(always)]
        fn slots_mut(&mut self) -> &mut [MaybeUninit<T>] {
            self
        }
        #[inline(always)]
        unsafe fn slots_ptr(this: *mut Self) -> *mut [MaybeUninit<T>] {
            this as *mut [MaybeUninit<T>]
        }

        type Stamped = [Slot<T>; N];

        fn stamped_like(&self) -> [Slot<T>; N] {
            core::array::from_fn(|_| Slot::new())
        }

        fn plain_like(_: &[Slot<T>; N]) -> Self {
            [const { MaybeUninit::uninit() }; N]
        }
    }

    impl<T> Slots<T> for [MaybeUninit<T>] {
        #[inline(always)]
        fn slots(&self) -> &[MaybeUninit<T>] {
            self
        }
        #[inline(always)]
        fn slots_mut(&mut self) -> &mut [MaybeUninit<T>] {
            self
        }
        #[inline(always)]
        unsafe fn slots_ptr(this: *mut Self) -> *mut [MaybeUninit<T>] {
            this
        }

        // No locking ring is unsized: `stamped_like` / `plain_like` cannot be called.
        type Stamped = NoSlots;
    }

    impl<T> Slots<T> for Box<[MaybeUninit<T>]> {
        #[inline(always)]
        fn slots(&self) -> &[MaybeUninit<T>] {
            self
        }
        #[inline(always)]
        fn slots_mut(&mut self) -> &mut [MaybeUninit<T>] {
            self
        }
        #[inline(always)]
        unsafe fn slots_ptr(this: *mut Self) -> *mut [MaybeUninit<T>] {
            // Safety (caller): `this` is live. A place projection through the box: no
            // reference to the box or its slots is created.
            unsafe { &raw mut **this }
        }

        type Stamped = Box<[Slot<T>]>;

        /// Allocates as many slots again (the capacity was allocated once already; a failure
        /// here aborts like any infallible allocation, as `Vec::clone` does).
        fn stamped_like(&self) -> Box<[Slot<T>]> {
            (0..self.len()).map(|_| Slot::new()).collect()
        }

        /// Allocates as many slots again (see `stamped_like`).
        fn plain_like(stamped: &Box<[Slot<T>]>) -> Self {
            Box::new_uninit_slice(stamped.len())
        }
    }
}

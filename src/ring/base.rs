//! `RingBase`: the one ring implementation behind `Ring<T, N>`, `RingView<T>` and `HeapRing<T>`.

use core::fmt;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr;

use super::iter::{IntoIter, Iter, IterMut};
use super::storage::Storage;
use crate::error::Full;

/// A FIFO ring buffer over the slots of `S` (see [`Storage`]); use it through its aliases:
///
/// * [`Ring<T, N>`](Ring) — capacity in the type, `const fn new()`, no allocation ever (can be a
///   `static`);
/// * [`HeapRing<T>`](super::HeapRing) — capacity chosen at run time, one allocation at
///   construction;
/// * [`RingView<T>`](RingView) — an unsized `&mut Ring<T, N>`, for code that should not be
///   compiled once per `N`.
///
/// Every slot is usable (a ring of capacity `N` holds `N` values). A ring has a single owner
/// (`&mut self`); share one between tasks or threads with
/// [`LockingRing`](super::LockingRing).
///
/// Dropping or [`clear`](RingBase::clear)ing a ring drops every value it holds exactly once, even
/// when a value's `Drop` panics (the rest are still dropped, then the panic continues).
///
/// ```
/// use lindy::ring::{HeapRing, Ring, RingBase, Storage};
///
/// // One function for every ring: fixed, heap-allocated or viewed.
/// fn oldest<T: Copy, S: Storage<T> + ?Sized>(ring: &RingBase<T, S>) -> Option<T> {
///     ring.front().copied()
/// }
/// let mut fixed: Ring<u8, 2> = Ring::new();
/// fixed.try_push(1)?;
/// let mut heap = HeapRing::with_capacity(2)?;
/// heap.try_push(2)?;
/// assert_eq!((oldest(&fixed), oldest(&heap)), (Some(1), Some(2)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RingBase<T, S: Storage<T> + ?Sized> {
    /// Position of the oldest value. Positions run over `0..2 * capacity` (each slot has two
    /// names, `slot` and `slot + capacity`), so `head == tail` means empty and
    /// `tail - head == capacity` means full: no separate length, and a push or a take writes a
    /// single index.
    head: usize,
    /// Position the next push writes.
    tail: usize,
    /// The ring owns `T`s (for the drop checker).
    _owns: PhantomData<T>,
    /// Last, so that `RingBase<T, [_; N]>` unsizes to `RingBase<T, [_]>`.
    buf: S,
}

/// A ring of capacity `N`, stored inline: no allocation, `const fn new()`.
///
/// ```
/// use lindy::ring::Ring;
///
/// let mut ring: Ring<&str, 2> = Ring::new();
/// ring.try_push("a")?;
/// ring.try_push("b")?;
/// let full = ring.try_push("c").unwrap_err();
/// assert_eq!(full.into_inner(), "c"); // handed back, not lost
/// assert_eq!(ring.try_take(), Some("a"));
/// assert_eq!(ring.push_overwrite("d"), None);
/// assert_eq!(ring.push_overwrite("e"), Some("b")); // full: evicts the oldest
/// assert!(ring.iter().eq(&["d", "e"]));
/// # Ok::<(), lindy::Full<&str>>(())
/// ```
///
/// `new` is `const`, so a ring can live in a `static` behind a lock (or use
/// [`LockingRing`](super::LockingRing), which is that). `Ring<T, 0>` is rejected at compile time.
pub type Ring<T, const N: usize> = RingBase<T, [MaybeUninit<T>; N]>;

/// A [`Ring`] with its capacity erased: `&mut Ring<T, N>` coerces to `&mut RingView<T>`, so a
/// function taking a view is compiled once for every `N` (heapless' view pattern).
///
/// ```
/// use lindy::ring::{Ring, RingView};
///
/// fn fill(ring: &mut RingView<u8>) {
///     let mut v = 0;
///     while ring.try_push(v).is_ok() {
///         v += 1;
///     }
/// }
/// let mut small: Ring<u8, 2> = Ring::new();
/// let mut large: Ring<u8, 8> = Ring::new();
/// fill(&mut small);
/// fill(large.as_mut_view());
/// assert_eq!((small.len(), large.len()), (2, 8));
/// ```
pub type RingView<T> = RingBase<T, [MaybeUninit<T>]>;

impl<T, const N: usize> Ring<T, N> {
    /// An empty ring. `const`, so it can initialise a `static`.
    ///
    /// ```
    /// use lindy::ring::Ring;
    ///
    /// let mut ring: Ring<u32, 4> = Ring::new();
    /// assert!(ring.is_empty());
    /// ring.try_push(7).unwrap();
    /// assert_eq!(ring.try_take(), Some(7));
    /// ```
    ///
    /// A ring of capacity 0 is a compile-time error (it could never hold anything):
    /// ```compile_fail
    /// let ring: lindy::ring::Ring<u8, 0> = lindy::ring::Ring::new();
    /// ```
    pub const fn new() -> Self {
        const {
            assert!(N > 0, "lindy::ring::Ring<T, N> needs N >= 1");
            assert!(
                N <= isize::MAX as usize,
                "lindy::ring::Ring<T, N> needs N <= isize::MAX"
            );
        };
        RingBase {
            head: 0,
            tail: 0,
            _owns: PhantomData,
            buf: [const { MaybeUninit::uninit() }; N],
        }
    }

    /// This ring as a [`RingView`] (capacity erased).
    ///
    /// ```
    /// let ring: lindy::ring::Ring<u8, 4> = lindy::ring::Ring::new();
    /// assert_eq!(ring.as_view().capacity(), 4);
    /// ```
    pub fn as_view(&self) -> &RingView<T> {
        self
    }

    /// This ring as a mutable [`RingView`] (capacity erased).
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 4> = lindy::ring::Ring::new();
    /// ring.as_mut_view().try_push(1)?;
    /// assert_eq!(ring.len(), 1);
    /// # Ok::<(), lindy::Full<u8>>(())
    /// ```
    pub fn as_mut_view(&mut self) -> &mut RingView<T> {
        self
    }
}

impl<T, const N: usize> Default for Ring<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, S: Storage<T>> RingBase<T, S> {
    /// An empty ring over `buf` (the storage constructors check `buf` is not empty).
    pub(crate) fn from_storage(buf: S) -> Self {
        RingBase {
            head: 0,
            tail: 0,
            _owns: PhantomData,
            buf,
        }
    }

    /// Splits the ring into its storage and its `(head, tail)` positions, without dropping a
    /// value: the values between `head` and `tail` now belong to the caller (the locking ring
    /// keeps them in place and hands them back through [`from_raw_parts`](Self::from_raw_parts)).
    pub(crate) fn into_raw_parts(self) -> (S, usize, usize) {
        let this = core::mem::ManuallyDrop::new(self);
        // Safety: `this` is never used or dropped again, so `buf` is moved out exactly once.
        (unsafe { ptr::read(&this.buf) }, this.head, this.tail)
    }

    /// The inverse of [`into_raw_parts`](Self::into_raw_parts).
    ///
    /// # Safety
    /// `head` and `tail` are positions (`< 2 · capacity`) at most `capacity` apart, and exactly
    /// the slots from `head` up to `tail` hold initialised values, which the ring now owns.
    pub(crate) unsafe fn from_raw_parts(buf: S, head: usize, tail: usize) -> Self {
        let ring = RingBase {
            head,
            tail,
            _owns: PhantomData,
            buf,
        };
        debug_assert!(head < 2 * ring.capacity() && tail < 2 * ring.capacity());
        debug_assert!(ring.len() <= ring.capacity());
        ring
    }
}

impl<T, S: Storage<T> + ?Sized> RingBase<T, S> {
    /// How many values the ring can hold.
    ///
    /// ```
    /// let ring: lindy::ring::Ring<u8, 4> = lindy::ring::Ring::new();
    /// assert_eq!(ring.capacity(), 4);
    /// ```
    #[inline]
    pub fn capacity(&self) -> usize {
        self.buf.slots().len()
    }

    /// How many values the ring holds.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 4> = lindy::ring::Ring::new();
    /// ring.try_push(1)?;
    /// assert_eq!(ring.len(), 1);
    /// # Ok::<(), lindy::Full<u8>>(())
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        let cap = self.capacity();
        if cap.is_power_of_two() {
            self.tail.wrapping_sub(self.head) & (2 * cap - 1)
        } else if self.tail >= self.head {
            self.tail - self.head
        } else {
            self.tail + (2 * cap - self.head)
        }
    }

    /// Whether the ring holds nothing.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 4> = lindy::ring::Ring::new();
    /// assert!(ring.is_empty());
    /// ring.try_push(1)?;
    /// assert!(!ring.is_empty());
    /// # Ok::<(), lindy::Full<u8>>(())
    /// ```
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head == self.tail
    }

    /// Whether the ring is at capacity (the next [`try_push`](Self::try_push) fails).
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 1> = lindy::ring::Ring::new();
    /// ring.try_push(1)?;
    /// assert!(ring.is_full());
    /// # Ok::<(), lindy::Full<u8>>(())
    /// ```
    #[inline]
    pub fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }

    // Position arithmetic. Every constructor keeps `capacity <= isize::MAX`, so `2 * capacity`
    // never overflows; for a power-of-two capacity (decided at compile time for `Ring<T, N>`)
    // masks replace compare-and-select.

    /// `(pos + n) mod 2·capacity`, for `pos < 2·capacity` and `n <= capacity`.
    #[inline(always)]
    fn advance(&self, pos: usize, n: usize) -> usize {
        let cap = self.capacity();
        if cap.is_power_of_two() {
            // `pos + n < 3·cap <= 3·2^(BITS-2)`: no overflow.
            (pos + n) & (2 * cap - 1)
        } else {
            let to_end = 2 * cap - pos;
            if n < to_end {
                pos + n
            } else {
                n - to_end
            }
        }
    }

    /// The slot a position names: `pos mod capacity`, for `pos < 2·capacity`.
    #[inline(always)]
    fn slot(&self, pos: usize) -> usize {
        let cap = self.capacity();
        if cap.is_power_of_two() {
            pos & (cap - 1)
        } else if pos >= cap {
            pos - cap
        } else {
            pos
        }
    }

    /// Appends `value` at the back.
    ///
    /// # Errors
    /// [`Full`] (`BUFFER_FULL`) when the ring is at capacity; it carries `value` back.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<&str, 1> = lindy::ring::Ring::new();
    /// ring.try_push("a")?;
    /// assert_eq!(ring.try_push("b").unwrap_err().into_inner(), "b"); // full: handed back
    /// # Ok::<(), lindy::Full<&str>>(())
    /// ```
    #[inline]
    pub fn try_push(&mut self, value: T) -> Result<(), Full<T>> {
        if self.is_full() {
            return Err(Full(value));
        }
        let slot = self.slot(self.tail);
        debug_assert!(slot < self.capacity());
        // Safety: `slot` is below the capacity, and as the ring is not full the slot `tail` names
        // lies outside the occupied run: it is vacant, nothing is overwritten.
        unsafe { self.buf.slots_mut().get_unchecked_mut(slot).write(value) };
        self.tail = self.advance(self.tail, 1);
        Ok(())
    }

    /// Removes and returns the value at the front (the oldest), or `None` if the ring is empty.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 2> = lindy::ring::Ring::new();
    /// ring.try_push(1)?;
    /// assert_eq!((ring.try_take(), ring.try_take()), (Some(1), None));
    /// # Ok::<(), lindy::Full<u8>>(())
    /// ```
    #[inline]
    pub fn try_take(&mut self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let slot = self.slot(self.head);
        debug_assert!(slot < self.capacity());
        // Safety: the ring is not empty, so the slot `head` names (< capacity) holds an
        // initialised value; advancing `head` marks it vacant, so it is moved out exactly once.
        let value = unsafe { self.buf.slots().get_unchecked(slot).assume_init_read() };
        self.head = self.advance(self.head, 1);
        Some(value)
    }

    /// Renamed [`try_take`](Self::try_take).
    #[deprecated(since = "0.2.0", note = "renamed to `try_take`")]
    #[inline]
    pub fn try_pop(&mut self) -> Option<T> {
        self.try_take()
    }

    /// Appends `value`; when the ring is full, first evicts the oldest value and returns it
    /// (history / telemetry use: the ring keeps the newest `capacity` values).
    ///
    /// ```
    /// let mut last3: lindy::ring::Ring<u32, 3> = lindy::ring::Ring::new();
    /// let evicted: Vec<u32> = (1..=5).filter_map(|v| last3.push_overwrite(v)).collect();
    /// assert_eq!(evicted, [1, 2]);
    /// assert!(last3.iter().eq(&[3, 4, 5]));
    /// ```
    #[inline]
    pub fn push_overwrite(&mut self, value: T) -> Option<T> {
        if !self.is_full() {
            // Cannot fail: there is room.
            return self.try_push(value).err().map(Full::into_inner);
        }
        if self.is_empty() {
            // Capacity 0 (unreachable through lindy's constructors): the value is its own eviction.
            return Some(value);
        }
        let slot = self.slot(self.head);
        debug_assert!(slot < self.capacity());
        // Safety: full and non-empty, so the slot `head` names (< capacity) holds the oldest
        // value: it is moved out and the slot refilled at once; `head` and `tail` (which names the
        // same slot when full) both advance past it, so the new value is the newest and the ring
        // stays full.
        let evicted = unsafe {
            let slot = self.buf.slots_mut().get_unchecked_mut(slot);
            let old = slot.assume_init_read();
            slot.write(value);
            old
        };
        self.head = self.advance(self.head, 1);
        self.tail = self.advance(self.tail, 1);
        Some(evicted)
    }

    /// The oldest value (the next [`try_take`](Self::try_take)), without removing it.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 2> = lindy::ring::Ring::new();
    /// ring.try_push(1)?;
    /// ring.try_push(2)?;
    /// assert_eq!(ring.front(), Some(&1));
    /// # Ok::<(), lindy::Full<u8>>(())
    /// ```
    pub fn front(&self) -> Option<&T> {
        self.get(0)
    }

    /// The newest value, without removing it.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 2> = lindy::ring::Ring::new();
    /// ring.try_push(1)?;
    /// ring.try_push(2)?;
    /// assert_eq!(ring.back(), Some(&2));
    /// # Ok::<(), lindy::Full<u8>>(())
    /// ```
    pub fn back(&self) -> Option<&T> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// The value `index` places from the front (0 is the oldest), if there is one.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 2> = lindy::ring::Ring::new();
    /// ring.try_push(1)?;
    /// ring.try_push(2)?;
    /// assert_eq!((ring.get(1), ring.get(2)), (Some(&2), None));
    /// # Ok::<(), lindy::Full<u8>>(())
    /// ```
    pub fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len() {
            return None;
        }
        let slot = self.slot(self.advance(self.head, index));
        // Safety: `index < len`, so `slot` is an occupied (initialised) slot below the capacity.
        Some(unsafe { self.buf.slots().get_unchecked(slot).assume_init_ref() })
    }

    /// Mutable access to the value `index` places from the front, if there is one.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 2> = lindy::ring::Ring::new();
    /// ring.try_push(1)?;
    /// *ring.get_mut(0).unwrap() = 9;
    /// assert_eq!(ring.try_take(), Some(9));
    /// # Ok::<(), lindy::Full<u8>>(())
    /// ```
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len() {
            return None;
        }
        let slot = self.slot(self.advance(self.head, index));
        // Safety: as in `get`; `&mut self` makes the reference unique.
        Some(unsafe {
            self.buf
                .slots_mut()
                .get_unchecked_mut(slot)
                .assume_init_mut()
        })
    }

    /// The occupied slots as `(front, back)` index ranges; `front` starts at the head.
    #[inline]
    fn occupied(&self) -> (core::ops::Range<usize>, core::ops::Range<usize>) {
        let (head, len) = (self.slot(self.head), self.len());
        let to_end = self.capacity() - head;
        if len <= to_end {
            (head..head + len, 0..0)
        } else {
            (head..self.capacity(), 0..len - to_end)
        }
    }

    /// The values front to back as two slices (the second is non-empty when they wrap around).
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 3> = lindy::ring::Ring::new();
    /// for v in 0..4 {
    ///     ring.push_overwrite(v);
    /// }
    /// assert_eq!(ring.as_slices(), (&[1, 2][..], &[3][..]));
    /// ```
    pub fn as_slices(&self) -> (&[T], &[T]) {
        let (a, b) = self.occupied();
        let slots = self.buf.slots();
        // Safety: both ranges lie inside `slots` and cover exactly the occupied slots, which are
        // initialised; `MaybeUninit<T>` has the layout of `T`.
        unsafe {
            (
                &*(ptr::from_ref(&slots[a]) as *const [T]),
                &*(ptr::from_ref(&slots[b]) as *const [T]),
            )
        }
    }

    /// The values front to back as two mutable slices.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 3> = lindy::ring::Ring::new();
    /// for v in 0..4 {
    ///     ring.push_overwrite(v);
    /// }
    /// let (a, b) = ring.as_mut_slices();
    /// a[0] = 10;
    /// b[0] = 30;
    /// assert!(ring.iter().eq(&[10, 2, 30]));
    /// ```
    pub fn as_mut_slices(&mut self) -> (&mut [T], &mut [T]) {
        let (a, b) = self.occupied();
        let (low, high) = self.buf.slots_mut().split_at_mut(a.start);
        let (front, back) = (&mut high[..a.len()], &mut low[b]);
        // Safety: as in `as_slices`; the two slices are disjoint (`split_at_mut`).
        unsafe {
            (
                &mut *(ptr::from_mut(front) as *mut [T]),
                &mut *(ptr::from_mut(back) as *mut [T]),
            )
        }
    }

    /// Iterates front (oldest) to back.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 3> = lindy::ring::Ring::new();
    /// for v in 1..=4 {
    ///     ring.push_overwrite(v);
    /// }
    /// assert_eq!(ring.iter().copied().collect::<Vec<_>>(), [2, 3, 4]);
    /// assert_eq!(ring.iter().rev().next(), Some(&4));
    /// ```
    pub fn iter(&self) -> Iter<'_, T> {
        let (a, b) = self.as_slices();
        Iter::new(a, b)
    }

    /// Iterates front to back with mutable access.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<u8, 2> = lindy::ring::Ring::new();
    /// ring.try_push(1)?;
    /// ring.try_push(2)?;
    /// ring.iter_mut().for_each(|v| *v *= 10);
    /// assert!(ring.iter().eq(&[10, 20]));
    /// # Ok::<(), lindy::Full<u8>>(())
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, T> {
        let (a, b) = self.as_mut_slices();
        IterMut::new(a, b)
    }

    /// Drops every value, front to back, leaving the ring empty.
    ///
    /// If a value's `Drop` panics, the remaining values are still dropped and the ring is left
    /// empty before the panic continues.
    ///
    /// ```
    /// let mut ring: lindy::ring::Ring<String, 2> = lindy::ring::Ring::new();
    /// ring.try_push("a".to_string()).unwrap();
    /// ring.clear();
    /// assert!(ring.is_empty());
    /// ```
    pub fn clear(&mut self) {
        let (front, back) = self.as_mut_slices();
        let (front, back) = (ptr::from_mut(front), ptr::from_mut(back));
        // Empty first: whatever the drops below do, the ring never sees a dropped value again.
        self.head = 0;
        self.tail = 0;

        /// Drops the back slice even if dropping the front one unwinds (`VecDeque`'s guard).
        struct DropBack<T>(*mut [T]);
        impl<T> Drop for DropBack<T> {
            fn drop(&mut self) {
                // Safety: the slice holds initialised values nobody else will read or drop
                // (the ring was emptied above).
                unsafe { ptr::drop_in_place(self.0) }
            }
        }
        let _back = DropBack(back);
        // Safety: as for `DropBack`. `drop_in_place` on a slice keeps dropping the remaining
        // elements when one of them panics.
        unsafe { ptr::drop_in_place(front) }
    }
}

impl<T, S: Storage<T> + ?Sized> Drop for RingBase<T, S> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<T: fmt::Debug, S: Storage<T> + ?Sized> fmt::Debug for RingBase<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq, S: Storage<T> + ?Sized, S2: Storage<T> + ?Sized> PartialEq<RingBase<T, S2>>
    for RingBase<T, S>
{
    /// Rings are equal when they hold equal values in the same order (capacity is ignored).
    fn eq(&self, other: &RingBase<T, S2>) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Eq, S: Storage<T> + ?Sized> Eq for RingBase<T, S> {}

impl<T: Clone, const N: usize> Clone for Ring<T, N> {
    fn clone(&self) -> Self {
        let mut copy = Ring::new();
        for v in self {
            // Same capacity, so there is always room.
            let _ = copy.try_push(v.clone());
        }
        copy
    }
}

impl<'a, T, S: Storage<T> + ?Sized> IntoIterator for &'a RingBase<T, S> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<'a, T, S: Storage<T> + ?Sized> IntoIterator for &'a mut RingBase<T, S> {
    type Item = &'a mut T;
    type IntoIter = IterMut<'a, T>;
    fn into_iter(self) -> IterMut<'a, T> {
        self.iter_mut()
    }
}

impl<T, S: Storage<T>> IntoIterator for RingBase<T, S> {
    type Item = T;
    type IntoIter = IntoIter<T, S>;
    /// Pops the values front to back; those not taken are dropped with the iterator.
    fn into_iter(self) -> IntoIter<T, S> {
        IntoIter::new(self)
    }
}

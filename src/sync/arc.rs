//! `Arc` and `Weak` on every target (see "Targets without compare-and-swap" in [`crate::sync`]).

#[cfg(target_has_atomic = "ptr")]
pub use alloc::sync::{Arc, Weak};
#[cfg(not(target_has_atomic = "ptr"))]
pub use portable_atomic_util::{Arc, Weak};

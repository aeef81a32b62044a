//! The wasm-bindgen surface behind the npm package `lindy` (built by `make pkg` into `pkg-js/`).
//!
//! This crate is the browser adapter of the [`lindy`] core: the core stays `no_std`, runtime-free
//! and without wasm-bindgen, and everything that knows about JS values, Promises, `AbortSignal`
//! and IndexedDB lives here. It builds only for `wasm32` (on other targets it is empty).
//!
//! Every entry point takes loosely typed JS values and validates them ([`js`]): bad input from JS
//! throws (or rejects with) a `TypeError`, a `RangeError` or a lindy error carrying `.code` —
//! never a wasm trap. Waits accept `{ signal, timeoutMs }` ([`cancel`]) and cancel cleanly,
//! losing nothing.
//!
//! | JS export | Rust |
//! |---|---|
//! | `Name`, `Pattern` (`lindy`), `PatternIndex` (`lindy/channels`) | [`lindy::grammar`]: channel names, patterns, subscription index |
//! | `Space` (JS, `pkg-js/src/space.js`) | [`SpaceCore`]: [`lindy::queue::Engine`] of JS value handles, driven with numbers only |
//! | `Ring` (`lindy/ring`) | [`lindy::ring::LockingHeapRing`]: a bounded FIFO with a run-time capacity |
//! | `Manager` | [`lindy::channels`]: channel lifecycle, `Date.now()` clock, events as an async iterator |
//! | `Streams`, `StreamWriter`, `StreamReader` | [`lindy::stream`]: named byte streams |
//! | `IdbStore` | `IdbStore`: the durable queue on IndexedDB |
//! | `LindyIterator` | the async iterator every `for await` over lindy uses |
// Everything here is JS glue: on other targets the crate is empty (so `cargo build --workspace`
// on the host still works).
#![cfg(target_arch = "wasm32")]
#![no_std]
#![warn(missing_docs, rust_2018_idioms, unreachable_pub)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod cancel;
#[cfg(feature = "manager")]
pub mod channels;
pub mod codes;
#[cfg(any(feature = "space", feature = "manager"))]
pub mod grammar;
#[cfg(feature = "idb")]
pub mod idb_store;
#[cfg(feature = "idb")]
mod idb_sys;
#[cfg(any(feature = "ring", feature = "manager", feature = "streams"))]
pub mod iter;
pub mod js;
#[cfg(feature = "ring")]
pub mod ring;
#[cfg(feature = "space")]
pub mod space_core;
#[cfg(feature = "streams")]
pub mod stream;

#[cfg(feature = "manager")]
pub use channels::Manager;
#[cfg(feature = "space")]
pub use grammar::{Name, Pattern};
// In `lindy/channels`, not `lindy`: subscription routing belongs with the Manager, whose wasm
// already carries the index, and it keeps 4 KB gzipped off what `import "lindy"` loads.
#[cfg(feature = "manager")]
pub use grammar::PatternIndex;
#[cfg(feature = "idb")]
pub use idb_store::{Durability, IdbStore, IdbStoreOptions};
#[cfg(any(feature = "ring", feature = "manager", feature = "streams"))]
pub use iter::LindyIterator;
#[cfg(feature = "ring")]
pub use ring::Ring;
#[cfg(feature = "space")]
pub use space_core::SpaceCore;
#[cfg(feature = "streams")]
pub use stream::{StreamReader, StreamWriter, Streams};

/// Talc instead of std's dlmalloc: 2.1 KB smaller gzipped, the same instructions per `Space`
/// call (docs/js-packaging.md). It grows wasm memory when it runs out and, when memory cannot
/// grow, fails the allocation: a fallible one (`js::copy_in`, the ring's slots) then answers
/// `OUT_OF_MEMORY` instead of trapping. Single-threaded wasm only (no `atomics`), like the rest.
#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Without `std` (the shipped build: `make pkg`), a panic traps at once, as std's `panic = "abort"`
/// ends anyway on `wasm32-unknown-unknown` (it has no stderr to print to), but without std's panic
/// runtime, its message formatting and the location strings every panic site carries (the
/// panic messages std would format): 0.9 KB gzipped off every entry (docs/js-packaging.md).
/// No entry point can reach a panic by design: every input is validated into a coded error.
#[cfg(not(feature = "std"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

// No `typescript_custom_section`: the package ships the hand-written `pkg-js/*.d.ts` (one per
// entry, checked by `tsc` in the JS tests), not the `.d.ts` wasm-bindgen generates into `dist/`.

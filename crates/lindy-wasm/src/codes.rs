//! The stable error codes the JS package raises: every code of [`lindy::error::codes`], plus the
//! ones only the JS side has (cancellation by `AbortSignal`, `postMessage`, the IndexedDB
//! store's lock).
//!
//! | code | raised by | meaning |
//! |---|---|---|
//! | `ABORTED` | every waiting call | an `AbortSignal` cancelled a wait; nothing was taken |
//! | `NOT_CLONEABLE` | the JS fan-out hub | a value cannot cross a `postMessage` boundary; nothing was sent or taken |
//! | `NOT_INITIALIZED` | every browser entry (`lindy`, `lindy/channels`, `lindy/store`) | the entry's class was used before `await init()` resolved (the wasm is not loaded yet) |
//! | `OUT_OF_MEMORY` | `Streams`, `StreamWriter`, `new Ring` (and any call copying a user's bytes into wasm) | wasm memory could not grow for the value; nothing was stored and the instance keeps working |
//! | `STORE_LOCKED` | `IdbStore.open` | another handle (this or another tab or worker) holds the database; close it, or share one store with the fan-out leader module |
#![allow(missing_docs)]

pub use lindy::error::codes::*;

pub const ABORTED: &str = "ABORTED";
pub const NOT_CLONEABLE: &str = "NOT_CLONEABLE";
/// `IdbStore.open`: the database is held by another open handle (see `IdbStore`'s Web Lock).
pub const STORE_LOCKED: &str = "STORE_LOCKED";
/// A browser entry of the package was used before its `await init()` resolved (raised by the JS
/// entries, `pkg-js/src/init.js`; listed here so the JS and Rust code tables stay one).
pub const NOT_INITIALIZED: &str = "NOT_INITIALIZED";
/// wasm memory could not grow to hold a value a user passed; nothing was stored (a coded error
/// where an infallible allocation would trap and kill the instance).
pub const OUT_OF_MEMORY: &str = "OUT_OF_MEMORY";

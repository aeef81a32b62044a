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
//! | `Ring` | [`lindy::ring::LockingHeapRing`]: a bounded FIFO with a run-time capacity |
//! | `Manager` | [`lindy::channels`]: channel lifecycle, `Date.now()` clock, events as an async iterator |
//! | `Streams`, `StreamWriter`, `StreamReader` | [`lindy::stream`]: named byte streams |
//! | `IdbStore` | `IdbStore`: the durable queue on IndexedDB |
//! | `LindyIterator` | the async iterator every `for await` over lindy uses |
// Everything here is JS glue: on other targets the crate is empty (so `cargo build --workspace`
// on the host still works).
#![cfg(target_arch = "wasm32")]
#![warn(missing_docs, rust_2018_idioms, unreachable_pub)]

extern crate alloc;

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
#[cfg(any(feature = "space", feature = "manager", feature = "streams"))]
pub mod iter;
pub mod js;
#[cfg(feature = "space")]
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
#[cfg(any(feature = "space", feature = "manager", feature = "streams"))]
pub use iter::LindyIterator;
#[cfg(feature = "space")]
pub use ring::Ring;
#[cfg(feature = "space")]
pub use space_core::SpaceCore;
#[cfg(feature = "streams")]
pub use stream::{StreamReader, StreamWriter, Streams};

use wasm_bindgen::prelude::wasm_bindgen;

/// Talc instead of std's dlmalloc: 2.1 KB smaller gzipped, the same instructions per `Space`
/// call (docs/js-packaging.md). It grows wasm memory when it runs out and, when memory cannot
/// grow, fails the allocation: a fallible one (`js::copy_in`, the ring's slots) then answers
/// `OUT_OF_MEMORY` instead of trapping. Single-threaded wasm only (no `atomics`), like the rest.
#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** Cancels a wait: `signal` with code `ABORTED`, `timeoutMs` with code `TIMEOUT`. Nothing is taken. */
export interface WaitOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Options of `IdbStore.open`. */
export interface IdbStoreOptions {
  /** IndexedDB transaction durability (default `"strict"`: a resolved push survives a power cut). */
  durability?: "strict" | "relaxed" | "default";
  /** Longest key accepted, in UTF-8 bytes (default 1024). */
  maxKeyBytes?: number;
  /** Largest payload accepted, in bytes (default 16 MiB). */
  maxValueBytes?: number;
  /** Payloads held at once: queued, leased or being written (default 1 000 000). */
  maxEntries?: number;
  /** Payload bytes held at once (default 256 MiB). */
  maxBytes?: number;
  /**
   * How long `open` waits for another handle on the database (this or another tab or worker) to
   * close, in ms (default 5000); then it fails with `STORE_LOCKED`. `0` fails at once.
   */
  lockTimeoutMs?: number;
}

/** A channel's record, as `Manager` returns it. */
export interface ChannelInfo {
  name: string;
  state: "open" | "closed" | "deleted";
  visibility: "public" | "private";
  ttlMs: number;
  createdAt: number;
  lastActive: number;
  /** When the channel expires if not touched (epoch ms). */
  expiresAt?: number;
  delta: boolean;
}

/** One lifecycle transition; `missed` counts events this consumer lost by falling behind. */
export interface ChannelEvent {
  kind: "opened" | "closed" | "deleted";
  name: string;
  at: number;
  missed: number;
}

/** Options of `Manager.events`. */
export interface EventsOptions {
  /** Only names matching this pattern. */
  pattern?: Pattern | string;
  /** Events buffered for a slow consumer before the newest are dropped (default 256). */
  capacity?: number;
}

/** Options of `new Streams`. */
export interface StreamsOptions {
  /** Messages a path buffers before writers wait (default 100). */
  bufferSize?: number;
  /** Every reader gets every message; late readers replay the history first. */
  persistent?: boolean;
  /** History kept per persistent path for late readers, in bytes (default 1 MiB). */
  replayBytes?: number;
  /** The largest message accepted, in bytes (default 1 MiB). */
  maxMessageBytes?: number;
  /** Paths the hub holds at once (default 1024). */
  maxPaths?: number;
}

/** Every lindy error: `name` is `"LindyError"` and `code` one of the stable codes. */
export interface LindyError extends Error {
  name: "LindyError";
  code: LindyErrorCode;
}

/** The stable error codes (the same in Rust, JS and logs). */
export type LindyErrorCode =
  | "CHANNEL_INVALID" | "PATTERN_INVALID" | "CHANNEL_NOT_FOUND" | "CHANNEL_EXISTS"
  | "CHANNEL_CLOSED" | "CHANNEL_TTL_EXCEEDS_MAX" | "BUFFER_FULL" | "BUFFER_EMPTY" | "CLOSED"
  | "INVALID_PATH" | "INVALID_CONFIG" | "KEY_INVALID" | "VALUE_TOO_LARGE" | "STORE_CORRUPT"
  | "STORE_POISONED" | "IO" | "TIMEOUT" | "ABORTED" | "LEASE_LOST" | "LEASE_INVALID" | "NOT_CLONEABLE"
  | "STORE_LOCKED" | "NOT_INITIALIZED" | "OUT_OF_MEMORY";
"#;

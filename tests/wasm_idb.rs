//! placeholder
#![cfg(all(target_arch = "wasm32", feature = "wasm"))]

//! loom models of every waiting path (`make loom`). Each submodule models one primitive.
#![cfg(loom)]

mod channels;
mod space;
mod stream;
mod sync;

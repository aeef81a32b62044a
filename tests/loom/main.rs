//! loom models of every waiting path (`make loom`). Each submodule models one primitive.
#![cfg(loom)]

mod channels;
mod queue;
mod ring;
mod space;
mod space_sharded;
mod store;
mod stream;
mod sync;

//! lindy across machines: the channel registry, the event bus, the tuple space and the durable
//! queue on Redis 7 (standalone or Redis Cluster), for std + tokio.
//!
//! | item | what it is |
//! |---|---|
//! | [`Connection`], [`Config`] | one cloneable handle to a standalone server or a cluster |
//! | [`RedisSpace`] | the keyed tuple space shared across processes, with leases and dead letters |
//! | [`RedisRegistry`], [`RedisBus`] | the channel registry shared by nodes (expiry index, one clock, each transition once) and the event bus with resync |
//! | [`RedisQueue`] | the durable keyed queue on Streams consumer groups: leased pulls, visibility timeout, dead letters |
//! | [`Error`] | every failure, with lindy's stable codes (`err.code()`) |
//!
//! The key layout, the scripts and the at-least-once argument are in `docs/redis.md`.
#![warn(missing_docs)]

mod conn;
mod error;
mod listener;
mod lua;
mod queue;
mod registry;
mod space;
mod waiters;

pub use conn::{Config, Connection};
#[allow(deprecated)]
pub use error::OutError;
pub use error::{Error, PushError};
pub use queue::{Delivery, QueueConfig, QueueDeadLetter, RedisQueue};
pub use registry::{BusStats, RedisBus, RedisRegistry};
pub use space::{DeadLetter, Lease, Nacked, RedisSpace, SpaceConfig};

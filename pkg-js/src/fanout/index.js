// lindy fan-out: serve one space to many workers, leases, cross-tab events and leader election.
export { serve, Connection, DEFAULT_HEARTBEAT_TIMEOUT_MS } from "./hub.js";
export { connect, RemoteSpace, Lease, DEFAULT_HEARTBEAT_MS, CLIENT_LOCK_PREFIX } from "./client.js";
export { HeldLeases, DEFAULT_LEASE_MS, MAX_LEASE_MS } from "./lease.js";
export { LindyError, Code } from "./protocol.js";
export { BroadcastBus, DEFAULT_BUS_CHANNEL, shareEvents } from "./broadcast-bus.js";
export { openSharedQueue, SharedQueue } from "./leader.js";

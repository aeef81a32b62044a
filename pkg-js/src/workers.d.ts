import type { Connection, ServableSpace, ServeOptions } from "./fanout/hub.js";
import type { ConnectOptions, RemoteSpace } from "./fanout/client.js";
import type { TransferList } from "./fanout/protocol.js";

/** What `expose` returns: the clients served so far, and a way to stop. */
export interface Exposed {
  /** One `Connection` per `wrap()` served (stats, leases, close). */
  readonly connections: Set<Connection>;
  /** Stops listening and closes every connection (their pending calls reject with `CLOSED`). */
  close(): void;
  [Symbol.dispose](): void;
}

/**
 * Serves `space` to the `wrap()` calls that `target` (a `Worker`, a `SharedWorker`'s port, any
 * `MessagePort`) brings. Either side may start first (a handshake sends the port once both
 * listen).
 */
export declare function expose(
  space: ServableSpace,
  target: Pick<EventTarget, "addEventListener" | "removeEventListener"> & {
    postMessage(message: unknown): void;
    start?(): void;
  },
  options?: ServeOptions,
): Exposed;

/**
 * In a worker: the space the page `expose`d to it, as a `RemoteSpace` (the same calls, as
 * promises; usable at once). `target` is the worker's global scope by default.
 */
export declare function wrap(
  target?: { postMessage(message: unknown, transfer: TransferList): void } & Partial<
    Pick<EventTarget, "addEventListener" | "removeEventListener">
  >,
  options?: ConnectOptions,
): RemoteSpace;

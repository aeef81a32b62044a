/** Default BroadcastChannel name of the bus. */
export declare const DEFAULT_BUS_CHANNEL: string;

/**
 * The channel manager's EventBus seam over BroadcastChannel: `publish` reaches every OTHER tab and
 * worker of the origin once; a node never receives its own events.
 */
export declare class BroadcastBus<E = unknown> {
  constructor(name?: string, options?: { nodeId?: string; BroadcastChannel?: typeof BroadcastChannel });
  readonly nodeId: string;
  readonly stats: { published: number; delivered: number; dropped: number; malformed: number };
  /** Broadcasts `event` (objects with `toJSON()` are sent as its result); never blocks. Throws `CLOSED` after close. */
  publish(event: E): void;
  /** Wires a manager: `manager.setBus(this)` if it has it, and remote events to `manager.applyRemote`. Returns a detach function. */
  attach(manager: { applyRemote(event: E): unknown; setBus?(bus: BroadcastBus<E>): unknown }): () => void;
  /** Delivers remote events until `signal` aborts or the bus closes (then resolves). */
  run(onRemote: (event: E, fromNodeId: string) => void, options?: { signal?: AbortSignal }): Promise<void>;
  /** `run` without the Promise: returns an unsubscribe function. */
  subscribe(onRemote: (event: E, fromNodeId: string) => void): () => void;
  close(): void;
  /** `close()`: for `using bus = new BroadcastBus(name)`. */
  [Symbol.dispose](): void;
}

/** A lifecycle event as `shareEvents` yields it: the manager's event, plus where it came from. */
export type SharedEvent<E> = E & {
  /** The node id of the tab/worker whose manager emitted it. */
  origin: string;
  /** False for this node's own events. */
  remote: boolean;
  /** Present when this consumer fell behind: how many shared events it missed before this one. */
  missedShared?: number;
};

/**
 * Origin-wide lifecycle events for a manager with `events()` but no bus seam: publishes every local
 * event on `bus`, and yields this node's and every other node's events, each once.
 */
export declare function shareEvents<E extends object>(
  manager: { events(): AsyncIterator<E> & { return?(): unknown } },
  bus: BroadcastBus<E>,
  options?: { capacity?: number; signal?: AbortSignal },
): AsyncIterableIterator<SharedEvent<E>>;

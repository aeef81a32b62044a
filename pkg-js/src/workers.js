// A Space shared with workers in two calls, no MessageChannel by hand:
//
//   page:    const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
//            expose(space, worker);
//   worker:  const space = wrap();            // the same calls, as promises
//            const job = await space.take("jobs");
//
// `wrap()` opens a MessageChannel and keeps one end (a RemoteSpace: usable at once, calls queue
// on the port until the page serves it); `expose` serves the other end with the fan-out hub. So
// the worker never loads the wasm for the shared space, and a burst of calls is one message.
//
// Neither side has to be first. A message to a worker or page that does not listen yet is dropped,
// so the port only travels once both are known to listen:
//   wrap → page: HELLO          (sent at once; dropped if expose is not listening yet)
//   page → wrap: ASK            (sent by expose when it starts, and in answer to every HELLO)
//   wrap → page: PORT + port    (on the first ASK; later ones are ignored)
// If HELLO is lost, expose's own ASK reaches the listening wrap; if that ASK is lost (the worker
// called wrap later), the worker's HELLO brings a fresh one.
import { connect } from "./fanout/client.js";
import { SERVE_OPTIONS, serve } from "./fanout/hub.js";
import { checkOptions } from "./fanout/protocol.js";
import { describe, typeError } from "./errors.js";

/** The handshake's messages: `{ [TAG]: kind }` (versioned: both ends ship together). */
const TAG = "lindy.workers/1";
const HELLO = "hello";
const ASK = "ask";
const PORT = "port";

/**
 * Serves `space` to every `wrap()` that `target` (a `Worker`, a `SharedWorker`'s or any
 * `MessagePort`, or anything with `addEventListener("message")`) reaches us from. Returns a handle
 * whose `connections` are the served clients and whose `close()` stops listening and closes them
 * (their pending calls reject with `CLOSED`; leased entries go back to the head of their keys).
 *
 * @param {import("./fanout/hub.js").ServableSpace} space
 * @param {EventTarget & { start?(): void }} target
 * @param {import("./fanout/hub.js").ServeOptions} [options]
 */
export function expose(space, target, options) {
  if (!target || typeof target.addEventListener !== "function") {
    throw typeError(`expose(space, target): target must be a Worker or a MessagePort, got ${describe(target)}`);
  }
  // Checked now, not when the first worker connects (a throw inside the message listener
  // would reach no caller).
  checkOptions(options, SERVE_OPTIONS, "expose");
  const connections = new Set();
  const ask = () => target.postMessage?.({ [TAG]: ASK });
  const onMessage = (event) => {
    const kind = event.data?.[TAG];
    if (kind === HELLO) ask();
    else if (kind === PORT && event.ports?.[0]) connections.add(serve(space, event.ports[0], options));
    // anything else is the app's own message
  };
  target.addEventListener("message", onMessage);
  target.start?.(); // a MessagePort delivers nothing until started
  ask();
  const handle = {
    /** The clients served so far (a Connection each: stats, leases, close). */
    connections,
    /** Stops listening and closes every connection. Idempotent. */
    close() {
      target.removeEventListener("message", onMessage);
      for (const c of connections) c.close();
      connections.clear();
    },
  };
  if (Symbol.dispose) handle[Symbol.dispose] = handle.close;
  return handle;
}

/**
 * The worker's side: a `RemoteSpace` for the space the page `expose`d to this worker. `target` is
 * where the page listens: the worker's global scope by default (`self`), or a `MessagePort`.
 *
 * @param {{ postMessage(message: unknown, transfer: Transferable[]): void }} [target]
 * @param {import("./fanout/client.js").ConnectOptions} [options]
 */
export function wrap(target = globalThis, options) {
  if (!target || typeof target.postMessage !== "function") {
    throw typeError(`wrap(target): target must be a worker scope or a MessagePort, got ${describe(target)}`);
  }
  const { port1, port2 } = new MessageChannel();
  const listens = typeof target.addEventListener === "function";
  if (listens) {
    const onMessage = (event) => {
      if (event.data?.[TAG] !== ASK) return;
      target.removeEventListener("message", onMessage);
      target.postMessage({ [TAG]: PORT }, [port2]);
    };
    target.addEventListener("message", onMessage);
    target.start?.();
    target.postMessage({ [TAG]: HELLO });
  } else {
    // A bare postMessage target cannot hear the page: send the port at once.
    target.postMessage({ [TAG]: PORT }, [port2]);
  }
  return connect(port1, options);
}

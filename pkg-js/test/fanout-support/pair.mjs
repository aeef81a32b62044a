// A hub and a client joined by a real MessageChannel on this thread.
import { serve } from "../../src/fanout/hub.js";
import { connect } from "../../src/fanout/client.js";
import { Space } from "./lindy.mjs";

/** Counts the messages a port posts (batching is a message count). */
export function countPosts(port) {
  const counter = { n: 0 };
  const post = port.postMessage.bind(port);
  port.postMessage = (msg, transfer) => {
    if (msg?.t === "b") counter.n++;
    return post(msg, transfer);
  };
  return counter;
}

export function pair({ hub = {}, client = {}, space = new Space() } = {}) {
  const { port1, port2 } = new MessageChannel();
  const events = [];
  const conn = serve(space, port1, { locks: null, onEvent: (e) => events.push(e), ...hub });
  const posts = countPosts(port2);
  const remote = connect(port2, { locks: null, heartbeatMs: 0, ...client });
  const done = () => {
    remote.disconnect();
    conn.close();
  };
  return { space, conn, remote, events, posts, done };
}

/** Resolves when `events` (an array being filled) has an event matching `pred`. */
export async function waitForEvent(events, pred) {
  for (;;) {
    const hit = events.find(pred);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 5));
  }
}

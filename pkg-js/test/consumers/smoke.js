// What every consumer runs, in a page, a worker or Node: load the package, hand a value through
// a waiting take, and check that a bad name fails with a coded LindyError.
export async function smoke(lindy) {
  const { init, LindyError, Name, Space } = lindy;
  await init();
  const space = new Space();
  const waiting = space.take("jobs");
  space.out("jobs", { id: 7 });
  const job = await waiting;
  let code = "no error";
  try {
    Name.parse("not a channel");
  } catch (e) {
    code = e instanceof LindyError ? e.code : `not a LindyError: ${e}`;
  }
  return `job ${job.id}, ${code}`;
}

export const EXPECTED = "job 7, CHANNEL_INVALID";

// Pages report through `globalThis.__result` (the test polls it); workers post it to the page.
export function report(promise) {
  promise.then(
    (value) => (globalThis.__result = { ok: true, value }),
    (e) => (globalThis.__result = { ok: false, error: `${e?.stack ?? e}` }),
  );
}

export function fromWorker(worker) {
  return new Promise((resolve, reject) => {
    worker.onmessage = (e) => (e.data.ok ? resolve(e.data.value) : reject(new Error(e.data.error)));
    worker.onerror = (e) => reject(new Error(`worker failed: ${e.message ?? e}`));
  });
}

export function answer(promise) {
  promise.then(
    (value) => postMessage({ ok: true, value }),
    (e) => postMessage({ ok: false, error: `${e?.stack ?? e}` }),
  );
}

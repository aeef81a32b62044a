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

// Pages report through `globalThis.__result` (the test polls it).
export function report(promise) {
  promise.then(
    (value) => (globalThis.__result = { ok: true, value }),
    (e) => (globalThis.__result = { ok: false, error: `${e?.stack ?? e}` }),
  );
}

// The page's half of every browser consumer: a Space the worker reaches with wrap() (the worker
// runs smoke() on its own copy of the package and puts the outcome in the page's space).
export function shareWithWorker(lindy, expose, worker) {
  return lindy.init().then(() => {
    const space = new lindy.Space();
    expose(space, worker); // after an await: the handshake does not mind who starts first
    return space.take("result", { timeoutMs: 15_000 });
  });
}

// The worker's half.
export function answer(lindy, wrap) {
  const space = wrap();
  smoke(lindy).then(
    (value) => space.out("result", value),
    (e) => space.out("result", `failed: ${e?.stack ?? e}`),
  );
}

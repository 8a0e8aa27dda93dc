/**
 * Open-loop load: calls at random (Poisson) times at a mean rate, each sent
 * at its time whether or not the ones before have been answered, as admins
 * and apps across a fleet would make them. Seeded, so runs are comparable.
 */
export interface PoissonLoad {
  /** Calls a second, on average. */
  readonly rate: number;
  /** The longest it runs. */
  readonly durationMs: number;
  /** Stops it earlier, checked before each call. */
  readonly until?: () => boolean;
  readonly seed: number;
  /** Makes call n; resolves when it has been answered. */
  readonly send: (n: number) => Promise<void>;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Mulberry32: a small seeded generator, enough for arrival times. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the load; resolves with how many calls were made once every one is answered (rejects with the first failure, after the rest are answered). */
export async function runPoissonLoad(load: PoissonLoad): Promise<number> {
  const next = random(load.seed);
  const start = nowMs() + 50;
  const answers: Array<Promise<void>> = [];
  // Handled at once: a call failing while the next one waits must end the load, not the process (and its clean-up).
  let failure: { error: unknown } | undefined;
  let at = 0;
  for (let n = 0; failure === undefined; n++) {
    at += (-Math.log(1 - next()) * 1000) / load.rate;
    if (at >= load.durationMs || load.until?.() === true) break;
    const wait = start + at - nowMs();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    answers.push(
      load.send(n).catch((error: unknown) => {
        failure ??= { error };
      }),
    );
  }
  await Promise.all(answers);
  if (failure !== undefined) throw failure.error;
  return answers.length;
}

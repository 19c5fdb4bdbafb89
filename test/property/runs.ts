import type { Parameters as FcParameters } from 'fast-check';

/**
 * Runs of a property: `defaultRuns` in CI; `FC_NUM_RUNS=<n>` runs every property n times for a
 * longer search by hand, and `FC_SEED=<seed>` replays the seed a failure printed.
 */
export function numRuns(defaultRuns: number): number {
  const override = Number(process.env.FC_NUM_RUNS);
  return Number.isSafeInteger(override) && override > 0 ? override : defaultRuns;
}

/** fast-check parameters: {@link numRuns} runs, and the seed of `FC_SEED` when given. */
export function runs(defaultRuns: number): FcParameters<unknown> {
  const seed = Number(process.env.FC_SEED);
  return {
    numRuns: numRuns(defaultRuns),
    ...(process.env.FC_SEED !== undefined && Number.isInteger(seed) ? { seed } : {}),
  };
}

/** A Jest timeout that grows with the runs, so that `FC_NUM_RUNS` does not need `--testTimeout`. */
export function timeoutFor(defaultRuns: number, msPerRun: number): number {
  return Math.max(30_000, numRuns(defaultRuns) * msPerRun);
}

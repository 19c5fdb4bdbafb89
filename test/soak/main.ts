// `npm run soak`: the long soak (LONG_SOAK in soak-config.ts, env overrides SOAK_*; also
// SOAK_SDK_OPTIONS, JSON options for the clients' connect(), and SOAK_STDERR=1 to print what the
// instances logged). Prints the numbers and exits 1 if any client missed, repeated or reordered
// a message, was told notRecovered, or memory grew past the bounds.
import { LONG_SOAK, soakConfigFromEnv } from './soak-config.js';
import { formatSoakResult } from './soak-report.js';
import { formatSamples } from './soak-samples.js';
import { runSoak } from './soak.js';

const result = await runSoak(soakConfigFromEnv(LONG_SOAK));
process.stdout.write(`\nAll samples:\n${formatSamples(result.samples).join('\n')}\n\n`);
process.stdout.write(`${formatSoakResult(result)}\n`);
if (process.env.SOAK_STDERR)
  process.stdout.write(`\nInstances' stderr:\n${result.instanceStderr}\n`);
process.exit(result.verdict.problems.length === 0 ? 0 : 1);

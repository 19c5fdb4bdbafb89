import type { SoakResult } from './soak.js';
import { formatSamples } from './soak-samples.js';

/** The numbers of a run, as printed by `npm run soak` and the CI test. */
export function formatSoakResult(result: SoakResult): string {
  const { config, verdict, published, chaos, timings } = result;
  const lines = [
    `Soak: ${config.instances} instances, ${config.clients} SDK clients in ${config.clientProcesses} processes, ` +
      `${config.seconds} s at ${config.rate} msg/s over ${config.exactTopics} exact + ${config.wildcardTopics} wildcard-family topics, retentionMs ${config.retentionMs}`,
    `Published: ${published.acked} acked, ${published.ambiguous} ambiguous ` +
      `(${verdict.ambiguousStored} turned out stored, ${verdict.ambiguousLost} not), ` +
      `${published.refused} refused while an instance was down`,
    `Deliveries checked: ${verdict.deliveriesChecked}`,
    `Chaos: ${chaos.instanceKills} instance SIGKILLs (restarted), ${chaos.redisKillRounds} Redis kill rounds ` +
      `(${chaos.redisConnectionsKilled} connections killed)`,
    `Clients: ${verdict.disconnects} disconnects, ${verdict.reconnectAttempts} reconnect attempts, ${verdict.resumes} resumes, ${verdict.notRecovered} notRecovered`,
    `Outages (some clients not connected): ${
      result.outages
        .map((o) => `at ${o.from.toFixed(1)} s for ${o.seconds.toFixed(1)} s (fewest ${o.fewest})`)
        .join(', ') || 'none'
    }; ${result.listenOverflows} connections dropped on a full accept queue (host-wide)`,
    `Timings: connect ${timings.connect.toFixed(1)} s, run ${timings.run.toFixed(1)} s, catch-up ${timings.catchUp.toFixed(1)} s`,
    'Memory (RSS per instance slot; a restart starts a new process):',
    ...formatSamples([result.start, result.middle, result.end]).map((line) => `  ${line}`),
    verdict.problems.length === 0
      ? 'Verdict: every client got every message of its subscriptions exactly once, in order.'
      : `Verdict: FAILED\n  ${verdict.problems.join('\n  ')}`,
  ];
  if (published.failures.length)
    lines.push(`First publish failures: ${published.failures.join(' | ')}`);
  return lines.join('\n');
}

import { createHash } from 'node:crypto';
import type { PublishLog } from './soak-publishers.js';
import { type TopicCounts, topicsOf } from './soak-topics.js';

/** What a soak client counts as it runs (soak-client.ts), reported as is at the end. */
export interface ClientCounters {
  index: number;
  connects: number;
  /** Sockets opened: connects plus failed attempts. */
  attempts: number;
  resumes: number;
  disconnects: number;
  notRecovered: string[];
  errors: string[];
  /** Duplicates, reorderings and messages of topics it did not subscribe to. */
  violations: string[];
}

/** What one client process reports at the end (soak-client.ts `report`). */
export interface ClientProcessReport {
  clients: (ClientCounters & { topics: Record<string, { count: number; hash: string }> })[];
  /** The whole received sequence of one client per topic. */
  references: Record<string, [string, number][]>;
}

/** The verdict: empty `problems` means every client got exactly what it should. */
export interface Verdict {
  problems: string[];
  /** (client, message) receipts compared against the publish log. */
  deliveriesChecked: number;
  /** Ambiguous publishes (see PublisherTopicLog) that turned out stored / not stored. */
  ambiguousStored: number;
  ambiguousLost: number;
  /** Sockets the SDK opened after the first connection (successful or not). */
  reconnectAttempts: number;
  resumes: number;
  disconnects: number;
  notRecovered: number;
}

const MAX_PROBLEMS = 20;

/**
 * Checks, for every client and every topic it subscribes to (exact or through the wildcard),
 * that it received the same sequence as every other subscriber of that topic (one total order
 * per topic, nothing missing for one and present for another), and that this sequence holds
 * every acked publish of every publisher exactly once, in the publisher's order, and nothing
 * that was never published.
 */
export function verifySoak(
  counts: TopicCounts,
  clients: number,
  log: PublishLog,
  reports: ClientProcessReport[],
): Verdict {
  const problems: string[] = [];
  const problem = (what: string) => problems.length < MAX_PROBLEMS && problems.push(what);
  const verdict: Verdict = {
    problems,
    deliveriesChecked: 0,
    ambiguousStored: 0,
    ambiguousLost: 0,
    reconnectAttempts: 0,
    resumes: 0,
    disconnects: 0,
    notRecovered: 0,
  };

  const expected = new Map<string, { count: number; hash: string }>();
  for (const [topic, byFrom] of Object.entries(log)) {
    const reference = reports.map((r) => r.references[topic]).find(Boolean);
    if (!reference) {
      problem(`${topic}: no client reported it`);
      continue;
    }
    for (const [from, { sent, ambiguous }] of Object.entries(byFrom)) {
      const seqs = reference.filter(([f]) => f === from).map(([, seq]) => seq);
      const misplaced = seqs.find((seq, k) => seq >= sent || (k > 0 && seq <= seqs[k - 1]));
      if (misplaced !== undefined) {
        problem(`${topic}: ${from}#${misplaced} duplicated, out of order or never published`);
      }
      const got = new Set(seqs);
      const lost = Array.from({ length: sent }, (_, seq) => seq).filter(
        (seq) => !got.has(seq) && !ambiguous.includes(seq),
      );
      if (lost.length > 0) problem(`${topic}: ${from} acked but lost: #${lost.slice(0, 10)}`);
      for (const seq of ambiguous) {
        if (got.has(seq)) verdict.ambiguousStored++;
        else verdict.ambiguousLost++;
      }
    }
    const hash = createHash('sha1');
    for (const [from, seq] of reference) hash.update(`${from}:${seq};`);
    expected.set(topic, { count: reference.length, hash: hash.digest('hex') });
  }

  const seen = new Set<number>();
  for (const client of reports.flatMap((r) => r.clients)) {
    seen.add(client.index);
    verdict.reconnectAttempts += client.attempts - 1;
    verdict.resumes += client.resumes;
    verdict.disconnects += client.disconnects;
    verdict.notRecovered += client.notRecovered.length;
    const who = `client ${client.index}`;
    for (const topic of topicsOf(client.index, counts)) {
      const got = client.topics[topic];
      const want = expected.get(topic);
      if (!got || !want) continue;
      verdict.deliveriesChecked += got.count;
      if (got.count !== want.count || got.hash !== want.hash) {
        problem(
          `${who} ${topic}: ${got.count} messages, not the reference's ${want.count} in order`,
        );
      }
    }
    if (client.violations.length) problem(`${who}: ${client.violations.join('; ')}`);
    if (client.notRecovered.length) problem(`${who}: notRecovered ${client.notRecovered}`);
    if (client.errors.length) problem(`${who}: error events ${client.errors.join('; ')}`);
  }
  if (seen.size !== clients) problem(`${seen.size} clients reported, not ${clients}`);
  return verdict;
}

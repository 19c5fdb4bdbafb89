import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { PublishLog } from './soak-publishers.js';
import { type ClientProcessReport, verifySoak } from './soak-verify.js';

// Two clients: 0 holds only `news/+` (news/w0), 1 holds orders/0/status and `news/+`.
const counts = { exactTopics: 1, wildcardTopics: 1 };
type Sequence = [string, number][];

const summary = (sequence: Sequence) => {
  const hash = createHash('sha1');
  for (const [from, seq] of sequence) hash.update(`${from}:${seq};`);
  return { count: sequence.length, hash: hash.digest('hex') };
};

function report(received: Record<number, Record<string, Sequence>>): ClientProcessReport {
  const clients = Object.entries(received).map(([index, topics]) => ({
    index: Number(index),
    topics: Object.fromEntries(Object.entries(topics).map(([t, s]) => [t, summary(s)])),
    ...{ connects: 1, attempts: 1, resumes: 0, disconnects: 0 },
    ...{ notRecovered: [] as string[], errors: [] as string[], violations: [] as string[] },
  }));
  return { clients, references: { ...received[1] } };
}

const log = (): PublishLog => ({
  'news/w0': { p0: { sent: 3, ambiguous: [1] }, p1: { sent: 1, ambiguous: [] } },
  'orders/0/status': { p0: { sent: 2, ambiguous: [] } },
});
const news: Sequence = [
  ['p0', 0],
  ['p1', 0],
  ['p0', 2],
];
const orders: Sequence = [
  ['p0', 0],
  ['p0', 1],
];

/** The soak's verdict must be able to fail: each way a delivery can go wrong is caught. */
describe('verifySoak', () => {
  it('passes identical, complete sequences (an ambiguous publish missing everywhere is fine)', () => {
    const verdict = verifySoak(counts, 2, log(), [
      report({ 0: { 'news/w0': news }, 1: { 'news/w0': news, 'orders/0/status': orders } }),
    ]);
    expect(verdict.problems).toEqual([]);
    expect(verdict).toMatchObject({ deliveriesChecked: 8, ambiguousStored: 0, ambiguousLost: 1 });
  });

  it('fails a client that missed a message the others got', () => {
    const verdict = verifySoak(counts, 2, log(), [
      report({
        0: { 'news/w0': news.slice(1) },
        1: { 'news/w0': news, 'orders/0/status': orders },
      }),
    ]);
    expect(verdict.problems).toEqual([
      "client 0 news/w0: 2 messages, not the reference's 3 in order",
    ]);
  });

  it('fails the same messages in another order', () => {
    const swapped: Sequence = [news[1], news[0], news[2]];
    const verdict = verifySoak(counts, 2, log(), [
      report({ 0: { 'news/w0': swapped }, 1: { 'news/w0': news, 'orders/0/status': orders } }),
    ]);
    expect(verdict.problems).toEqual([
      "client 0 news/w0: 3 messages, not the reference's 3 in order",
    ]);
  });

  it('fails an acked message lost for everyone, and a duplicate', () => {
    const lost = news.slice(0, 2);
    const doubled: Sequence = [...orders, ['p0', 1]];
    const verdict = verifySoak(counts, 2, log(), [
      report({ 0: { 'news/w0': lost }, 1: { 'news/w0': lost, 'orders/0/status': doubled } }),
    ]);
    expect(verdict.problems).toEqual([
      'news/w0: p0 acked but lost: #2',
      'orders/0/status: p0#1 duplicated, out of order or never published',
    ]);
  });

  it('fails a notRecovered client and a client that did not report', () => {
    const reported = report({ 1: { 'news/w0': news, 'orders/0/status': orders } });
    reported.clients[0].notRecovered.push('window');
    expect(verifySoak(counts, 2, log(), [reported]).problems).toEqual([
      'client 1: notRecovered window',
      '1 clients reported, not 2',
    ]);
  });
});

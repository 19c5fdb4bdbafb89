import { expect, it } from '@jest/globals';
import type { BrokerMessage, ShardPosition } from '../../lib/broker/broker.interface.js';
import { parseOffset } from '../../lib/protocol/offset.js';
import { waitFor } from '../support/wait-for.js';
import { type BrokerContractSetup, type Start, topicOn } from './contract-harness.js';

/** A promise's outcome as it settles, readable synchronously (undefined while pending). */
function track(promise: Promise<boolean>): { value: boolean | undefined } {
  const state: { value: boolean | undefined } = { value: undefined };
  void promise.then((value) => (state.value = value));
  return state;
}

/** Lets queued promise reactions and one event-loop turn run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The position just after `offset` on its shard: reached by the next entry, not by `offset`. */
function justAfter(offset: string): ShardPosition {
  const { shard, epoch, id } = parseOffset(offset)!;
  const [ms, seq] = id.split('-');
  return { shard, epoch, id: `${ms}-${Number(seq) + 1}` };
}

/** `Broker.untilDelivered`: resume waits on it for the reader to reach a client's position. */
export function untilDeliveredCases(setup: BrokerContractSetup, started: Start): void {
  const deliveredOn = async (received: BrokerMessage[], offset: string) =>
    waitFor(() => received.some((m) => m.offset === offset), { message: `delivery of ${offset}` });

  it('untilDelivered resolves true at once for a position already delivered', async () => {
    const { broker, received } = await started(setup.backplane());
    const topic = topicOn(broker, 1);
    const first = await broker.publish({ topic, payload: '1' });
    const second = await broker.publish({ topic, payload: '2' });
    await deliveredOn(received, second);
    const { shard, epoch } = parseOffset(second)!;
    // A timeout of 0 could not wait for anything: only a position already reached answers true.
    await expect(broker.untilDelivered(parseOffset(second)!, 0)).resolves.toBe(true);
    await expect(broker.untilDelivered(parseOffset(first)!, 0)).resolves.toBe(true);
    await expect(broker.untilDelivered({ shard, epoch, id: '0-0' }, 0)).resolves.toBe(true);
    // Another epoch: that log is gone, there is nothing to wait for.
    const gone = { shard, epoch: 'another0epoch', id: '99999999999999-0' };
    await expect(broker.untilDelivered(gone, 0)).resolves.toBe(true);
  });

  it('untilDelivered resolves true when a later publish on its shard is delivered', async () => {
    const { broker, received } = await started(setup.backplane());
    const topic = topicOn(broker, 2);
    const before = await broker.publish({ topic, payload: '"before"' });
    await deliveredOn(received, before);
    const waiting = track(broker.untilDelivered(justAfter(before), 10_000));
    const elsewhere = await broker.publish({ topic: topicOn(broker, 3), payload: '"other"' });
    await deliveredOn(received, elsewhere);
    await settle();
    expect(waiting.value).toBeUndefined();

    const later = await broker.publish({ topic, payload: '"later"' });
    await waitFor(() => waiting.value !== undefined, { message: 'untilDelivered to settle' });
    expect(waiting.value).toBe(true);
    // Resolved after the listener had it: a resume finds the message already held.
    expect(received.map((m) => m.offset)).toContain(later);
  });

  it('untilDelivered resolves false after its timeout when the position is not reached', async () => {
    const { broker, received } = await started(setup.backplane());
    const before = await broker.publish({ topic: topicOn(broker, 0), payload: '0' });
    await deliveredOn(received, before);
    const startedAt = Date.now();
    await expect(broker.untilDelivered(justAfter(before), 80)).resolves.toBe(false);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(70);
  });

  it('untilDelivered resolves false when the broker closes while it waits', async () => {
    const { broker, received } = await started(setup.backplane());
    const before = await broker.publish({ topic: topicOn(broker, 0), payload: '0' });
    await deliveredOn(received, before);
    const waiting = broker.untilDelivered(justAfter(before), 60_000);
    await broker.close();
    await expect(waiting).resolves.toBe(false);
  });
}

import { describe, expect, it } from '@jest/globals';
import { BrokerUnavailableError } from '../../lib/errors/broker-unavailable.error.js';
import { parseOffset, shardOfTopic } from '../../lib/protocol/offset.js';
import { waitFor } from '../support/wait-for.js';
import { type BrokerContractSetup, topicOn, useBrokers } from './contract-harness.js';
import { replayCases } from './replay.contract.js';
import { replayRangesCases } from './replay-ranges.contract.js';
import { untilDeliveredCases } from './until-delivered.contract.js';
import { advanceSessionCases } from './advance-session.contract.js';

export type { BackplaneOptions, BrokerContractSetup } from './contract-harness.js';

/**
 * The behaviour every `Broker` shares: the adapter and resume rely on nothing else.
 * Run by test/contract/*.contract.spec.ts against each implementation.
 */
export function describeBrokerContract(name: string, setup: BrokerContractSetup): void {
  describe(`Broker contract: ${name}`, () => {
    const { connected, started } = useBrokers();

    it('maps topics to shards with the shared stable hash', async () => {
      const broker = await connected(setup.backplane());
      for (const topic of ['chat/rooms/42', 'users/alice', '']) {
        expect(broker.shardOf(topic)).toBe(shardOfTopic(topic, broker.shards));
      }
    });

    it("returns an offset naming the topic's shard, its epoch and a stream id", async () => {
      const { broker } = await started(setup.backplane());
      const offset = await broker.publish({ topic: 'chat/rooms/42', payload: '{"text":"hi"}' });
      const parsed = parseOffset(offset);
      expect(parsed).not.toBeNull();
      expect(parsed!.shard).toBe(broker.shardOf('chat/rooms/42'));
      expect(parsed!.epoch).toBe(broker.positions()[parsed!.shard].epoch);
      expect(parsed!.id).toMatch(/^\d+-\d+$/);
    });

    it('delivers every message exactly once, in publish order per shard, in batches', async () => {
      const { broker, received, ...seen } = await started(setup.backplane());
      const sent = Array.from({ length: 600 }, (_, i) => ({
        topic: `t/${i % 24}`,
        payload: `{"n":${i}}`,
      }));
      const offsets = await Promise.all(sent.map((entry) => broker.publish(entry)));
      const last = await broker.publish({ topic: 't/last', payload: '"end"' });
      // Shards are read independently (one loop per shard on a cluster): wait for each one's last.
      const tails = new Set(
        new Map([...offsets, last].map((o) => [parseOffset(o)!.shard, o])).values(),
      );
      await waitFor(() => [...tails].every((o) => received.some((m) => m.offset === o)), {
        message: 'the last message of every shard',
      });
      expect(received).toHaveLength(601);
      expect(new Set(received.map((m) => m.offset)).size).toBe(601);
      const byOffset = new Map(received.map((m) => [m.offset, m]));
      sent.forEach((entry, i) => {
        expect(byOffset.get(offsets[i])).toMatchObject({ ...entry, offset: offsets[i] });
      });
      for (let shard = 0; shard < broker.shards; shard++) {
        const published = [...offsets, last].filter((o) => parseOffset(o)!.shard === shard);
        expect(received.filter((m) => m.shard === shard).map((m) => m.offset)).toEqual(published);
      }
      expect(seen.batches).toBeLessThan(601);
    });

    it('keeps positions at the log end at start, then follows delivery', async () => {
      const make = setup.backplane();
      const broker = await connected(make);
      const before = parseOffset(await broker.publish({ topic: 't/0', payload: '"before"' }))!;
      const { received } = await started(make, broker);
      const positions = broker.positions();
      expect(positions.map((p) => p.shard)).toEqual([...Array(broker.shards).keys()]);
      expect(positions[before.shard]).toEqual({
        shard: before.shard,
        epoch: before.epoch,
        id: before.id,
      });
      const other = topicOn(broker, (before.shard + 1) % broker.shards);
      expect(positions[broker.shardOf(other)].id).toBe('0-0');
      const after = parseOffset(await broker.publish({ topic: other, payload: '"after"' }))!;
      await waitFor(() => received.length === 1, { message: 'the message published after start' });
      expect(received[0].payload).toBe('"after"');
      expect(broker.positions()[after.shard]).toEqual({
        shard: after.shard,
        epoch: after.epoch,
        id: after.id,
      });
      expect(broker.positions()[before.shard].id).toBe(before.id);
    });

    it('carries control entries with their control field', async () => {
      const { broker, received } = await started(setup.backplane());
      const control = await broker.publish({
        topic: 't/2',
        payload: '{}',
        control: 'disconnect:alice',
      });
      const plain = await broker.publish({ topic: 't/2', payload: '{"a":1}' });
      await waitFor(() => received.length === 2, { message: 'both messages' });
      expect(received[0]).toMatchObject({ offset: control, control: 'disconnect:alice' });
      expect(received[1].control).toBeUndefined();
      const { shard, epoch } = parseOffset(control)!;
      const page = await broker.read(shard, epoch, '0-0', 10);
      expect(page.status === 'ok' && page.messages.map((m) => m.control)).toEqual([
        'disconnect:alice',
        undefined,
      ]);
      expect(page.status === 'ok' && page.messages[1].offset).toBe(plain);
    });

    it('rejects publish with BrokerUnavailableError after close', async () => {
      const { broker } = await started(setup.backplane());
      await broker.close();
      await expect(broker.publish({ topic: 't/1', payload: '1' })).rejects.toBeInstanceOf(
        BrokerUnavailableError,
      );
    });

    replayCases(setup, started);
    replayRangesCases(setup, started);
    untilDeliveredCases(setup, started);
    advanceSessionCases(setup, connected);

    if (setup.multiInstance) {
      it('delivers what one instance publishes to every instance, from the log end at start', async () => {
        const make = setup.backplane();
        const a = await started(make);
        const early = parseOffset(await a.broker.publish({ topic: 't/5', payload: '"early"' }))!;
        const b = await started(make);
        expect(b.broker.positions()[early.shard]).toEqual({
          shard: early.shard,
          epoch: early.epoch,
          id: early.id,
        });
        const offset = await a.broker.publish({ topic: 't/5', payload: '"to all"' });
        await waitFor(() => b.received.length === 1 && a.received.length === 2, {
          message: 'delivery to A and B',
        });
        expect(b.received[0]).toMatchObject({ topic: 't/5', payload: '"to all"', offset });
        expect(a.received[1].offset).toBe(offset);
        const fromB = await b.broker.publish({ topic: 't/6', payload: '"from B"' });
        await waitFor(() => a.received.some((m) => m.offset === fromB), {
          message: "B's message at A",
        });
      });
    }
  });
}

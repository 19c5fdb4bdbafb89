import { expect, it } from '@jest/globals';
import { parseOffset } from '../../lib/protocol/offset.js';
import { type BrokerContractSetup, type Start, topicOn } from './contract-harness.js';

/** `Broker.readRanges`: batched in Redis, paged with `read` in memory (lib/broker/read-ranges.ts). */
export function replayRangesCases(setup: BrokerContractSetup, started: Start): void {
  it('reads several shards at once, up to each until id, returning only wanted topics', async () => {
    const { broker } = await started(setup.backplane());
    const [a, other, b] = [topicOn(broker, 0), topicOn(broker, 0, 1000), topicOn(broker, 1)];
    const publish = async (topic: string, n: number) =>
      parseOffset(await broker.publish({ topic, payload: `${n}` }))!;
    const a1 = await publish(a, 1);
    const skipped = await publish(other, 2);
    const a2 = await publish(a, 3);
    await publish(a, 4);
    const b1 = await publish(b, 5);
    const epoch2 = broker.positions()[2].epoch;
    const wanted = (topic: string) => topic === a || topic === b;
    const pages = await broker.readRanges(
      [
        { shard: 0, epoch: a1.epoch, afterId: '0-0', untilId: a2.id },
        { shard: 1, epoch: b1.epoch, afterId: '0-0', untilId: b1.id },
        { shard: 2, epoch: 'another0epoch', afterId: '0-0', untilId: '0-0' },
        { shard: 2, epoch: epoch2, afterId: '0-0', untilId: '0-0' },
      ],
      10,
      wanted,
    );
    const offsets = (i: number) => {
      const page = pages[i];
      return page.status === 'ok'
        ? { ...page, messages: page.messages.map((m) => m.offset) }
        : page;
    };
    expect(offsets(0)).toEqual({
      status: 'ok',
      messages: [`0:${a1.epoch}:${a1.id}`, `0:${a2.epoch}:${a2.id}`],
      lastId: a2.id,
      done: true,
    });
    expect(offsets(1)).toEqual({
      status: 'ok',
      messages: [`1:${b1.epoch}:${b1.id}`],
      lastId: b1.id,
      done: true,
    });
    expect(pages[2]).toEqual({ status: 'epoch-changed' });
    expect(pages[3]).toEqual({ status: 'ok', messages: [], lastId: '0-0', done: true });

    const range = { shard: 0, epoch: a1.epoch, afterId: a1.id, untilId: a2.id };
    const [page] = await broker.readRanges([range], 1, wanted);
    expect(page).toEqual({ status: 'ok', messages: [], lastId: skipped.id, done: false });
  });
}

import type { Broker, BrokerMessage, RangePage, ReplayRange } from './broker.interface.js';
import { compareIds } from '../protocol/offset.js';

/**
 * `Broker.readRanges` for a broker whose backplane has no batched read: one `read` per range,
 * all at once, cut at `untilId` and filtered by `wanted` here.
 * @throws BrokerUnavailableError when the backplane cannot be read.
 */
export async function readRangesWithRead(
  broker: Pick<Broker, 'read'>,
  ranges: readonly ReplayRange[],
  limit: number,
  wanted: (topic: string) => boolean,
): Promise<RangePage[]> {
  return Promise.all(
    ranges.map(async ({ shard, epoch, afterId, untilId }): Promise<RangePage> => {
      const page = await broker.read(shard, epoch, afterId, limit);
      if (page.status !== 'ok') return page;
      const messages: BrokerMessage[] = [];
      let lastId = afterId;
      for (const m of page.messages) {
        if (compareIds(m.id, untilId) > 0) return { status: 'ok', messages, lastId, done: true };
        lastId = m.id;
        if (wanted(m.topic)) messages.push(m);
      }
      const done = page.done || page.messages.length === 0 || compareIds(lastId, untilId) >= 0;
      return { status: 'ok', messages, lastId, done };
    }),
  );
}

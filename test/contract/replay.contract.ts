import { expect, it } from '@jest/globals';
import { parseOffset } from '../../lib/protocol/offset.js';
import { waitFor } from '../support/wait-for.js';
import type { BrokerContractSetup, Start } from './contract-harness.js';

/** The replay half of the broker contract: what resume (DESIGN.md §4) relies on. */
export function replayCases(setup: BrokerContractSetup, started: Start): void {
  it('replays in pages of at most `limit`, strictly after the given id', async () => {
    const { broker } = await started(setup.backplane());
    const offsets: string[] = [];
    for (let i = 0; i < 25; i++)
      offsets.push(await broker.publish({ topic: 't/7', payload: `${i}` }));
    const { shard, epoch } = parseOffset(offsets[0])!;
    const idOf = (i: number) => parseOffset(offsets[i])!.id;
    const page = async (afterId: string, limit: number) => {
      const result = await broker.read(shard, epoch, afterId, limit);
      if (result.status !== 'ok') throw new Error(`unexpected ${result.status}`);
      return {
        offsets: result.messages.map((m) => m.offset),
        done: result.done,
        messages: result.messages,
      };
    };
    const first = await page('0-0', 10);
    expect(first).toMatchObject({ offsets: offsets.slice(0, 10), done: false });
    expect(first.messages[3]).toMatchObject({ topic: 't/7', payload: '3', shard, id: idOf(3) });
    expect(await page(idOf(9), 10)).toMatchObject({
      offsets: offsets.slice(10, 20),
      done: false,
    });
    expect(await page(idOf(19), 10)).toMatchObject({ offsets: offsets.slice(20), done: true });
    expect(await page(idOf(14), 11)).toMatchObject({ offsets: offsets.slice(15), done: true });
    expect(await page(idOf(24), 10)).toMatchObject({ offsets: [], done: true });
    expect(await page(idOf(4), 1)).toMatchObject({ offsets: [offsets[5]], done: false });
  });

  it('answers epoch-changed for a position in another epoch', async () => {
    const { broker } = await started(setup.backplane());
    const { shard, id } = parseOffset(await broker.publish({ topic: 't/1', payload: '1' }))!;
    expect(await broker.read(shard, 'another0epoch', id, 10)).toEqual({
      status: 'epoch-changed',
    });
  });

  it('answers window-exceeded once entries after the position were trimmed', async () => {
    const { broker } = await started(setup.backplane({ retentionMs: 1 }));
    const payload = JSON.stringify('x'.repeat(300));
    const position = parseOffset(await broker.publish({ topic: 't/3', payload }))!;
    let newest = position;
    await waitFor(
      async () => {
        for (let i = 0; i < 20; i++)
          newest = parseOffset(await broker.publish({ topic: 't/3', payload }))!;
        const page = await broker.read(position.shard, position.epoch, position.id, 10);
        return page.status === 'window-exceeded';
      },
      { message: 'the entries after the position to be trimmed' },
    );
    const fromNewest = await broker.read(newest.shard, newest.epoch, newest.id, 10);
    expect(fromNewest).toEqual({ status: 'ok', messages: [], done: true });
  });
}

import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { BrokerMessage } from '../../../lib/broker/broker.interface.js';
import { FRAME_OVERHEAD_BYTES, FrameCache } from '../../../lib/adapter/resume/frame-cache.js';
import { framePayload } from '../../../lib/adapter/text-frame.js';
import { entryBytes } from '../../../lib/broker/replay-window.js';

const BLOCK = 64 * 1024;

function message(n: number, payload = `{"text":"m${n}"}`): BrokerMessage {
  const id = `1700000000000-${n}`;
  return { shard: 3, id, offset: `3:e1:${id}`, topic: 'chat/rooms/7', payload };
}

/** What a client reads for `m`. */
function text(m: BrokerMessage): string {
  return `{"event":"message","data":{"topic":"chat/rooms/7","offset":"${m.offset}","payload":${m.payload}}}`;
}

/** What the cache counts for `m` beside the block its frame is written into. */
const costOf = (m: BrokerMessage) => FRAME_OVERHEAD_BYTES + entryBytes(m);

describe('FrameCache', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('frames a message as the client reads it, and gives every later resume the same buffer', () => {
    const cache = new FrameCache(1024 * 1024);
    const m = message(1, '{"text":"héllo 👋"}');
    const frame = cache.frameOf(m);
    expect(framePayload(frame).toString('utf8')).toBe(text(m));
    expect(cache.frameOf(m)).toBe(frame);
    // One block of its own, and the frame's share: its view, map slot and the message it keeps.
    expect(cache.bytes).toBe(BLOCK + costOf(m));
    cache.clear();
  });

  it('writes its frames into blocks of its own, next to each other', () => {
    const cache = new FrameCache(1024 * 1024);
    const [a, b] = [cache.frameOf(message(1)), cache.frameOf(message(2))];
    expect(a.buffer).toBe(b.buffer);
    expect(a.buffer.byteLength).toBe(BLOCK);
    expect(b.byteOffset).toBe(a.byteOffset + a.length);
    expect(cache.bytes).toBe(BLOCK + costOf(message(1)) + costOf(message(2)));
    cache.clear();
  });

  it('counts a frame too big for a quarter of a block as its own size, in its own buffer', () => {
    const cache = new FrameCache(1024 * 1024);
    const big = message(1, `"${'x'.repeat(20_000)}"`);
    const frame = cache.frameOf(big);
    expect(framePayload(frame).toString()).toBe(text(big));
    expect(frame.buffer.byteLength).toBe(frame.length);
    expect(cache.bytes).toBe(frame.length + costOf(big));
    cache.clear();
  });

  it('never holds more than its bound: when the next frame does not fit, it empties first', () => {
    const max = 256 * 1024;
    const cache = new FrameCache(max);
    // Messages 1000–9999: every frame and cost the same size.
    const size = cache.frameOf(message(1000)).length;
    const cost = costOf(message(1000));
    let before = cache.bytes;
    let n = 1001;
    for (; cache.frameOf(message(n)), cache.bytes > before; n++) before = cache.bytes;
    // It emptied at message n: that frame, with a new block if the last one was full, did not fit.
    const perBlock = Math.floor(BLOCK / size);
    const held = n - 1000;
    const blockFull = held % perBlock === 0;
    expect(before).toBe(Math.ceil(held / perBlock) * BLOCK + held * cost);
    expect(before).toBeLessThanOrEqual(max);
    expect(before + cost + (blockFull ? BLOCK : 0)).toBeGreaterThan(max);
    expect(cache.bytes).toBe(BLOCK + cost);
    // Emptied: an earlier message's frame is built again (equal bytes, another buffer).
    const first = framePayload(cache.frameOf(message(1000))).toString();
    expect(first).toBe(text(message(1000)));
    expect(cache.bytes).toBe(BLOCK + 2 * cost);
    cache.clear();
    expect(cache.bytes).toBe(0);
  });

  it('keeps nothing when off (0) or when a frame cannot fit at all, and still frames it', () => {
    const off = new FrameCache(0);
    const m = message(1);
    expect(framePayload(off.frameOf(m)).toString()).toBe(text(m));
    expect(off.frameOf(m)).not.toBe(off.frameOf(m));
    expect(off.bytes).toBe(0);
    const small = new FrameCache(100);
    const big = message(2, `"${'x'.repeat(500)}"`);
    expect(framePayload(small.frameOf(big)).toString()).toBe(text(big));
    expect(small.bytes).toBe(0);
  });

  it('empties itself after 10 s to 20 s without use, and not while it is used', () => {
    jest.useFakeTimers();
    const cache = new FrameCache(1024 * 1024);
    const m = message(1);
    const frame = cache.frameOf(m);
    const held = cache.bytes;
    // Used within every 10 s: kept.
    for (let i = 0; i < 5; i++) {
      jest.advanceTimersByTime(9_000);
      expect(cache.frameOf(m)).toBe(frame);
    }
    jest.advanceTimersByTime(10_000);
    expect(cache.bytes).toBe(held);
    jest.advanceTimersByTime(10_000);
    expect(cache.bytes).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});

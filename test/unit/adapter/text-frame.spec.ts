import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import {
  framePayload,
  joinFrames,
  textFrame,
  textFrameOf,
} from '../../../lib/adapter/text-frame.js';

// ws's own framing, the reference (the CommonJS entry carries the Sender class).
const Sender = createRequire(import.meta.url)('ws').Sender;

/** What `ws` itself writes for an unmasked, uncompressed text frame, as one buffer. */
function wsFrame(payload: Buffer, opcode = 1): Buffer {
  const parts = Sender.frame(payload, {
    fin: true,
    opcode,
    mask: false,
    readOnly: false,
    rsv1: false,
  }) as Buffer[];
  return Buffer.concat(parts);
}

describe('textFrame', () => {
  // Each length class of RFC 6455 §5.2 and both edges of it.
  it.each([0, 1, 125, 126, 200, 65_535, 65_536, 1_000_000])(
    'is byte for byte what ws frames for a %i-byte payload',
    (length) => {
      const payload = Buffer.alloc(length, 'x');
      if (length > 0) payload[length - 1] = 0x7a;
      const frame = textFrame(payload);
      expect(frame.equals(wsFrame(payload))).toBe(true);
      expect(frame.length).toBe(length + (length < 126 ? 2 : length < 65_536 ? 4 : 10));
    },
  );

  it('keeps multi-byte UTF-8 payloads intact', () => {
    const payload = Buffer.from('{"text":"héllo 👋"}');
    expect(textFrame(payload).subarray(2).toString('utf8')).toBe('{"text":"héllo 👋"}');
    expect(textFrame(payload)[1]).toBe(payload.length);
  });
});

describe('textFrameOf', () => {
  it.each(['', 'a', '{"text":"héllo 👋"}', 'x'.repeat(125), 'é'.repeat(63), 'y'.repeat(70_000)])(
    'is byte for byte what ws frames for the text, and framePayload gives the text back (%#)',
    (text) => {
      const frame = textFrameOf(text);
      expect(frame.equals(wsFrame(Buffer.from(text)))).toBe(true);
      expect(framePayload(frame).toString('utf8')).toBe(text);
    },
  );

  it('gives the payload of a frame over 64 KiB back whole', () => {
    const frame = textFrame(Buffer.alloc(70_000, 'z'));
    expect(frame[1]).toBe(127);
    expect(framePayload(frame).equals(Buffer.alloc(70_000, 'z'))).toBe(true);
  });
});

describe('joinFrames', () => {
  const texts = [
    '',
    'a',
    '{"text":"héllo 👋"}',
    'x'.repeat(125),
    'é'.repeat(63),
    'y'.repeat(70_000),
  ];
  const frames = texts.map(textFrameOf);

  it('is byte for byte what ws writes for the same frames one by one, then the ping', () => {
    const ping = Buffer.from('claim-id-123');
    const expected = Buffer.concat([
      ...texts.map((text) => wsFrame(Buffer.from(text))),
      wsFrame(ping, 0x9),
    ]);
    expect(joinFrames(frames, ping).equals(expected)).toBe(true);
    expect(joinFrames(frames).equals(expected.subarray(0, expected.length - 2 - ping.length))).toBe(
      true,
    );
  });

  it('is empty for no frame and no ping, and a lone ping for a ping alone', () => {
    expect(joinFrames([]).length).toBe(0);
    expect(joinFrames([], Buffer.from('p')).equals(wsFrame(Buffer.from('p'), 0x9))).toBe(true);
  });
});

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { formatOffset, parseOffset } from '../../lib/protocol/offset.js';
import {
  decodeClientFrame,
  DEFAULT_MAX_DEPTH,
  encodeAck,
  encodeError,
  encodeMessage,
} from '../../lib/protocol/codec.js';
import { ErrorCode } from '../../lib/protocol/error-codes.js';
import type { ClientFrame } from '../../lib/protocol/frames.js';
import { ProtocolError } from '../../lib/protocol/protocol.error.js';
import { runs } from './runs.js';

/** Nesting of a parsed JSON value as docs/protocol.md counts it: the frame object is level 1. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Object.values(value as object);
  return 1 + children.reduce((max: number, child) => Math.max(max, depthOf(child)), 0);
}

/** JSON has no -0 (`JSON.stringify(-0)` is `"0"`): compare what JSON can carry. */
const json = (constraints: fc.JsonSharedConstraints = {}) =>
  fc.jsonValue({ maxDepth: 6, ...constraints }).map((v) => JSON.parse(JSON.stringify(v)));

/** A valid frame id (docs/protocol.md): a string of 1–128 UTF-16 units, or a safe integer. */
const validId = fc.oneof(
  fc.string({ minLength: 1, maxLength: 128, unit: 'binary' }).filter((s) => s.length <= 128),
  fc.maxSafeInteger(),
);
const invalidId = fc.oneof(
  fc.constant(''),
  fc.string({ minLength: 129, maxLength: 200 }),
  fc.double({ noInteger: true, noDefaultInfinity: true, noNaN: true }),
  fc.constantFrom(null, true, false, 2 ** 53, -(2 ** 60), 1e300),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);

const clientFrame: fc.Arbitrary<ClientFrame> = fc.record(
  {
    event: fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }),
    id: validId,
    data: json({ maxDepth: DEFAULT_MAX_DEPTH - 1 }),
  },
  { requiredKeys: ['event'] },
);

/** Text nested `levels` deep, with strings full of brackets and escapes that must not count. */
const nestedText = (levels: fc.Arbitrary<number>) =>
  fc
    .tuple(levels, fc.array(fc.constantFrom('[', ']', '{', '}', '"', '\\', 'x'), { maxLength: 8 }))
    .chain(([n, noise]) =>
      fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((kinds) => {
        const filler = JSON.stringify(noise.join(''));
        let body = filler;
        for (const array of kinds) body = array ? `[${body},${filler}]` : `{"k":${body}}`;
        return `{"event":"deep","data":${body}}`;
      }),
    );

/** Edits a valid frame's text a little: most results are invalid JSON, some are valid and odd. */
const mutatedText = fc
  .tuple(
    clientFrame.map((f) => JSON.stringify(f)),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('delete', 'insert', 'replace'), fc.string()), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([text, edits]) =>
    edits.reduce((t, [at, op, chars]) => {
      const i = t.length === 0 ? 0 : at % t.length;
      if (op === 'delete') return t.slice(0, i) + t.slice(i + 1);
      if (op === 'insert') return t.slice(0, i) + chars + t.slice(i);
      return t.slice(0, i) + chars + t.slice(i + chars.length);
    }, text),
  );

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('utf8')),
  json().map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        event: fc.oneof(fc.string({ maxLength: 10 }), json({ maxDepth: 1 })),
        id: fc.oneof(validId, invalidId),
        data: json(),
      },
      { requiredKeys: [] },
    )
    .map((f) => JSON.stringify(f)),
  nestedText(fc.integer({ min: 0, max: DEFAULT_MAX_DEPTH + 8 })),
  mutatedText,
);

const decodeCodes = [ErrorCode.BadJson, ErrorCode.BadFrame, ErrorCode.TooDeep];

describe('protocol codec (properties)', () => {
  it('decodes every valid client frame, as JSON text, back to itself', () => {
    fc.assert(
      fc.property(clientFrame, (frame) => {
        expect(decodeClientFrame(JSON.stringify(frame))).toEqual(frame);
      }),
      runs(500),
    );
  });

  it('never throws on arbitrary text, and answers the error code a reference predicts', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const result = decodeClientFrame(text);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          expect(result).toBeInstanceOf(ProtocolError);
          const error = result as ProtocolError;
          // A text without brackets cannot nest: only then is the depth scan's verdict fixed.
          const expected = /[[{]/.test(text) ? [ErrorCode.BadJson, ErrorCode.TooDeep] : [];
          expect([ErrorCode.BadJson, ...expected]).toContain(error.code);
          expect(error.id).toBeUndefined();
          return;
        }
        const frame = parsed as Record<string, unknown>;
        const isObject = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
        const idOk =
          !isObject ||
          frame.id === undefined ||
          (typeof frame.id === 'string' && frame.id.length >= 1 && frame.id.length <= 128) ||
          Number.isSafeInteger(frame.id);
        const eventOk = isObject && typeof frame.event === 'string' && frame.event.length > 0;
        if (depthOf(parsed) > DEFAULT_MAX_DEPTH) {
          expect(result).toMatchObject({ code: ErrorCode.TooDeep, id: undefined });
        } else if (!isObject || !idOk) {
          expect(result).toMatchObject({ code: ErrorCode.BadFrame, id: undefined });
        } else if (!eventOk) {
          // The id could be read, so the client can correlate the refusal.
          expect(result).toMatchObject({ code: ErrorCode.BadFrame, id: frame.id });
        } else {
          expect(result).toEqual(parsed);
        }
        if (result instanceof ProtocolError) {
          expect(decodeCodes).toContain(result.code);
          expect(result.message.length).toBeGreaterThan(0);
        }
      }),
      runs(1000),
    );
  });

  it('generates text of every outcome, so the property above is not vacuous', () => {
    const outcomes = new Set(
      fc.sample(anyText, { numRuns: 1000, seed: 7 }).map((text) => {
        const result = decodeClientFrame(text);
        if (!(result instanceof ProtocolError)) return 'frame';
        return `${result.code}${result.id === undefined ? '' : ' with id'}`;
      }),
    );
    expect([...outcomes].sort()).toEqual([
      'DWS_ERR_BAD_FRAME',
      'DWS_ERR_BAD_FRAME with id',
      'DWS_ERR_BAD_JSON',
      'DWS_ERR_TOO_DEEP',
      'frame',
    ]);
  });

  it('accepts nesting up to maxDepth and refuses one level more, whatever the strings hold', () => {
    const atTheBound = fc
      .integer({ min: 1, max: 40 })
      .chain((maxDepth) =>
        fc.tuple(
          fc.constant(maxDepth),
          nestedText(fc.integer({ min: Math.max(0, maxDepth - 3), max: maxDepth + 2 })),
        ),
      );
    fc.assert(
      fc.property(atTheBound, ([maxDepth, text]) => {
        const result = decodeClientFrame(text, maxDepth);
        if (depthOf(JSON.parse(text)) > maxDepth) {
          expect(result).toMatchObject({ code: ErrorCode.TooDeep });
        } else {
          expect(result).toEqual(JSON.parse(text));
        }
      }),
      runs(500),
    );
  });

  it('encodes acks and errors as JSON carrying the id, the data and the code', () => {
    const code = fc.constantFrom(...Object.values(ErrorCode));
    const extra = fc.option(fc.dictionary(fc.string({ maxLength: 8 }), json({ maxDepth: 2 })), {
      nil: undefined,
    });
    fc.assert(
      fc.property(
        fc.option(validId, { nil: undefined }),
        json(),
        code,
        fc.string({ unit: 'binary' }),
        extra,
        (id, data, errorCode, message, more) => {
          const idPart = id === undefined ? {} : { id };
          expect(JSON.parse(encodeAck(id, data))).toEqual({ event: 'ack', ...idPart, data });
          const error = JSON.parse(encodeError(id, errorCode, message, more));
          expect(error).toEqual({
            event: 'error',
            ...idPart,
            data: { ...more, code: errorCode, message },
          });
        },
      ),
      runs(500),
    );
  });

  it('encodes a message as JSON of the documented shape {topic, offset, payload}', () => {
    const level = fc
      .string({ minLength: 1, maxLength: 6, unit: 'grapheme' })
      .filter((l) => !/[/+#]/.test(l));
    const topic = fc.array(level, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('/'));
    const offset = fc.record({
      shard: fc.nat(1023),
      epoch: fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
      id: fc.tuple(fc.nat(), fc.nat()).map(([ms, seq]) => `${ms}-${seq}`),
    });
    fc.assert(
      fc.property(topic, json(), offset, (t, payload, at) => {
        const text = encodeMessage(
          t,
          JSON.stringify(payload),
          formatOffset(at.shard, at.epoch, at.id),
        );
        const frame = JSON.parse(text);
        expect(Object.keys(frame)).toEqual(['event', 'data']);
        expect(Object.keys(frame.data)).toEqual(['topic', 'offset', 'payload']);
        expect(frame).toEqual({
          event: 'message',
          data: { topic: t, offset: frame.data.offset, payload },
        });
        expect(parseOffset(frame.data.offset)).toEqual(at);
      }),
      runs(500),
    );
  });
});

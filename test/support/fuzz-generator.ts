import type { FrameId } from '../../lib/protocol/frames.js';
import { type FuzzFrame, type FuzzPools, owedFor } from './fuzz-frames.js';

// JSON's special characters, control characters, multi-byte and astral characters, lone
// surrogates (sent as U+FFFD), a BOM and U+2028 (valid in JSON, not in older JavaScript).
const TEXT_CHARS = [...'aZ0 "\\/{}[]:,\n\u0000\u001fé€\u2028\u{1F600}\ufeff', '\ud800', '\udfff'];
const INVALID_IDS: unknown[] = [null, '', 'x'.repeat(129), 1.5, 2 ** 53, 1e300, true, {}, [1]];

/**
 * Draws frames. Weights: about a third valid frames, a third mutated ones, a third garbage, and a
 * few frames the server must close on (oversized, invalid UTF-8).
 */
export class FrameGenerator {
  private ids = 0;

  constructor(
    private readonly random: () => number,
    private readonly pools: FuzzPools,
    private readonly limits: { maxPayload: number; maxDepth: number },
    /** Added to every id, so that generators of different connections never share one. */
    private readonly idBase = 0,
  ) {}

  next(): FuzzFrame {
    const r = this.random();
    if (r < 0.0003) return this.closer();
    if (r < 0.33) return this.encode(this.valid());
    if (r < 0.64) return this.encode(this.mutated());
    if (r < 0.97) return this.garbage();
    const frame = this.valid();
    delete frame.id;
    return this.encode(frame);
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(values: readonly T[]): T {
    return values[this.int(values.length)];
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  /** A fresh valid id: a number or a string of up to 128 units (unique for correlation). */
  private id(): FrameId {
    const n = this.idBase + ++this.ids;
    switch (this.int(4)) {
      case 0:
        return n;
      case 1:
        return -n;
      case 2:
        return `r${n}`;
      default:
        return `${n}:${this.text(this.int(120))}`.slice(0, 128);
    }
  }

  private text(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += this.pick(TEXT_CHARS);
    return s;
  }

  private json(depth: number): unknown {
    const r = this.int(depth > 0 ? 8 : 5);
    if (r === 0) return null;
    if (r === 1) return this.chance(0.5);
    if (r === 2) return this.chance(0.5) ? this.int(2 ** 31) - 2 ** 30 : this.random() * 1e6;
    if (r <= 4) return this.text(this.int(12));
    if (r <= 5) return Array.from({ length: this.int(4) }, () => this.json(depth - 1));
    const object: Record<string, unknown> = {};
    for (let i = this.int(4); i > 0; i--) object[this.text(this.int(6))] = this.json(depth - 1);
    return object;
  }

  private nested(levels: number): unknown {
    let value: unknown = this.text(4);
    for (let i = 0; i < levels; i++) value = this.chance(0.5) ? [value] : { k: value };
    return value;
  }

  private valid(): Record<string, unknown> {
    const { pools } = this;
    const id = this.id();
    const r = this.int(20);
    if (r < 5) return { event: 'subscribe', id, data: { topic: this.pick(pools.filters) } };
    if (r < 8) return { event: 'unsubscribe', id, data: { topic: this.pick(pools.filters) } };
    if (r < 11) {
      const topic = this.pick(pools.publishable);
      return { event: 'publish', id, data: { topic, payload: { text: `t${this.int(1e6)}` } } };
    }
    if (r < 12) return { event: 'presence', id, data: { topic: this.pick(pools.filters) } };
    if (r < 13 && this.chance(0.05))
      return {
        event: 'resume',
        id,
        data: { ...pools.session(), topics: [this.pick(pools.filters)] },
      };
    const event = this.pick(Object.keys(pools.gatewayEvents));
    return { event, id, data: pools.gatewayEvents[event]() };
  }

  private mutated(): Record<string, unknown> {
    const frame = this.valid();
    for (let n = 1 + this.int(3); n > 0; n--) this.mutate(frame);
    return frame;
  }

  private mutate(frame: Record<string, unknown>): void {
    const data = (frame.data && typeof frame.data === 'object' ? frame.data : {}) as Record<
      string,
      unknown
    >;
    const { pools } = this;
    switch (this.int(14)) {
      case 0:
        return void delete frame.data;
      case 1:
        return void (frame.data = this.json(1));
      case 2:
        return void delete data[
          this.pick(['topic', 'payload', 'token', 'topics', 'positions', 'say'])
        ];
      case 3:
        data.topic = this.pick([42, null, true, ['chat/rooms/1'], { topic: 'x' }]);
        break;
      case 4:
        data.topic = this.pick(pools.badTopics);
        break;
      case 5:
        data.topic = 'chat/rooms/' + 'x'.repeat(this.int(3000));
        break;
      case 6:
        data.payload = this.chance(0.03) ? { text: 'y'.repeat(this.int(60_000)) } : this.json(3);
        break;
      case 7:
        frame.data = this.nested(this.limits.maxDepth - 6 + this.int(12));
        return;
      case 8:
        frame.event = this.pick(pools.unknownEvents);
        return;
      case 9:
        frame.event = this.pick([7, null, '', ['subscribe'], { event: 'x' }, false]);
        return;
      case 10:
        frame.id = this.pick(INVALID_IDS);
        return;
      case 11:
        return void delete frame.id;
      case 12:
        Object.defineProperty(frame, '__proto__', {
          value: { polluted: true },
          enumerable: true,
          configurable: true,
        });
        return;
      default:
        data[this.pick(['token', 'topics', 'positions', 'info'])] = this.json(2);
        break;
    }
    frame.data = data;
  }

  private garbage(): FuzzFrame {
    const valid = JSON.stringify(this.valid());
    switch (this.int(10)) {
      case 0:
        return this.bytes(
          Buffer.from(Array.from({ length: this.int(300) }, () => this.int(256))),
          true,
        );
      case 1:
        return this.bytes(Buffer.from(this.text(this.int(200))));
      case 2:
        return this.bytes(
          Buffer.from(
            JSON.stringify(this.chance(0.5) ? this.json(2) : this.pick([[], 0, '', 'x', null])),
          ),
        );
      case 3:
        return this.bytes(Buffer.from(valid.slice(0, this.int(valid.length))));
      case 4: {
        const n = this.limits.maxDepth + this.int(this.chance(0.97) ? 40 : 30_000);
        return this.bytes(Buffer.from('['.repeat(n) + (this.chance(0.5) ? ']'.repeat(n) : '')));
      }
      case 5:
        return this.bytes(Buffer.from('\ufeff' + valid));
      case 6:
        return this.bytes(Buffer.from(valid + this.pick(['}', ',', ' x', '{}', '\u0000'])));
      case 7:
        return this.bytes(
          Buffer.from(this.pick(['', ' ', '\n\t', 'null', '"event"', '{}', '{"event":""}'])),
        );
      case 8:
        return this.bytes(Buffer.from(valid.replace('"event":', '"event":5,"event":')));
      default:
        return this.bytes(
          Buffer.from(
            valid.replace(/"id":("[^"]*"|-?\d+)/, '"id":' + JSON.stringify(this.pick(INVALID_IDS))),
          ),
        );
    }
  }

  /** Frames the server cannot read: it must close (1009 oversized, 1007 invalid UTF-8). */
  private closer(): FuzzFrame {
    const over = this.limits.maxPayload + 1 + this.int(5000);
    switch (this.int(3)) {
      case 0: {
        const frame = { event: 'echo', id: this.id(), data: { say: 'z'.repeat(over) } };
        return this.encode(frame);
      }
      case 1:
        return this.bytes(Buffer.alloc(over, 0x41), true);
      default: {
        const bad = this.pick([[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]);
        const valid = Buffer.from(JSON.stringify(this.valid()));
        const at = this.int(valid.length);
        return this.bytes(
          Buffer.concat([valid.subarray(0, at), Buffer.from(bad), valid.subarray(at)]),
        );
      }
    }
  }

  private encode(frame: Record<string, unknown>): FuzzFrame {
    return this.bytes(Buffer.from(JSON.stringify(frame)));
  }

  private bytes(bytes: Buffer, binary = false): FuzzFrame {
    return {
      bytes,
      binary,
      owed: owedFor(bytes, binary, this.limits.maxPayload, this.limits.maxDepth),
    };
  }
}

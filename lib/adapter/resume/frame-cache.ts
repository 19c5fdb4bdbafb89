import type { BrokerMessage } from '../../broker/broker.interface.js';
import { entryBytes } from '../../broker/replay-window.js';
import { encodeMessage } from '../../protocol/codec.js';
import { textFrameOf } from '../text-frame.js';

/**
 * What one cached frame costs beyond its bytes: the Buffer (a view on a pooled slab) and its slot
 * in the map. Measured as heap and ArrayBuffer growth per entry over 20,000 frames: 161–170 bytes.
 */
export const FRAME_OVERHEAD_BYTES = 170;
/** Unused this long, the cache empties: between waves it holds nothing. */
const IDLE_MS = 10_000;

/**
 * The frames of replayed (and held) messages, built once per message: the clients of a dead
 * instance come back with the same recent messages missed, and the thirty that resume one topic
 * are sent the same bytes (issue 18). A message is known by its object: the replay window and a
 * shared read of the log hand the same object to every resume.
 *
 * Bounded: it holds at most `maxBytes`, counting each frame, {@link FRAME_OVERHEAD_BYTES} and
 * the message it keeps alive (as the window counts it: it may have left the window), and is
 * emptied whole when the next frame would not fit, and after {@link IDLE_MS} without use. 0 turns
 * it off.
 */
export class FrameCache {
  private frames = new Map<BrokerMessage, Buffer>();
  private held = 0;
  private used = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly maxBytes: number) {}

  /** Bytes held now, as counted against `maxBytes`. */
  get bytes(): number {
    return this.held;
  }

  /** `{"event":"message",…}` for `m`, framed (text-frame.ts): from the cache, or built now. */
  frameOf(m: BrokerMessage): Buffer {
    this.used = true;
    const cached = this.frames.get(m);
    if (cached !== undefined) return cached;
    const frame = textFrameOf(encodeMessage(m.topic, m.payload, m.offset));
    const cost = frame.length + FRAME_OVERHEAD_BYTES + entryBytes(m);
    if (cost > this.maxBytes) return frame;
    if (this.held + cost > this.maxBytes) this.clear();
    this.frames.set(m, frame);
    this.held += cost;
    this.timer ??= setInterval(() => this.sweep(), IDLE_MS).unref();
    return frame;
  }

  /** Empties the cache, and stops its timer. */
  clear(): void {
    this.frames = new Map();
    this.held = 0;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Empties the cache if it was not used since the last sweep. */
  private sweep(): void {
    if (!this.used) this.clear();
    this.used = false;
  }
}

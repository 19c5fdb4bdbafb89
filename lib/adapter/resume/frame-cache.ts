import type { BrokerMessage } from '../../broker/broker.interface.js';
import { entryBytes } from '../../broker/replay-window.js';
import { encodeMessage } from '../../protocol/codec.js';
import { textFrameLength, textFrameOf, writeTextFrame } from '../text-frame.js';

/**
 * What one cached frame costs beside its bytes: its Buffer (a view into a block) and its slot in
 * the map. Measured as heap growth per frame beyond the blocks, over 20,000 frames with other
 * buffers allocated between them: 169–175 bytes.
 */
export const FRAME_OVERHEAD_BYTES = 180;
/** Frames are cut from blocks of this size that the cache owns (at most a quarter of its bound). */
const BLOCK_BYTES = 64 * 1024;
/** Unused for one to two of these, the cache empties: between waves it holds nothing. */
const IDLE_MS = 10_000;

/**
 * The frames of replayed (and held) messages, built once per message: the clients of a dead
 * instance come back with the same recent messages missed, and the thirty that resume one topic
 * are sent the same bytes (issue 18). A message is known by its object: the replay window hands
 * every resume the same object, and so does a Redis read shared by concurrent resumes.
 *
 * Bounded: it holds at most `maxBytes`, counting the blocks its frames are written into (whole,
 * taken from no shared pool: a cached frame pins nothing else), a frame too big for a block,
 * {@link FRAME_OVERHEAD_BYTES} per frame and the message each frame keeps alive (as the window
 * counts it: it may have left the window). It is emptied whole when the next frame would not
 * fit, and once it went unused from one sweep to the next ({@link IDLE_MS} apart). 0 turns it off.
 */
export class FrameCache {
  private frames = new Map<BrokerMessage, Buffer>();
  private held = 0;
  private readonly blockBytes: number;
  private block: Buffer | null = null;
  private blockAt = 0;
  private used = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly maxBytes: number) {
    this.blockBytes = Math.min(BLOCK_BYTES, Math.floor(maxBytes / 4));
  }

  /** Bytes held now, as counted against `maxBytes`. */
  get bytes(): number {
    return this.held;
  }

  /** `{"event":"message",…}` for `m`, framed (text-frame.ts): from the cache, or built now. */
  frameOf(m: BrokerMessage): Buffer {
    this.used = true;
    const cached = this.frames.get(m);
    if (cached !== undefined) return cached;
    const text = encodeMessage(m.topic, m.payload, m.offset);
    const length = Buffer.byteLength(text);
    const size = textFrameLength(length);
    // A frame over a quarter of a block gets a buffer of its own, counted as its size.
    const alone = size * 4 > this.blockBytes;
    const cost = FRAME_OVERHEAD_BYTES + entryBytes(m) + (alone ? size : 0);
    if (!this.fits(alone, size, cost)) {
      if (this.held > 0) this.clear();
      if (!this.fits(alone, size, cost)) return textFrameOf(text);
    }
    let frame: Buffer;
    if (alone) {
      frame = Buffer.allocUnsafeSlow(size);
      writeTextFrame(frame, 0, text, length);
    } else {
      if (this.needsBlock(size)) {
        this.block = Buffer.allocUnsafeSlow(this.blockBytes);
        this.blockAt = 0;
        this.held += this.blockBytes;
      }
      const end = writeTextFrame(this.block!, this.blockAt, text, length);
      frame = this.block!.subarray(this.blockAt, end);
      this.blockAt = end;
    }
    this.frames.set(m, frame);
    this.held += cost;
    this.timer ??= setInterval(() => this.sweep(), IDLE_MS).unref();
    return frame;
  }

  /** Empties the cache, and stops its timer (also at shutdown). */
  clear(): void {
    this.frames = new Map();
    this.held = 0;
    this.block = null;
    this.blockAt = 0;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Whether a frame of `size` bytes, costing `cost` beside its block space, fits now. */
  private fits(alone: boolean, size: number, cost: number): boolean {
    const block = !alone && this.needsBlock(size) ? this.blockBytes : 0;
    return this.held + cost + block <= this.maxBytes;
  }

  /** Whether `size` bytes need a new block. */
  private needsBlock(size: number): boolean {
    return this.block === null || this.blockAt + size > this.blockBytes;
  }

  /** Empties the cache if it was not used since the last sweep. */
  private sweep(): void {
    if (!this.used) this.clear();
    this.used = false;
  }
}

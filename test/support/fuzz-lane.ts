import WebSocket from 'ws';
import type { FuzzFrame } from './fuzz-frames.js';
import type { FrameGenerator } from './fuzz-generator.js';

const DECODE_CODES = new Set([
  'DWS_ERR_BAD_JSON',
  'DWS_ERR_BAD_FRAME',
  'DWS_ERR_TOO_DEEP',
  'DWS_ERR_BINARY_FRAME',
]);
const RATE_LIMITED = 'DWS_ERR_RATE_LIMITED';
const RATE_LIMIT_CLOSE = 4002;
/** Frames in flight per connection: enough to pipeline, few enough to drain quickly. */
const BATCH = 64;
const ANSWER_TIMEOUT_MS = 10_000;

/** What one lane saw; `failures` lists every broken promise of docs/protocol.md, with the frame. */
export interface LaneReport {
  sent: number;
  answered: number;
  decodeErrors: number;
  otherErrors: number;
  otherFrames: number;
  closes: Record<number, number>;
  /** Error frames by code. */
  codes: Record<string, number>;
  /** Ids left unanswered because the server closed for the rate limit (see `onClose`). */
  cutByRateLimitClose: number;
  failures: string[];
}

const keyOf = (id: unknown) => `${typeof id}:${String(id)}`;
const show = (frame: FuzzFrame) =>
  `${frame.binary ? 'binary' : 'text'} ${frame.bytes.length} B: ${frame.bytes.subarray(0, 160).toString('utf8')}`;

/**
 * One client connection of the fuzzer: sends generated frames in batches and checks every answer
 * against what the frame is owed. Reconnects whenever the server closes, and carries on.
 */
export class FuzzLane {
  readonly report: LaneReport = {
    sent: 0,
    answered: 0,
    decodeErrors: 0,
    otherErrors: 0,
    otherFrames: 0,
    closes: {},
    codes: {},
    cutByRateLimitClose: 0,
    failures: [],
  };
  session = { token: '', positions: [] as string[] };
  private ws!: WebSocket;
  private outstanding = new Map<string, FuzzFrame>();
  private decodeQueue: { codes: readonly string[]; frame: FuzzFrame }[] = [];
  private expectedClose: number | null = null;
  private rateLimited = false;
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly url: string,
    private readonly errorCodes: ReadonlySet<string>,
    private readonly closeCodes: ReadonlySet<number>,
  ) {}

  /** Opens a connection and waits for its `welcome`. */
  async connect(): Promise<void> {
    this.session = { token: '', positions: [] };
    this.closed = false;
    this.rateLimited = false;
    this.expectedClose = null;
    this.ws = new WebSocket(this.url);
    this.ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
    this.ws.on('close', (code: number) => this.onClose(code));
    this.ws.on('error', () => undefined);
    await this.until(() => this.session.token !== '' || this.closed, 5000);
    if (this.session.token === '') throw new Error('no welcome on a fresh connection');
  }

  /** Sends `count` generated frames; resolves once each was answered as owed. */
  async run(generator: FrameGenerator, count: number): Promise<void> {
    let stash: FuzzFrame | null = null;
    for (let left = count; left > 0;) {
      const batch: FuzzFrame[] = [];
      while (batch.length < Math.min(BATCH, left)) {
        const frame: FuzzFrame = stash ?? generator.next();
        stash = null;
        if (frame.owed.kind === 'close' && batch.length > 0) {
          stash = frame;
          break;
        }
        batch.push(frame);
        if (frame.owed.kind === 'close') break;
      }
      left -= batch.length;
      await this.send(batch);
      if (this.closed) await this.connect();
    }
  }

  /** Ends the lane: a close from our side is not the server's. */
  close(): void {
    this.ws.removeAllListeners('close');
    this.ws.terminate();
  }

  private async send(batch: FuzzFrame[]): Promise<void> {
    for (const frame of batch) {
      const { owed } = frame;
      if (owed.kind === 'answer') this.outstanding.set(keyOf(owed.id), frame);
      if (owed.kind === 'decode-error') this.decodeQueue.push({ codes: owed.codes, frame });
      // Closers come alone, after the previous batch was fully answered.
      if (owed.kind === 'close') this.expectedClose = owed.code;
      this.ws.send(frame.bytes, { binary: frame.binary });
    }
    this.report.sent += batch.length;
    const settled = () =>
      this.closed ||
      (this.expectedClose === null && this.outstanding.size === 0 && this.decodeQueue.length === 0);
    await this.until(settled, ANSWER_TIMEOUT_MS);
    if (!settled()) {
      const missing = [...this.outstanding.values(), ...this.decodeQueue.map((d) => d.frame)];
      this.fail(
        `${missing.length} frames unanswered after ${ANSWER_TIMEOUT_MS} ms, e.g. ${show(missing[0])}`,
      );
      throw new Error(this.report.failures.at(-1));
    }
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (isBinary) return this.fail('the server sent a binary frame');
    let frame: { event?: unknown; id?: unknown; data?: any };
    try {
      frame = JSON.parse(data.toString('utf8'));
    } catch {
      return this.fail(`the server sent invalid JSON: ${data.subarray(0, 80).toString()}`);
    }
    const { event, id } = frame ?? {};
    if (event === 'welcome' && this.session.token === '') {
      this.session = { token: frame.data.sessionToken, positions: frame.data.positions };
      this.wake?.();
    } else if ((event === 'ack' || event === 'error') && id !== undefined) {
      if (!this.outstanding.delete(keyOf(id))) this.fail(`answer for an id not awaited: ${data}`);
      this.report.answered++;
      if (event === 'error') this.checkCode(frame.data?.code, data);
    } else if (event === 'error') {
      const code = frame.data?.code;
      if (DECODE_CODES.has(code)) {
        this.count(code);
        const owed = this.decodeQueue.shift();
        if (!owed) this.fail(`unexpected ${code}: ${data}`);
        else if (!owed.codes.includes(code))
          this.fail(`${code} instead of ${owed.codes} for ${show(owed.frame)}`);
        this.report.decodeErrors++;
      } else {
        this.checkCode(code, data);
        this.report.otherErrors++;
      }
    } else {
      this.report.otherFrames++;
    }
    if (this.outstanding.size === 0 && this.decodeQueue.length === 0) this.wake?.();
  }

  private checkCode(code: unknown, data: Buffer): void {
    this.count(code);
    if (code === RATE_LIMITED) this.rateLimited = true;
    if (!this.errorCodes.has(code as string)) this.fail(`undocumented error code: ${data}`);
  }

  /**
   * A close must carry a documented code and be the one the frame asked for. The rate limit is
   * the exception: it closes after `closeAfter` refusals in a row and ignores what follows, so
   * the frames sent meanwhile stay unanswered (counted, not failed).
   */
  private onClose(code: number): void {
    this.closed = true;
    this.report.closes[code] = (this.report.closes[code] ?? 0) + 1;
    if (!this.closeCodes.has(code)) this.fail(`undocumented close code ${code}`);
    if (this.expectedClose !== null) {
      if (code !== this.expectedClose)
        this.fail(`closed with ${code}, expected ${this.expectedClose}`);
      if (this.outstanding.size > 0)
        this.fail(`${this.outstanding.size} answers lost at the close`);
    } else if (code === RATE_LIMIT_CLOSE && this.rateLimited) {
      this.report.cutByRateLimitClose += this.outstanding.size;
    } else {
      this.fail(`unexpected close ${code}`);
    }
    this.outstanding.clear();
    this.decodeQueue = [];
    this.wake?.();
  }

  private count(code: unknown): void {
    const key = String(code);
    this.report.codes[key] = (this.report.codes[key] ?? 0) + 1;
  }

  private fail(message: string): void {
    if (this.report.failures.length < 20) this.report.failures.push(message);
  }

  private async until(condition: () => boolean, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!condition() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.wake = null;
  }
}

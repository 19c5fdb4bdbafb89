import { HttpException, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type {
  AuthenticatedPrincipal,
  Authenticate,
  AuthFailureMode,
  OriginAllowList,
  TokenSource,
} from '../auth.options.js';
import { checkPrincipal } from './credential-expiry.js';
import { AUTH_TIMED_OUT, RefusedSockets, UNAUTHORIZED, type Refusal } from './refused-sockets.js';
import { extractToken } from './token-extraction.js';

/** What the gate needs from the module options. */
export interface HandshakeGateOptions {
  authenticate?: Authenticate;
  authFailure: AuthFailureMode;
  tokenSources: readonly TokenSource[];
  allowedOrigins?: OriginAllowList;
  maxConnections: number;
  authTimeoutMs: number;
}

/** `ws`'s `verifyClient` info and callback. */
export interface VerifyInfo {
  origin?: string;
  req: IncomingMessage;
}
export type VerifyDone = (
  ok: boolean,
  status?: number,
  message?: string,
  headers?: Record<string, string>,
) => void;

/** What the gate decided for a request: its principal (null: anonymous), or a refusal. */
export type Admission = { principal: AuthenticatedPrincipal | null } | Refusal;

const ANONYMOUS: Admission = { principal: null };
// At most one "cap reached" warning per this many ms: a connection storm must not flood the log.
const WARN_EVERY_MS = 10_000;

/**
 * The checks every WebSocket upgrade passes before it becomes a connection, cheapest first:
 * origin allow-list (403), connection cap (503), then `authenticate` (401, or accepted and
 * closed with 1008 by the adapter when `authFailure` is `'close'`), bounded by `authTimeoutMs`
 * (503, or 1013 with `'close'`).
 *
 * A slot is taken before the (async) authentication and given back when the TCP socket closes,
 * so that handshakes in flight count against the cap: a storm can't overshoot it. A refusal gives
 * it back at once: a refused socket still closing holds no slot (see {@link RefusedSockets}).
 */
export class HandshakeGate {
  private readonly logger = new Logger('DistributedWs');
  private readonly admissions = new WeakMap<IncomingMessage, Admission>();
  private slots = 0;
  private lastWarning = 0;

  /** Sockets refused with `authFailure: 'close'`, closing; as many as `maxConnections` at most. */
  readonly refused: RefusedSockets;

  constructor(private readonly options: HandshakeGateOptions) {
    this.refused = new RefusedSockets(options.maxConnections);
  }

  /** Connections (and handshakes in progress) holding a slot on this instance. */
  get occupied(): number {
    return this.slots;
  }

  /**
   * What the gate decided for a request. A request it never saw came through a server the
   * gateway supplied itself (`server` option), which skips `verifyClient`: with `authenticate`
   * configured that is a refusal, without it an anonymous client.
   */
  admission(request: IncomingMessage): Admission {
    return this.admissions.get(request) ?? (this.options.authenticate ? UNAUTHORIZED : ANONYMOUS);
  }

  /** `verifyClient` in its callback form. */
  verify({ origin, req }: VerifyInfo, done: VerifyDone): void {
    if (origin !== undefined && !this.originAllowed(origin)) {
      return done(false, 403, 'Origin not allowed');
    }
    if (this.slots >= this.options.maxConnections) {
      this.warnCapReached();
      return done(false, 503, 'Too many connections');
    }
    const release = this.takeSlot(req);
    const { authenticate } = this.options;
    if (!authenticate) {
      this.admissions.set(req, ANONYMOUS);
      return done(true);
    }
    void this.admit(authenticate, req, release, done);
  }

  /**
   * Runs `authenticate` and answers the upgrade with its verdict, or with a refusal once
   * `authTimeoutMs` has passed; a verdict arriving after that is ignored.
   */
  private async admit(
    authenticate: Authenticate,
    req: IncomingMessage,
    release: () => void,
    done: VerifyDone,
  ): Promise<void> {
    let timedOut = false;
    // Not the client's fault: 503 (or 1013) tells it to try again, unlike 401.
    const timer = setTimeout(() => {
      timedOut = true;
      this.refuse(req, release, done, 503, AUTH_TIMED_OUT);
    }, this.options.authTimeoutMs);
    let principal: AuthenticatedPrincipal | null;
    try {
      principal = await authenticate(req, extractToken(req, this.options.tokenSources));
    } catch (error) {
      if (timedOut) return;
      // Token libraries throw for expired or forged tokens: that is a refusal, not a server fault,
      // and it is not logged (a public endpoint would turn that into a log flood).
      return this.refuse(req, release, done, errorStatusOf(error, 401));
    } finally {
      clearTimeout(timer);
    }
    if (timedOut) return;
    if (principal === null || principal === undefined) return this.refuse(req, release, done, 401);
    const expiry = checkPrincipal(principal);
    if ('problem' in expiry) {
      // A programming error in the app, not the client's: say so in the log, not on the wire.
      this.logger.error(expiry.problem);
      release();
      return done(false, 500);
    }
    if (expiry.expiresAt !== null && expiry.expiresAt <= Date.now()) {
      return this.refuse(req, release, done, 401);
    }
    this.admissions.set(req, { principal });
    done(true);
  }

  /** Gives the slot back, then answers `status` or, with `authFailure: 'close'`, `refusal`. */
  private refuse(
    req: IncomingMessage,
    release: () => void,
    done: VerifyDone,
    status: number,
    refusal: Refusal = UNAUTHORIZED,
  ): void {
    release();
    if (this.options.authFailure === 'close') {
      this.admissions.set(req, refusal);
      return done(true);
    }
    const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
    done(false, status, refusal === AUTH_TIMED_OUT ? refusal.reason : undefined, headers);
  }

  private takeSlot(req: IncomingMessage): () => void {
    this.slots++;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.slots--;
    };
    req.socket.once('close', release);
    return release;
  }

  private originAllowed(origin: string): boolean {
    const allowed = this.options.allowedOrigins;
    if (allowed === undefined) return true;
    try {
      if (typeof allowed === 'function') return allowed(origin) === true;
      return allowed.some((rule) =>
        typeof rule === 'string' ? rule === origin : rule.test(origin),
      );
    } catch {
      return false;
    }
  }

  private warnCapReached(): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.logger.warn(
      `maxConnections (${this.options.maxConnections}) reached: new WebSocket upgrades get HTTP 503 until connections close.`,
    );
  }
}

/**
 * The status a refusal answers: an `HttpException`'s, if it is an error status (4xx, 5xx), else
 * `fallback` for anything else thrown.
 */
export function errorStatusOf(error: unknown, fallback: number): number {
  const status = error instanceof HttpException ? error.getStatus() : fallback;
  return status >= 400 && status <= 599 ? status : fallback;
}

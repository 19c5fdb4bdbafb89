import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a session token proves: who owns which session, since when, until when. */
export interface SessionClaims {
  /** Session (= connection) id. */
  sessionId: string;
  /** The authenticated user the session belongs to, or null for an anonymous one. */
  userId: string | null;
  /**
   * How many resumes the session had when the token was issued: 0 in a `welcome`, one more in
   * each resume's ack. A resume claims the next generation; older tokens are then superseded.
   */
  generation: number;
  /** When the token was issued, in ms since the epoch (the issuing instance's clock). */
  issuedAt: number;
  /** When it stops being accepted, in ms since the epoch. */
  expiresAt: number;
}

/** What {@link SessionTokens.issue} needs: the times are the issuer's own. */
export type SessionGrant = Pick<SessionClaims, 'sessionId' | 'userId' | 'generation'>;

/**
 * Signs and verifies session tokens: `base64url(claims).base64url(HMAC-SHA256)`. Any instance
 * holding the same secret verifies any other's tokens, so a client resumes anywhere; changing
 * the secret invalidates every token issued before. A token expires `ttlMs` after it was
 * issued; which generation is still current is the broker's to say (SessionVerification).
 */
export class SessionTokens {
  private readonly key: Buffer;

  /** @param ttlMs lifetime of each token (the `sessionTtlMs` option). */
  constructor(
    secret: string,
    readonly ttlMs: number,
  ) {
    this.key = Buffer.from(secret, 'utf8');
  }

  /** A token for `grant`, issued at `now`, expiring `ttlMs` later. */
  issue(grant: SessionGrant, now = Date.now()): string {
    const body = Buffer.from(
      JSON.stringify({
        s: grant.sessionId,
        u: grant.userId,
        g: grant.generation,
        i: now,
        e: now + this.ttlMs,
      }),
    ).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /**
   * The claims of a genuine token, expired or not (the caller tells the two apart), or null
   * for anything forged, truncated, signed with another secret, or issued without a lifetime
   * (before tokens had one).
   */
  verify(token: unknown): SessionClaims | null {
    if (typeof token !== 'string' || token.length > 1024) return null;
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      if (typeof claims.s !== 'string' || (claims.u !== null && typeof claims.u !== 'string'))
        return null;
      if (![claims.g, claims.i, claims.e].every(Number.isSafeInteger) || claims.g < 0) return null;
      return {
        sessionId: claims.s,
        userId: claims.u,
        generation: claims.g,
        issuedAt: claims.i,
        expiresAt: claims.e,
      };
    } catch {
      return null;
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/** Random bytes are drawn this many at a time: one call into OpenSSL per hundreds of ids. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let pooled = 0;

/**
 * `bytes` random bytes (cryptographically strong) as URL- and topic-safe text: ids created on
 * every connection and resume, where a call to `randomBytes` each cost 10–15 µs (issue 18).
 */
export function randomId(bytes: number): string {
  if (pooled + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    pooled = 0;
  }
  pooled += bytes;
  return pool.toString('base64url', pooled - bytes, pooled);
}

/** A new session/connection id: 96 random bits, URL- and topic-safe. */
export function newSessionId(): string {
  return randomId(12);
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a session token proves: who owns which session. */
export interface SessionClaims {
  /** Session (= connection) id. */
  sessionId: string;
  /** The authenticated user the session belongs to, or null for an anonymous one. */
  userId: string | null;
}

/**
 * Signs and verifies session tokens: `base64url(claims).base64url(HMAC-SHA256)`. Any instance
 * holding the same secret verifies any other's tokens, so a client resumes anywhere; changing
 * the secret invalidates every token issued before.
 */
export class SessionTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(secret, 'utf8');
  }

  issue(claims: SessionClaims): string {
    const body = Buffer.from(JSON.stringify({ s: claims.sessionId, u: claims.userId })).toString(
      'base64url',
    );
    return `${body}.${this.sign(body)}`;
  }

  /** The claims of a genuine token, or null for anything forged, truncated or signed with another secret. */
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
      return { sessionId: claims.s, userId: claims.u };
    } catch {
      return null;
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/** A new session/connection id: 96 random bits, URL- and topic-safe. */
export function newSessionId(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * What `authenticate` returned (`AuthenticatedPrincipal`: its `userId`, when its credentials
 * expire), checked the same way at the handshake and at every `refresh`.
 */

const USER_ID = /^[^/+#\s]{1,128}$/;
const UNUSABLE_USER_ID =
  'authenticate() must return null or an object whose "userId" is a string of 1–128 characters without "/", "+", "#" or spaces.';
// Below this, a number of ms since the epoch is in 1973: it is a JWT's `exp` in seconds.
const EARLIEST_MS = 1e11;
// The longest delay `setTimeout` keeps (about 24.8 days); a longer one fires at once.
const MAX_TIMER_MS = 2 ** 31 - 1;
// The server asks for a new token this share of the lifetime before the expiry, at most
// REFRESH_LEAD_MAX_MS: a 1-hour token is asked for 30 s ahead, a 60 s one 6 s ahead.
const REFRESH_LEAD_SHARE = 0.1;
const REFRESH_LEAD_MAX_MS = 30_000;

/** The principal's expiry in ms since the epoch, null when it has none, or what is wrong with it. */
export type CredentialExpiry = { expiresAt: number | null } | { problem: string };

/**
 * A principal's expiry, or what is wrong with it: a `userId` the library can't use, or an
 * unusable `expiresAt`. A problem is the application's bug: logged, never told the client.
 */
export function checkPrincipal(principal: object): CredentialExpiry {
  const userId = (principal as { userId?: unknown }).userId;
  if (typeof userId !== 'string' || !USER_ID.test(userId)) return { problem: UNUSABLE_USER_ID };
  return credentialExpiry(principal);
}

/** Reads `expiresAt` of what `authenticate` returned. */
export function credentialExpiry(principal: object): CredentialExpiry {
  const expiresAt = (principal as { expiresAt?: unknown }).expiresAt;
  if (expiresAt === undefined || expiresAt === null) return { expiresAt: null };
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    return {
      problem: `authenticate() returned an "expiresAt" that is not a finite number of ms since the epoch (${describe(expiresAt)}).`,
    };
  }
  if (expiresAt < EARLIEST_MS) {
    return {
      problem: `authenticate() returned "expiresAt" ${expiresAt}, which is in seconds: give ms since the epoch (a JWT's exp * 1000).`,
    };
  }
  return { expiresAt };
}

/**
 * When, before `expiresAt`, the server asks for a new token: 10% of the lifetime left at
 * authentication, at most 30 s.
 */
export function refreshAskedAt(authenticatedAt: number, expiresAt: number): number {
  const lifetime = Math.max(0, expiresAt - authenticatedAt);
  return expiresAt - Math.min(REFRESH_LEAD_MAX_MS, lifetime * REFRESH_LEAD_SHARE);
}

/** A delay `setTimeout` can hold: past ~24.8 days it is woken early and re-armed. */
export function timerDelay(until: number, now: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, until - now));
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'got a Date: use date.getTime()';
  return `got ${typeof value} ${String(value)}`;
}

/**
 * The access token of each connection attempt and refresh, from the application's `getToken`.
 * After a 1008 or 4004 close the same credentials would fail the same way: only a different
 * token is worth a retry, and that token is the one the retry uses.
 */
export class AttemptTokens {
  /** The token of the latest attempt. */
  private last: string | undefined;
  /** A token already fetched for the next attempt (after a 1008). */
  private pending: string | undefined;

  constructor(private readonly provider: (() => string | Promise<string>) | undefined) {}

  /** The token a 1008 retry fetched, once; undefined when the provider is to be asked. */
  takeFetched(): string | undefined {
    const pending = this.pending;
    this.pending = undefined;
    return pending;
  }

  /** Asks the provider (undefined without one). Throws or rejects with what the provider throws. */
  ask(): string | Promise<string> | undefined {
    return this.provider?.();
  }

  /** An attempt went ahead with `token`. */
  used(token: string | undefined): void {
    this.last = token;
  }

  /**
   * Whether `fresh` differs from the token in use; if so, it is the one in use from now on (a
   * `refresh` of the connection sends it, and a later 1008 or 4004 compares with it).
   */
  renewedWith(fresh: string): boolean {
    if (fresh === this.last) return false;
    this.last = fresh;
    return true;
  }

  /** Whether `fresh` differs from the token that was refused; if so, the next attempt uses it. */
  retryWith(fresh: string | undefined): boolean {
    const different = fresh !== undefined && fresh !== this.last;
    if (different) this.pending = fresh;
    return different;
  }
}

import { ACCESS_TOKEN_QUERY } from '../protocol/credentials.js';

/**
 * Which of the configured URLs the next attempt uses: the first URL first; after that, one of
 * the others, in a random order that tries each of them before any twice. When an instance goes
 * away, its clients thus spread over the other instances instead of all moving to the one after
 * it in the list.
 */
export class UrlRotation {
  /** Index in `urls` of the latest attempt (-1 before the first). */
  private current = -1;
  /** Indexes still to try, in random order, before any URL is tried a second time. */
  private untried: number[] = [];

  constructor(
    private readonly urls: readonly string[],
    private readonly random: () => number,
  ) {}

  /** The URL of the next attempt. */
  next(): string {
    this.current = this.nextIndex();
    return this.urls[this.current];
  }

  /** A connection succeeded: after the next loss, every other URL is a candidate again. */
  connected(): void {
    this.untried = [];
  }

  private nextIndex(): number {
    const count = this.urls.length;
    if (this.current < 0 || count === 1) return 0;
    if (this.untried.length === 0) {
      for (let i = 0; i < count; i++) if (i !== this.current) this.untried.push(i);
      shuffle(this.untried, this.random);
    }
    return this.untried.pop()!;
  }
}

/** Adds the `access_token` query parameter (browsers cannot send headers with a WebSocket). */
export function withToken(url: string, token: string | undefined): string {
  if (token === undefined) return url;
  const withParam = new URL(url);
  withParam.searchParams.set(ACCESS_TOKEN_QUERY, token);
  return withParam.toString();
}

/** Fisher–Yates, in place. */
function shuffle(items: number[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

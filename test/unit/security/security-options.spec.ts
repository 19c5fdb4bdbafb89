import { describe, expect, it } from '@jest/globals';
import { RuntimeOptions } from '../../../lib/distributed-ws.config.js';
import type { DistributedWsOptions } from '../../../lib/index.js';

describe('security options', () => {
  it('has documented defaults', () => {
    const { options } = new RuntimeOptions({});
    expect(options.authenticate).toBeUndefined();
    expect(options.allowedOrigins).toBeUndefined();
    expect(options).toMatchObject({
      authFailure: 'reject',
      tokenSources: ['header', 'protocol', 'query'],
      maxConnections: 10_000,
      maxPayload: 65_536,
      maxSubscriptions: 1000,
      publishRate: { perSecond: 50, burst: 100, closeAfter: 50 },
    });
  });

  it('fills a partial publishRate from the defaults, and accepts false', () => {
    expect(new RuntimeOptions({ publishRate: { perSecond: 5 } }).options.publishRate).toEqual({
      perSecond: 5,
      burst: 100,
      closeAfter: 50,
    });
    expect(new RuntimeOptions({ publishRate: false }).options.publishRate).toBe(false);
  });

  it.each<[DistributedWsOptions, string]>([
    [{ authenticate: 'yes' as never }, 'option "authenticate" must be a function'],
    [
      { authFailure: 'drop' as never },
      `option "authFailure" must be 'reject' or 'close', got drop.`,
    ],
    [{ tokenSources: ['cookie'] as never }, 'option "tokenSources" must be a list of'],
    [
      { allowedOrigins: 'https://a.example' as never },
      'option "allowedOrigins" must be a list of origins',
    ],
    [{ maxConnections: 0 }, 'option "maxConnections" must be a positive integer, got 0.'],
    [
      { publishRate: { burst: 0 } },
      'option "publishRate": "burst" must be a positive integer, got 0.',
    ],
  ])('refuses %j at boot', (input, message) => {
    expect(() => new RuntimeOptions(input)).toThrow(message);
  });
});

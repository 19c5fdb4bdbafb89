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
      maxPendingFrames: 64,
      maxPendingBytes: 1_048_576,
      rateLimit: {
        perSecond: 100,
        burst: 200,
        closeAfter: 50,
        cost: {
          publish: 1,
          subscribe: 1,
          unsubscribe: 1,
          event: 1,
          invalid: 1,
          presence: 5,
          refresh: 5,
          resume: 20,
        },
      },
    });
  });

  it('fills a partial rateLimit (and its costs) from the defaults, and accepts false', () => {
    const { rateLimit } = new RuntimeOptions({ rateLimit: { perSecond: 5, cost: { resume: 50 } } })
      .options;
    expect(rateLimit).toMatchObject({ perSecond: 5, burst: 200, closeAfter: 50 });
    expect(rateLimit && [rateLimit.cost.resume, rateLimit.cost.presence]).toEqual([50, 5]);
    expect(new RuntimeOptions({ rateLimit: false }).options.rateLimit).toBe(false);
  });

  it('lowers a default cost above a small burst to the burst, so that the frame stays possible', () => {
    const { rateLimit } = new RuntimeOptions({ rateLimit: { burst: 10 } }).options;
    expect(rateLimit && [rateLimit.cost.resume, rateLimit.cost.presence]).toEqual([10, 5]);
  });

  it('keeps the deprecated publishRate a publish-only budget when rateLimit is not set', () => {
    const { rateLimit } = new RuntimeOptions({ publishRate: { perSecond: 5, burst: 30 } }).options;
    expect(rateLimit).toEqual({
      perSecond: 5,
      burst: 30,
      closeAfter: 50,
      cost: {
        publish: 1,
        subscribe: 0,
        unsubscribe: 0,
        event: 0,
        invalid: 0,
        presence: 0,
        refresh: 0,
        resume: 0,
      },
    });
    expect(new RuntimeOptions({ publishRate: false }).options.rateLimit).toBe(false);
    expect(
      new RuntimeOptions({ publishRate: false, rateLimit: { burst: 300 } }).options.rateLimit,
    ).toMatchObject({ burst: 300 });
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
    [{ rateLimit: { burst: 0 } }, 'option "rateLimit": "burst" must be a positive integer, got 0.'],
    [
      { rateLimit: { burst: 10, cost: { presence: 11 } } },
      'option "rateLimit": "cost.presence" must be a number from 0 to "burst" (10), got 11.',
    ],
    [
      { publishRate: { perSecond: -1 } },
      'option "publishRate": "perSecond" must be a positive number, got -1.',
    ],
    [{ maxPendingFrames: 0 }, 'option "maxPendingFrames" must be a positive integer, got 0.'],
    [{ maxPendingBytes: 1.5 }, 'option "maxPendingBytes" must be a positive integer, got 1.5.'],
  ])('refuses %j at boot', (input, message) => {
    expect(() => new RuntimeOptions(input)).toThrow(message);
  });
});

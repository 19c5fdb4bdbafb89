import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { RuntimeOptions } from '../../../lib/distributed-ws.config.js';
import { brokerUrlFromEnv } from '../../../sample/broker-url.js';

describe('an empty broker URL (BROKER_URL= in a compose file)', () => {
  it('is refused by the module with a message naming the broker option, not the session secret', () => {
    for (const broker of ['', '  ']) {
      expect(() => new RuntimeOptions({ broker })).toThrow(
        'DistributedWsModule: option "broker" is an empty string (an environment variable such as BROKER_URL set but empty?). Leave it undefined or use "memory://" for the embedded broker, or give a "redis://host:port/db" URL.',
      );
    }
  });

  it('is read by the sample as unset: the embedded broker, and one warning saying so', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => {});
    try {
      expect(brokerUrlFromEnv({ BROKER_URL: '' })).toBe('memory://');
      expect(warn.mock.calls).toEqual([
        [
          'BROKER_URL is set but empty: using the embedded broker (memory://). Unset it, or give a redis:// URL.',
        ],
      ]);
      warn.mockClear();
      expect(brokerUrlFromEnv({})).toBe('memory://');
      expect(brokerUrlFromEnv({ BROKER_URL: 'redis://127.0.0.1:6379/0' })).toBe(
        'redis://127.0.0.1:6379/0',
      );
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});

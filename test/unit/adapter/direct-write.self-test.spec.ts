import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import {
  resolveDirectWrites,
  selfTestDirectWrites,
} from '../../../lib/adapter/direct-write.self-test.js';

/** A logger whose warnings are recorded. */
function recordingLogger() {
  const logger = new Logger('test');
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  return { logger, warn };
}

describe('selfTestDirectWrites', () => {
  it('passes on this Node, once per process', async () => {
    const first = selfTestDirectWrites();
    expect(selfTestDirectWrites()).toBe(first);
    expect(await first).toBeNull();
  });
});

describe('resolveDirectWrites', () => {
  it('keeps direct writes on, silently, when the self-test passes', async () => {
    const { logger, warn } = recordingLogger();
    expect(await resolveDirectWrites(true, async () => null, logger)).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it('turns them off with one warning saying why when the self-test finds a problem', async () => {
    const { logger, warn } = recordingLogger();
    const problem = async () => 'a socket has no native handle';
    expect(await resolveDirectWrites(true, problem, logger)).toBe(false);
    expect(warn.mock.calls).toEqual([
      [
        'Direct writes are off: a socket has no native handle. Deliveries go through the socket stream, as with directWrites: false.',
      ],
    ]);
  });

  it('turns them off when the self-test itself throws', async () => {
    const { logger, warn } = recordingLogger();
    const crash = async (): Promise<string | null> => {
      throw new TypeError("Cannot read properties of undefined (reading 'fd')");
    };
    expect(await resolveDirectWrites(true, crash, logger)).toBe(false);
    expect(warn.mock.calls).toEqual([
      [
        "Direct writes are off: Cannot read properties of undefined (reading 'fd'). Deliveries go through the socket stream, as with directWrites: false.",
      ],
    ]);
  });

  it('does not run the self-test when the option is off', async () => {
    const { logger, warn } = recordingLogger();
    const selfTest = jest.fn(async () => null);
    expect(await resolveDirectWrites(false, selfTest, logger)).toBe(false);
    expect(selfTest).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });
});

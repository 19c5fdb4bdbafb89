import { describe, expect, it } from '@jest/globals';
import { WebSocketGateway } from '@nestjs/websockets';
import { RuntimeOptions } from '../../../lib/distributed-ws.config.js';
import { Topic } from '../../../lib/index.js';
import { startTestApp } from '../../support/test-app.js';

describe('presence configuration', () => {
  it('has documented defaults', () => {
    expect(new RuntimeOptions({}).options).toMatchObject({
      presenceTtlMs: 15_000,
      maxPresenceInfoBytes: 1024,
      maxPresenceInfoBytesPerConnection: 16_384,
      maxPresenceAnswerMembers: 1000,
    });
  });

  it.each([
    [{ presenceTtlMs: 999 }, 'option "presenceTtlMs" must be at least 1000 (ms), got 999'],
    [{ presenceTtlMs: 1.5e3 + 0.5 }, 'option "presenceTtlMs" must be a positive integer'],
    [
      { maxPresenceInfoBytes: 0 },
      'option "maxPresenceInfoBytes" must be a positive integer, got 0.',
    ],
    [
      { maxPresenceInfoBytes: 2048, maxPresenceInfoBytesPerConnection: 2047 },
      'option "maxPresenceInfoBytesPerConnection" (2047) must be at least "maxPresenceInfoBytes" (2048): a single info of the largest size allowed would be refused.',
    ],
    [
      { maxPresenceAnswerMembers: 0 },
      'option "maxPresenceAnswerMembers" must be a positive integer, got 0.',
    ],
  ])('refuses %j at boot', (options, message) => {
    expect(() => new RuntimeOptions(options)).toThrow(message);
  });

  it('refuses a topic that tracks presence but that clients may not subscribe to', async () => {
    @WebSocketGateway({ path: '/ws' })
    @Topic('alerts/{id}', { presence: true, clientsMaySubscribe: false })
    class AlertsGateway {}
    await expect(startTestApp({}, { providers: [AlertsGateway] })).rejects.toThrow(
      "@Topic('alerts/{id}') on AlertsGateway tracks presence but sets clientsMaySubscribe: false, so nobody could ever be present. Remove one of the two.",
    );
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';
import { type TsProcess, spawnTs } from '../support/app-process.js';
import { WsTestClient } from '../support/ws-test-client.js';

/** `BROKER_URL=` as docker-compose files leave it: the sample boots on the embedded broker. */
describe('the sample with BROKER_URL set but empty', () => {
  let sample: TsProcess | undefined;

  afterAll(async () => {
    await sample?.kill();
  });

  it('boots on the embedded broker, says so, and serves WebSockets', async () => {
    sample = await spawnTs(
      'sample/main.ts',
      { PORT: '0', BROKER_URL: '' },
      /BROKER_URL is set but empty: using the embedded broker \(memory:\/\/\)[^]*Chat sample on http:\/\/localhost:(\d+) .*broker (\S+)\)/,
    );
    expect(sample.ready[2]).toBe('memory://');
    const client = await WsTestClient.connect(`ws://127.0.0.1:${sample.ready[1]}/ws`);
    try {
      expect(client.welcome.data.connectionId).toEqual(expect.any(String));
    } finally {
      client.close();
    }
  });
});

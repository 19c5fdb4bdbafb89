import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { WsTestClient } from '../support/ws-test-client.js';
import { countingFilterSeen, FilteredGateway } from './fixtures/filtered.gateway.js';

describe('exception filters of the application, bound to a gateway', () => {
  let app: TestApp;
  let client: WsTestClient;

  beforeAll(async () => {
    app = await startTestApp({}, { providers: [FilteredGateway] });
  });
  beforeEach(async () => {
    client = await app.connect();
  });
  afterEach(() => app.closeClients());
  afterAll(() => app.close());

  it("run first: the client gets the filter's own frame, and no ack or error for the id", async () => {
    client.sendRaw(JSON.stringify({ event: 'enter', id: 'e1' }));
    expect(await client.next((f) => f.event === 'room-closed')).toEqual({
      event: 'room-closed',
      data: { room: 'lobby' },
    });
    expect(await client.request('fine')).toEqual({ event: 'ack', id: 'r1', data: 'fine' });
    expect(client.frames.filter((f) => f.id === 'e1')).toEqual([]);
  });

  it("answer with the id when they defer to Nest's base filter, keeping the exception's details", async () => {
    const before = countingFilterSeen();
    expect(await client.request('bad-request')).toEqual({
      event: 'error',
      id: 'r1',
      data: { code: 'DWS_ERR_HTTP_EXCEPTION', message: 'Room name is required.', status: 400 },
    });
    expect(countingFilterSeen()).toBe(before + 1);
  });

  it('leave exceptions they do not catch to the error frame, internals hidden', async () => {
    expect(await client.request('crash')).toEqual({
      event: 'error',
      id: 'r1',
      data: { code: 'DWS_ERR_INTERNAL', message: 'Internal server error.' },
    });
    expect(client.frames.filter((f) => f.event === 'exception')).toEqual([]);
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { WsTestClient } from '../support/ws-test-client.js';
import {
  auditedErrors,
  authenticate,
  SecurityGateway,
  tokenFor,
} from './fixtures/security.gateway.js';

describe('security: guards, pipes and exception filters on gateway handlers', () => {
  let app: TestApp;
  const clients: WsTestClient[] = [];
  const as = async (userId: string, role = 'user') => {
    const token = await tokenFor(userId, { name: userId.toUpperCase(), role });
    const client = await WsTestClient.connect(app.url(), {
      headers: { authorization: `Bearer ${token}` },
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    app = await startTestApp({ authenticate }, { providers: [SecurityGateway] });
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(() => app.close());

  it('runs a guard that reads the principal', async () => {
    expect(await (await as('root', 'admin')).request('admin-only')).toEqual({
      event: 'ack',
      id: 'r1',
      data: 'welcome, admin',
    });
    expect(await (await as('bob')).request('admin-only')).toEqual({
      event: 'error',
      id: 'r1',
      data: { code: 'DWS_ERR_FORBIDDEN', message: 'Forbidden resource' },
    });
  });

  it('runs a pipe, its refusal answered with the id', async () => {
    const client = await as('bob');
    expect((await client.request('double', '21')).data).toBe(42);
    expect(await client.request('double', 'abc')).toEqual({
      event: 'error',
      id: 'r2',
      data: {
        code: 'DWS_ERR_HTTP_EXCEPTION',
        message: 'Validation failed (numeric string is expected)',
        status: 400,
      },
    });
  });

  it('lets a custom @Catch() filter answer in its own format, with no ack or error after it', async () => {
    const client = await as('bob');
    client.sendRaw(JSON.stringify({ event: 'quota', id: 'q1' }));
    expect(await client.next((f) => f.event === 'quota-exceeded')).toEqual({
      event: 'quota-exceeded',
      data: { limit: 3 },
    });
    await client.request('whoami');
    expect(client.frames.filter((f) => f.id === 'q1')).toEqual([]);
  });

  it('answers through a filter extending BaseWsExceptionFilter, without leaking internals', async () => {
    const client = await as('bob');
    expect(await client.request('audited')).toEqual({
      event: 'error',
      id: 'r1',
      data: { code: 'DWS_ERR_INTERNAL', message: 'Internal server error.' },
    });
    expect(auditedErrors).toContain('secret internals at /srv/app/db.ts:42');
  });

  it('answers a hook that crashes with a generic error: no message, no stack', async () => {
    const client = await as('bob');
    const error = await client.request('subscribe', { topic: 'fragile/1' });
    expect(error).toEqual({
      event: 'error',
      id: 'r1',
      data: { code: 'DWS_ERR_INTERNAL', message: 'Internal server error.' },
    });
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { Logger, UnauthorizedException, type LoggerService } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { Registry } from 'prom-client';
import type { DistributedWsOptions } from '../../lib/index.js';
import { freePort } from '../support/free-port.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

const OPS_TOKEN = 'Bearer ops-secret';
const opsOnly = (request: IncomingMessage) => request.headers.authorization === OPS_TOKEN;

/** Issue 17, item 9: `/metrics` and the AsyncAPI routes can be guarded or moved off the app's port. */
describe('operator routes (metrics, AsyncAPI)', () => {
  let app: TestApp | null = null;
  const start = async (options: DistributedWsOptions) => {
    app = await startTestApp(options, { providers: [FixtureGateway] });
    return app;
  };
  const get = async (port: number, path: string, authorization?: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: authorization ? { authorization } : {},
    });
    return { status: response.status, body: await response.text() };
  };

  afterEach(async () => {
    await app?.close();
    app = null;
  });

  it('answers 403 without the credentials a guard asks for, and serves with them', async () => {
    const { port } = await start({
      metrics: { registry: new Registry(), serve: { guard: opsOnly } },
      asyncapi: { serve: { guard: async (request) => opsOnly(request) } },
    });
    for (const path of ['/metrics', '/asyncapi.json', '/asyncapi.yaml']) {
      expect(await get(port, path)).toEqual({ status: 403, body: 'Forbidden' });
      expect(await get(port, path, 'Bearer guessed')).toEqual({ status: 403, body: 'Forbidden' });
      expect((await get(port, path, OPS_TOKEN)).status).toBe(200);
    }
    expect((await get(port, '/metrics', OPS_TOKEN)).body).toContain('\ndws_connections 0\n');
    const document = JSON.parse((await get(port, '/asyncapi.json', OPS_TOKEN)).body);
    expect(document.channels.chatRooms.address).toBe('chat/rooms/{roomId}');
  });

  it("answers a guard's HttpException with its status, and anything else it throws with 403", async () => {
    const { port } = await start({
      metrics: {
        registry: new Registry(),
        serve: {
          guard: (request) => {
            if (!request.headers.authorization) throw new UnauthorizedException();
            if (request.headers.authorization !== OPS_TOKEN) throw new Error('bad token');
            return true;
          },
        },
      },
    });
    expect(await get(port, '/metrics')).toEqual({ status: 401, body: 'Unauthorized' });
    expect(await get(port, '/metrics', 'Bearer forged')).toEqual({
      status: 403,
      body: 'Forbidden',
    });
    expect((await get(port, '/metrics', OPS_TOKEN)).status).toBe(200);
  });

  it('serves them on their own port only: 404 on the public one, closed with the app', async () => {
    const internal = await freePort();
    const serve = { port: internal, host: '127.0.0.1' };
    const { port } = await start({
      metrics: { registry: new Registry(), serve },
      asyncapi: { serve: { ...serve, path: '/docs/asyncapi' } },
    });
    for (const path of ['/metrics', '/docs/asyncapi.json']) {
      expect((await get(port, path)).status).toBe(404);
      expect((await get(internal, path)).status).toBe(200);
    }
    const scrape = await fetch(`http://127.0.0.1:${internal}/metrics`);
    expect(scrape.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await scrape.text()).toContain('\ndws_connections 0\n');
    expect(await get(internal, '/')).toEqual({ status: 404, body: 'Not Found' });
    const post = await fetch(`http://127.0.0.1:${internal}/metrics`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);

    await app!.close();
    app = null;
    await expect(fetch(`http://127.0.0.1:${internal}/metrics`)).rejects.toThrow('fetch failed');
  });

  it('answers a failing AsyncAPI build with a bare 500 and logs the reason on the server', async () => {
    const { port } = await start({
      asyncapi: {
        info: {
          get title(): string {
            throw new Error('cannot read /srv/app/config/secrets.json');
          },
        },
        serve: {},
      },
    });
    const logged: string[] = [];
    const capture: LoggerService = {
      log: () => undefined,
      warn: () => undefined,
      error: (message: unknown) => logged.push(String(message)),
    };
    Logger.overrideLogger(capture);
    try {
      for (const path of ['/asyncapi.json', '/asyncapi.yaml']) {
        expect(await get(port, path)).toEqual({ status: 500, body: 'Internal Server Error' });
      }
    } finally {
      Logger.overrideLogger(['error']);
    }
    expect(logged).toEqual([
      'AsyncAPI: cannot read /srv/app/config/secrets.json',
      'AsyncAPI: cannot read /srv/app/config/secrets.json',
    ]);
  });

  it('refuses a serve option that cannot work, at boot', async () => {
    await expect(start({ asyncapi: { serve: { port: 70_000 } } })).rejects.toThrow(
      'option "asyncapi": "serve.port" must be a port number (1-65535), got 70000.',
    );
    await expect(
      start({ metrics: { registry: new Registry(), serve: { guard: 'yes' as never } } }),
    ).rejects.toThrow(
      'option "metrics": "serve.guard" must be a function (request) => boolean | Promise<boolean>.',
    );
  });

  it('fails the boot when the internal port is taken', async () => {
    const taken = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(taken, '127.0.0.1', resolve));
    try {
      await expect(
        start({ metrics: { registry: new Registry(), serve: { port: taken, host: '127.0.0.1' } } }),
      ).rejects.toThrow(
        `Cannot serve the operator routes on port ${taken} of 127.0.0.1: EADDRINUSE. Give "serve.port" a free port.`,
      );
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});

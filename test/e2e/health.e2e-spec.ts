import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Registry } from 'prom-client';
import { DistributedWsHealthIndicator } from '../../lib/index.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';
import { FixtureGateway } from './fixtures/fixture.gateway.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly websockets: DistributedWsHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.websockets.isHealthy('websockets')]);
  }
}

async function get(app: TestApp, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${app.port}${path}`);
  return { status: response.status, body: await response.text() };
}

/** The health indicator through @nestjs/terminus, and `dws_broker_up`, while Redis goes and comes back. */
describe('backplane health', () => {
  let redis: RedisServer;
  let app: TestApp;

  beforeAll(async () => {
    redis = await startRedisServer();
    app = await startTestApp(
      {
        broker: redis.url,
        sessionSecret: 'health-e2e-secret-0123456789abcdef',
        metrics: { registry: new Registry(), serve: {} },
      },
      {
        imports: [TerminusModule.forRoot({ logger: false })],
        controllers: [HealthController],
        providers: [FixtureGateway],
      },
    );
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('is up with Redis, down (503) while Redis is gone, and up again once it is back', async () => {
    const client = await app.connect();
    await client.request('subscribe', { topic: 'chat/rooms/1' });
    // One message through the reader, so that the lag is known.
    const publishedAt = Date.now();
    await client.request('publish', { topic: 'chat/rooms/1', payload: { text: 'hi' } });
    await client.next((f) => f.event === 'message');
    const roundTrip = Date.now() - publishedAt;

    const up = await get(app, '/health');
    expect(up.status).toBe(200);
    const report = JSON.parse(up.body);
    expect(report.status).toBe('ok');
    expect(report.info.websockets).toMatchObject({ status: 'up', broker: 'redis', connections: 1 });
    expect(report.info.websockets.readerLagMs).toBeGreaterThanOrEqual(0);
    expect(report.info.websockets.readerLagMs).toBeLessThanOrEqual(roundTrip);
    expect((await get(app, '/metrics')).body).toContain('dws_broker_up{backplane="redis"} 1\n');

    await redis.kill('SIGKILL');
    const down = await waitFor(
      async () => {
        const answer = await get(app, '/health');
        return answer.status === 503 ? answer : null;
      },
      { timeout: 10_000, message: 'the health check to fail' },
    );
    expect(JSON.parse(down.body)).toEqual({
      status: 'error',
      info: {},
      error: {
        websockets: {
          status: 'down',
          broker: 'redis',
          connections: 1,
          readerLagMs: report.info.websockets.readerLagMs,
          message: 'The backplane is unreachable: publishes fail until it is back.',
        },
      },
      details: {
        websockets: expect.objectContaining({ status: 'down' }),
      },
    });
    expect((await get(app, '/metrics')).body).toContain('dws_broker_up{backplane="redis"} 0\n');

    await redis.restart();
    await waitFor(async () => (await get(app, '/health')).status === 200, {
      timeout: 15_000,
      message: 'the health check to pass again',
    });
    expect((await get(app, '/metrics')).body).toContain('dws_broker_up{backplane="redis"} 1\n');
  }, 40_000);
});

// One app instance as its own process, for multi-instance tests and benchmarks.
// Env: BROKER (URL), BROKER_CLUSTER ("host:port,host:port") or BROKER_SENTINELS ("host:port,…",
// master name in BROKER_SENTINEL_NAME, default mymaster), DWS_SESSION_SECRET, PORT (0 = any),
// LISTEN_BACKLOG (the accept queue's length; Node's default 511 when unset).
// Prints "DWS_READY <port>" once listening.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Broadcaster, DistributedWsModule } from '../../../lib/index.js';
import { FixtureGateway } from '../../e2e/fixtures/fixture.gateway.js';
import { ControlController } from './control.controller.js';

const addresses = (list: string) =>
  list.split(',').map((seed) => {
    const [host, port] = seed.split(':');
    return { host, port: Number(port) };
  });
const cluster = process.env.BROKER_CLUSTER ? addresses(process.env.BROKER_CLUSTER) : undefined;
const sentinels = process.env.BROKER_SENTINELS
  ? {
      sentinels: addresses(process.env.BROKER_SENTINELS),
      name: process.env.BROKER_SENTINEL_NAME ?? 'mymaster',
    }
  : undefined;

@Module({
  imports: [
    DistributedWsModule.forRoot({
      broker: cluster ? { cluster } : (sentinels ?? process.env.BROKER ?? 'memory://'),
      sessionSecret: process.env.DWS_SESSION_SECRET,
      ...(process.env.DWS_OPTIONS ? JSON.parse(process.env.DWS_OPTIONS) : {}),
    }),
  ],
  controllers: [ControlController],
  providers: [FixtureGateway],
})
class InstanceModule {}

const app = await NestFactory.create(InstanceModule, { logger: ['error', 'warn'] });
app.enableShutdownHooks();
servePlainPublish(app.getHttpServer(), app.get(Broadcaster));
const backlog = process.env.LISTEN_BACKLOG ? [Number(process.env.LISTEN_BACKLOG)] : [];
// Nest passes extra arguments on to `server.listen(port, host, backlog)`; its types stop at host.
const listen = app.listen.bind(app) as unknown as (
  port: number,
  ...rest: (string | number)[]
) => unknown;
await listen(Number(process.env.PORT ?? 0), '127.0.0.1', ...backlog);
const { port } = app.getHttpServer().address() as AddressInfo;
process.stdout.write(`DWS_READY ${port}\n`);

/**
 * `POST /publish {topic, payload}` answered by a plain `node:http` handler in front of Express,
 * as the other systems of bench/run.ts publish: an Express + Nest controller request costs about
 * 1.5 ms of CPU on the 2-core machine, which the benchmark would otherwise charge to delivery.
 */
function servePlainPublish(server: Server, broadcaster: Broadcaster): void {
  const [express] = server.listeners('request') as ((
    req: IncomingMessage,
    res: ServerResponse,
  ) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/publish') return express(req, res);
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const { topic, payload } = JSON.parse(body) as { topic: string; payload: unknown };
      broadcaster.publish(topic, payload).then(
        (offset) =>
          res.writeHead(200, { 'content-type': 'application/json' }).end(`{"offset":"${offset}"}`),
        (error: Error) => res.writeHead(500).end(error.message),
      );
    });
  });
}

// One app instance as its own process, for multi-instance tests and benchmarks.
// Env: BROKER (URL) or BROKER_CLUSTER ("host:port,host:port"), DWS_SESSION_SECRET, PORT (0 = any).
// Prints "DWS_READY <port>" once listening.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { DistributedWsModule } from '../../../lib/index.js';
import { FixtureGateway } from '../../e2e/fixtures/fixture.gateway.js';
import { ControlController } from './control.controller.js';

const cluster = process.env.BROKER_CLUSTER?.split(',').map((seed) => {
  const [host, port] = seed.split(':');
  return { host, port: Number(port) };
});

@Module({
  imports: [
    DistributedWsModule.forRoot({
      broker: cluster ? { cluster } : (process.env.BROKER ?? 'memory://'),
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
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
const { port } = app.getHttpServer().address() as AddressInfo;
process.stdout.write(`DWS_READY ${port}\n`);

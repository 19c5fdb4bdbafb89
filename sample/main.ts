import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';
import { DEFAULT_BROKER_URL } from './broker-url.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // SIGTERM closes connections with 1012 so clients resume on another instance.
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT ?? 3000));
  // The bound port, not the requested one: PORT=0 picks a free port (the tests use that).
  const { port } = app.getHttpServer().address() as AddressInfo;
  console.log(
    `Chat sample on http://localhost:${port} (WebSocket ws://localhost:${port}/ws, broker ${process.env.BROKER_URL?.trim() || DEFAULT_BROKER_URL})`,
  );
}

void bootstrap();

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // SIGTERM closes connections with 1012 so clients resume on another instance.
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port);
  console.log(
    `Chat sample on http://localhost:${port} (WebSocket ws://localhost:${port}/ws, broker ${process.env.BROKER_URL ?? 'memory://'})`,
  );
}

void bootstrap();

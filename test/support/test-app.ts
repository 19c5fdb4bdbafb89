import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { DistributedWsModule, type DistributedWsOptions } from '../../lib/index.js';

/** An app on port 0 with the module and the given gateways; `url` is its WebSocket address. */
export interface TestApp {
  app: INestApplication;
  port: number;
  url: (path?: string) => string;
  close: () => Promise<void>;
}

export async function startTestApp(
  options: DistributedWsOptions,
  metadata: ModuleMetadata = {},
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [DistributedWsModule.forRoot(options), ...(metadata.imports ?? [])],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return {
    app,
    port,
    url: (path = '/ws') => `ws://127.0.0.1:${port}${path}`,
    close: () => app.close(),
  };
}

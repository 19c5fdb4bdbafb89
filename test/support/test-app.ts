import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import type WebSocket from 'ws';
import { DistributedWsModule, type DistributedWsOptions } from '../../lib/index.js';
import { WsTestClient } from './ws-test-client.js';

/** An app on port 0 with the module and the given gateways; `url` is its WebSocket address. */
export interface TestApp {
  app: INestApplication;
  port: number;
  url: (path?: string) => string;
  /** A raw client on `/ws`, welcomed; closed by `closeClients()` or `close()`. */
  connect: (options?: WebSocket.ClientOptions) => Promise<WsTestClient>;
  /** Terminates every client `connect()` opened so far. */
  closeClients: () => void;
  /** Terminates the clients, then closes the app. */
  close: () => Promise<void>;
}

/** Serves HTTPS and `wss://` with this certificate; clients trust it as their `ca`. */
export interface TestAppTls {
  cert: string;
  key: string;
}

export async function startTestApp(
  options: DistributedWsOptions,
  metadata: ModuleMetadata = {},
  tls?: TestAppTls,
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [DistributedWsModule.forRoot(options), ...(metadata.imports ?? [])],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error'], httpsOptions: tls });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const url = (path = '/ws') => `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}${path}`;
  const clients: WsTestClient[] = [];
  const closeClients = () => clients.splice(0).forEach((client) => client.close());
  return {
    app,
    port,
    url,
    async connect(clientOptions) {
      const trust = tls ? { ca: tls.cert } : {};
      const client = await WsTestClient.connect(url(), { ...trust, ...clientOptions });
      clients.push(client);
      return client;
    },
    closeClients,
    close: () => {
      closeClients();
      return app.close();
    },
  };
}

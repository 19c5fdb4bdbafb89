import type { INestApplication } from '@nestjs/common';
import { normalizePath } from '@nestjs/common/utils/shared.utils.js';
import {
  connect,
  type DistributedWsClient,
  type DistributedWsClientOptions,
  type EventMap,
  type TopicMap,
} from '../client/index.js';
import { within } from './deadline.js';
import type { GatewayEndpoint } from './gateway-endpoints.js';
import { TestingGatewayError } from './testing-gateway.error.js';
import type { TestingClientOptions, TestingGateway } from './testing-gateway.interface.js';
import { type ClientSockets, socketsClosed, trackClientSockets } from './tracked-sockets.js';

/** The {@link TestingGateway} `createTestingGateway` returns, once the app listens. */
export class RunningGateway<
  Topics extends TopicMap,
  Events extends EventMap,
> implements TestingGateway<Topics, Events> {
  private readonly clients: {
    client: DistributedWsClient<any, any>;
    sockets: ClientSockets | null;
  }[] = [];
  private closing: Promise<void> | null = null;

  constructor(
    readonly app: INestApplication,
    readonly port: number,
    private readonly endpoints: GatewayEndpoint[],
    private readonly clientDefaults: Partial<DistributedWsClientOptions>,
    private readonly timeoutMs: number,
  ) {}

  get paths(): readonly string[] {
    return this.endpoints.map((endpoint) => endpoint.path);
  }

  get url(): string {
    if (this.endpoints.length > 1) {
      throw new TestingGatewayError(
        `The app's gateways use several paths (${this.paths.join(', ')}): use urlOf(path) or connect({ path }).`,
      );
    }
    return this.urlOf(this.endpoints[0].path);
  }

  urlOf(path: string): string {
    const endpoint = this.endpoints.find((e) => e.path === normalizePath(path));
    if (!endpoint) {
      throw new TestingGatewayError(
        `No gateway uses the path "${path}"; the app's gateways use ${this.paths.join(', ')}.`,
      );
    }
    return `ws://127.0.0.1:${endpoint.port || this.port}${endpoint.path}`;
  }

  async connect<T extends TopicMap = Topics, E extends EventMap = Events>(
    options: TestingClientOptions = {},
  ): Promise<DistributedWsClient<T, E>> {
    if (this.closing) throw new TestingGatewayError('connect() after close().');
    const { path, timeoutMs, ...sdkOptions } = { ...this.clientDefaults, ...options };
    const url = sdkOptions.url ?? (path === undefined ? this.url : this.urlOf(path));
    const sockets = sdkOptions.WebSocket ? null : trackClientSockets();
    const client = connect<T, E>({
      ...sdkOptions,
      url,
      WebSocket: sdkOptions.WebSocket ?? sockets!.WebSocket,
    });
    this.clients.push({ client, sockets });
    try {
      await connected(client, String(url), sockets, timeoutMs ?? this.timeoutMs);
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    for (const { client } of this.clients) client.close();
    const sockets = this.clients.flatMap(({ sockets }) => [...(sockets?.sockets ?? [])]);
    await socketsClosed(sockets, this.timeoutMs);
    await this.app.close();
  }
}

function connected(
  client: DistributedWsClient<any, any>,
  url: string,
  sockets: ClientSockets | null,
  timeoutMs: number,
): Promise<void> {
  return within(
    timeoutMs,
    (ms) => {
      const cause = sockets?.lastError ? `; last socket error: ${sockets.lastError}` : '';
      return `The client did not connect to ${url} within ${ms} ms (state: ${client.state}${cause}).`;
    },
    ({ resolve, reject }) => {
      const offConnected = client.on('connected', () => resolve());
      const offDisconnected = client.on('disconnected', ({ code, reason, willReconnect }) => {
        if (willReconnect) return;
        const why = reason ? `${code} ${reason}` : String(code);
        reject(
          new TestingGatewayError(
            `The server closed the client's connection to ${url} for good (${why}) before it was ready.`,
          ),
        );
      });
      return () => {
        offConnected();
        offDisconnected();
      };
    },
  );
}

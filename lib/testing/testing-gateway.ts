import type {
  INestApplication,
  ModuleMetadata,
  NestApplicationOptions,
  Type,
} from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { normalizePath } from '@nestjs/common/utils/shared.utils.js';
import type { AddressInfo } from 'node:net';
import {
  connect,
  type DistributedWsClient,
  type DistributedWsClientOptions,
  type TopicMap,
} from '../client/index.js';
import { type WaitOptions, checkedTimeout, within } from './deadline.js';
import { type GatewayEndpoint, gatewayEndpoints } from './gateway-endpoints.js';
import { TestingGatewayError } from './testing-gateway.error.js';
import { type ClientSockets, socketsClosed, trackClientSockets } from './tracked-sockets.js';

/** The SDK's default `Events`: any event, untyped data and reply. */
type UntypedEvents = Record<string, { request: unknown; reply: unknown }>;

/** What to compile: your application module, or a testing module's metadata. */
export type TestingModuleSource = Type<unknown> | ModuleMetadata;

/** Options of {@link createTestingGateway}. */
export interface TestingGatewayOptions extends WaitOptions {
  /**
   * Changes the testing module before it is compiled: `overrideProvider`, `overrideGuard`,
   * `overrideModule`… Return the builder.
   * @default no overrides
   */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /**
   * Runs once the app is created, before it listens: global pipes, filters, interceptors.
   * @default nothing
   */
  configure?: (app: INestApplication) => void | Promise<void>;
  /**
   * The app's logger.
   * @default ['error', 'warn']
   */
  logger?: NestApplicationOptions['logger'];
  /**
   * Options every `connect()` starts from (a `token` provider, shorter reconnect delays…).
   * @default the SDK's defaults, with `ws` as the `WebSocket` class
   */
  client?: Partial<DistributedWsClientOptions>;
}

/** Options of {@link TestingGateway.connect}: the SDK's, all optional, and where to connect. */
export interface TestingClientOptions extends Partial<DistributedWsClientOptions>, WaitOptions {
  /**
   * The gateway path to connect to; ignored when `url` is given.
   * @default the app's only gateway path
   */
  path?: string;
}

/** A running app and the clients connected to it. See {@link createTestingGateway}. */
export interface TestingGateway<
  Topics extends TopicMap = Record<string, unknown>,
  Events extends object = UntypedEvents,
> {
  /** The application, listening: `app.get(Broadcaster)`, `app.getHttpServer()`… */
  readonly app: INestApplication;
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** The paths of its gateways, sorted: `['/ws']` for the sample. */
  readonly paths: readonly string[];
  /**
   * The WebSocket URL of the app's only gateway path: `ws://127.0.0.1:<port>/ws`.
   * @throws TestingGatewayError when the gateways use several paths: use `urlOf(path)`.
   */
  readonly url: string;
  /**
   * The WebSocket URL of one gateway path, written as in `@WebSocketGateway({ path })` or not
   * (`'greet/'` and `'/greet'` are the same path).
   * @throws TestingGatewayError for a path no gateway uses.
   */
  urlOf(path: string): string;
  /**
   * A client of the SDK, resolved once connected (its `welcome` arrived and `connected` was
   * emitted). `close()` closes it.
   * @throws TestingTimeoutError (rejects) when it is not connected within `timeoutMs`; the message
   *   gives the last socket error (`Unexpected server response: 401` for a refused token).
   * @throws TestingGatewayError (rejects) when the server closes it for good before that (e.g.
   *   1008 with `authFailure: 'close'`).
   */
  connect<T extends TopicMap = Topics, E extends object = Events>(
    options?: TestingClientOptions,
  ): Promise<DistributedWsClient<T, E>>;
  /**
   * Closes every client `connect()` made, waits for their sockets to close, then closes the app.
   * Call it in `afterEach`/`afterAll`: after it, nothing it started keeps the process alive.
   * Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * Starts your application for a test: compiles a `@nestjs/testing` module, creates the app (the
 * module's `DistributedWsModule` installs its adapter) and listens on a free port of 127.0.0.1.
 * Clients come from `connect()`, already connected.
 *
 * @param source your module (`AppModule`), or testing module metadata (`{ imports, providers }`).
 * @typeParam Topics - payload types by topic for the clients (see the SDK's `TopicMap`), such as
 *   the `TopicMap` that `dws-asyncapi --types` generates.
 * @typeParam Events - request and reply types by gateway event, for `client.call` (the generated
 *   `EventMap`).
 * @throws TestingGatewayError (rejects) when the module does not import `DistributedWsModule` or
 *   declares no `@WebSocketGateway()`; the app is closed first.
 * @example
 * const gateway = await createTestingGateway<TopicMap, EventMap>(AppModule);
 * const [alice, bob] = await Promise.all([gateway.connect(), gateway.connect()]);
 * const lobby = await recordMessages(bob, 'chat/rooms/lobby');
 * await alice.publish('chat/rooms/lobby', { text: 'hi' });
 * expect((await lobby.next()).payload.text).toBe('hi');
 * await gateway.close();
 */
export async function createTestingGateway<
  Topics extends TopicMap = Record<string, unknown>,
  Events extends object = UntypedEvents,
>(
  source: TestingModuleSource,
  options: TestingGatewayOptions = {},
): Promise<TestingGateway<Topics, Events>> {
  const timeoutMs = checkedTimeout(options.timeoutMs);
  const metadata = typeof source === 'function' ? { imports: [source] } : source;
  const builder = Test.createTestingModule(metadata);
  const moduleRef = await (options.override ? options.override(builder) : builder).compile();
  const app = moduleRef.createNestApplication({ logger: options.logger ?? ['error', 'warn'] });
  let endpoints: GatewayEndpoint[];
  try {
    endpoints = gatewayEndpoints(app);
    await options.configure?.(app);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close();
    throw error;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return new RunningGateway<Topics, Events>(app, port, endpoints, options.client ?? {}, timeoutMs);
}

class RunningGateway<Topics extends TopicMap, Events extends object> implements TestingGateway<
  Topics,
  Events
> {
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

  async connect<T extends TopicMap = Topics, E extends object = Events>(
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

import type {
  INestApplication,
  ModuleMetadata,
  NestApplicationOptions,
  Type,
} from '@nestjs/common';
import type { TestingModuleBuilder } from '@nestjs/testing';
import type {
  DistributedWsClient,
  DistributedWsClientOptions,
  EventMap,
  TopicMap,
  UntypedEvents,
} from '../client/index.js';
import type { WaitOptions } from './deadline.js';

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
  Events extends EventMap = UntypedEvents,
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
  connect<T extends TopicMap = Topics, E extends EventMap = Events>(
    options?: TestingClientOptions,
  ): Promise<DistributedWsClient<T, E>>;
  /**
   * Closes every client `connect()` made, waits for their sockets to close, then closes the app.
   * Call it in `afterEach`/`afterAll`: after it, nothing it started keeps the process alive.
   * Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

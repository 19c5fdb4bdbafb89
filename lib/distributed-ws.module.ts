import { Inject, Module } from '@nestjs/common';
import {
  APP_INTERCEPTOR,
  ApplicationConfig,
  DiscoveryModule,
  HttpAdapterHost,
  ModuleRef,
} from '@nestjs/core';
import { ConnectionRegistry } from './adapter/connection-registry.js';
import { DistributedWsAdapter } from './adapter/distributed-ws.adapter.js';
import { GatewayExceptionInterceptor } from './adapter/gateway-exception.interceptor.js';
import {
  type DirectWriteSelfTest,
  resolveDirectWrites,
  selfTestDirectWrites,
} from './adapter/direct-write.self-test.js';
import { ReservedEventsHandler } from './adapter/reserved-events.handler.js';
import { ResumeHandler } from './adapter/resume.handler.js';
import { RuntimeOptions } from './distributed-ws.config.js';
import { AsyncApiServing } from './asyncapi/asyncapi.serving.js';
import { Broadcaster } from './broadcaster/broadcaster.service.js';
import type { Broker } from './broker/broker.interface.js';
import { createBroker } from './broker/broker.factory.js';
import { InMemoryBroker } from './broker/in-memory/in-memory.broker.js';
import { ReplayReads } from './broker/replay-reads.js';
import { ReplayWindow } from './broker/replay-window.js';
import {
  DWS_BROKER,
  DWS_DIRECT_WRITE_SELF_TEST,
  DWS_DIRECT_WRITES,
} from './distributed-ws.constants.js';
import { DistributedWsLifecycle } from './distributed-ws.lifecycle.js';
import { ConfigurableModuleClass, DWS_OPTIONS } from './distributed-ws.module-definition.js';
import type { DistributedWsOptions } from './distributed-ws.options.js';
import { isDocsOnlyMode } from './docs-mode.js';
import { DistributedWsExplorer } from './explorer/distributed-ws.explorer.js';
import { GatewayMetadataAccessor } from './explorer/gateway-metadata.accessor.js';
import { TopicPolicy } from './explorer/topic-policy.js';
import { TopicRegistry } from './explorer/topic-registry.js';
import { PresenceTracker } from './presence/presence.tracker.js';
import { DWS_PRESENCE_STORE } from './presence/presence-store.interface.js';
import { createPresenceStore } from './presence/presence-store.factory.js';
import { DistributedWsHealthIndicator } from './health/distributed-ws.health-indicator.js';
import { createMetrics, type MetricsHandle } from './metrics/metrics.factory.js';
import { DWS_CONNECTION_STATS, DWS_METRICS, type DwsMetrics } from './metrics/metrics.interface.js';
import { DWS_METRICS_HANDLE, MetricsServing } from './metrics/metrics.serving.js';
import { ReaderLag } from './metrics/reader-lag.js';
import { OperatorRoutes } from './security/operator-routes.js';
import { SessionTokens } from './security/session-token.js';

/**
 * WebSockets across instances. Importing it is enough: it installs its adapter on the app
 * (before gateways are bound), explores `@Topic()` declarations and connects the backplane.
 *
 * @example
 * ```ts
 * @Module({ imports: [DistributedWsModule.forRoot({ broker: process.env.BROKER_URL ?? 'memory://' })] })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: RuntimeOptions,
      // Docs-only mode drops the broker, so that the embedded one stands in for Redis.
      useFactory: (options: DistributedWsOptions) =>
        new RuntimeOptions(isDocsOnlyMode() ? { ...options, broker: undefined } : options),
      inject: [DWS_OPTIONS],
    },
    {
      provide: DWS_BROKER,
      useFactory: ({ options }: RuntimeOptions) =>
        createBroker(options.broker, {
          shards: options.shards,
          retentionMs: options.retentionMs,
          keyPrefix: options.keyPrefix,
          publishReplicas: options.publishReplicas,
          publishReplicasTimeoutMs: options.publishReplicasTimeoutMs,
        }),
      inject: [RuntimeOptions],
    },
    {
      provide: ReplayWindow,
      // The embedded broker keeps its log in memory already: a window would hold it twice.
      useFactory: ({ options }: RuntimeOptions, broker: Broker) =>
        new ReplayWindow(
          broker.shards,
          broker instanceof InMemoryBroker ? 0 : options.replayCacheBytes,
          options.retentionMs,
        ),
      inject: [RuntimeOptions, DWS_BROKER],
    },
    {
      provide: ReplayReads,
      useFactory: (broker: Broker, window: ReplayWindow) => new ReplayReads(broker, window),
      inject: [DWS_BROKER, ReplayWindow],
    },
    {
      provide: SessionTokens,
      useFactory: ({ options }: RuntimeOptions) =>
        new SessionTokens(options.sessionSecret, options.sessionTtlMs),
      inject: [RuntimeOptions],
    },
    { provide: DWS_DIRECT_WRITE_SELF_TEST, useValue: selfTestDirectWrites },
    {
      provide: DWS_DIRECT_WRITES,
      // Docs-only mode (the AsyncAPI CLI) opens no socket, not even the loopback probe.
      useFactory: ({ options }: RuntimeOptions, selfTest: DirectWriteSelfTest) =>
        resolveDirectWrites(options.directWrites && !isDocsOnlyMode(), selfTest),
      inject: [RuntimeOptions, DWS_DIRECT_WRITE_SELF_TEST],
    },
    // Handler exceptions answered with the frame's id (gateway-socket.ts explains why).
    { provide: APP_INTERCEPTOR, useClass: GatewayExceptionInterceptor },
    TopicRegistry,
    {
      provide: TopicPolicy,
      useFactory: (topics: TopicRegistry, { options }: RuntimeOptions) =>
        new TopicPolicy(topics, options),
      inject: [TopicRegistry, RuntimeOptions],
    },
    GatewayMetadataAccessor,
    DistributedWsExplorer,
    ConnectionRegistry,
    { provide: DWS_CONNECTION_STATS, useExisting: ConnectionRegistry },
    ReservedEventsHandler,
    ResumeHandler,
    {
      provide: DWS_PRESENCE_STORE,
      useFactory: ({ options }: RuntimeOptions, broker: Broker) =>
        createPresenceStore(broker, { ttlMs: options.presenceTtlMs }),
      inject: [RuntimeOptions, DWS_BROKER],
    },
    PresenceTracker,
    Broadcaster,
    DistributedWsLifecycle,
    OperatorRoutes,
    AsyncApiServing,
    ReaderLag,
    {
      provide: DWS_METRICS_HANDLE,
      useFactory: (
        runtime: RuntimeOptions,
        broker: Broker,
        connections: ConnectionRegistry,
        lag: ReaderLag,
        replayWindow: ReplayWindow,
        replayReads: ReplayReads,
        modules: ModuleRef,
      ) =>
        createMetrics(isDocsOnlyMode() ? false : runtime.options.metrics, {
          broker,
          connections,
          lag,
          replayWindow,
          replayReads,
          // The resume handler reports to the metrics: its queue and frame cache are looked up
          // when scraped.
          admission: () => modules.get(ResumeHandler).admission,
          replayFrameBytes: () => modules.get(ResumeHandler).frames.bytes,
        }),
      inject: [
        RuntimeOptions,
        DWS_BROKER,
        ConnectionRegistry,
        ReaderLag,
        ReplayWindow,
        ReplayReads,
        ModuleRef,
      ],
    },
    {
      provide: DWS_METRICS,
      useFactory: (handle: MetricsHandle) => handle.metrics,
      inject: [DWS_METRICS_HANDLE],
    },
    MetricsServing,
    DistributedWsHealthIndicator,
  ],
  exports: [Broadcaster, TopicRegistry, DWS_BROKER, DistributedWsHealthIndicator],
})
export class DistributedWsModule extends ConfigurableModuleClass {
  // Gateways are bound during app.init(), before any lifecycle hook runs, so the adapter is
  // installed here, when the module is instantiated (NestFactory.create / compile()).
  constructor(
    config: ApplicationConfig,
    httpHost: HttpAdapterHost,
    runtime: RuntimeOptions,
    tokens: SessionTokens,
    connections: ConnectionRegistry,
    reserved: ReservedEventsHandler,
    resume: ResumeHandler,
    topics: TopicRegistry,
    @Inject(DWS_BROKER) broker: Broker,
    @Inject(DWS_METRICS) metrics: DwsMetrics,
    @Inject(DWS_DIRECT_WRITES) directWrites: boolean,
  ) {
    super();
    if (isDocsOnlyMode()) return;
    config.setIoAdapter(
      new DistributedWsAdapter({
        getHttpServer: () => httpHost.httpAdapter?.getHttpServer(),
        runtime,
        tokens,
        connections,
        reserved,
        resume,
        topics,
        broker,
        metrics,
        directWrites,
      }),
    );
  }
}

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { RuntimeOptions } from '../distributed-ws.config.js';
import { isDocsOnlyMode } from '../docs-mode.js';
import { DEFAULT_METRICS_PATH } from '../metrics.options.js';
import { OperatorRoutes } from '../security/operator-routes.js';
import type { MetricsHandle } from './metrics.factory.js';

/** DI token of the {@link MetricsHandle} (internal: the module's own providers use it). */
export const DWS_METRICS_HANDLE = Symbol('dws:metrics-handle');

/**
 * Answers Prometheus scrapes at `metrics.serve.path` (on the app's server or `serve.port`, behind
 * `serve.guard`: operator-routes.ts) and takes the metrics out of their registry when the app
 * shuts down. A collect callback of another library in a shared registry may throw: that is
 * logged and answered with a bare 500.
 */
@Injectable()
export class MetricsServing implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(DWS_METRICS_HANDLE) private readonly handle: MetricsHandle,
    private readonly runtime: RuntimeOptions,
    private readonly routes: OperatorRoutes,
  ) {}

  onModuleInit(): void {
    const { metrics } = this.runtime.options;
    const registry = this.handle.registry;
    if (!metrics || !metrics.serve || !registry || isDocsOnlyMode()) return;
    const { serve } = metrics;
    this.routes.get(serve, serve.path ?? DEFAULT_METRICS_PATH, 'Metrics', async () => ({
      status: 200,
      type: registry.contentType,
      body: await registry.metrics(),
    }));
  }

  onApplicationShutdown(): void {
    this.handle.release();
  }
}

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RuntimeOptions } from '../distributed-ws.config.js';
import { isDocsOnlyMode } from '../docs-mode.js';
import type { MetricsHandle } from './metrics.factory.js';
import { DEFAULT_METRICS_PATH } from '../metrics.options.js';

/** DI token of the {@link MetricsHandle} (internal: the module's own providers use it). */
export const DWS_METRICS_HANDLE = Symbol('dws:metrics-handle');

/**
 * Answers Prometheus scrapes at `metrics.serve.path` and takes the metrics out of their registry
 * when the app shuts down. The route goes straight onto the HTTP adapter in `onModuleInit`, as
 * the AsyncAPI document's does (asyncapi.serving.ts): no controller, Express or Fastify alike.
 */
@Injectable()
export class MetricsServing implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('DistributedWs');

  constructor(
    @Inject(DWS_METRICS_HANDLE) private readonly handle: MetricsHandle,
    private readonly runtime: RuntimeOptions,
    private readonly httpHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const { metrics } = this.runtime.options;
    const registry = this.handle.registry;
    const adapter = this.httpHost?.httpAdapter;
    if (!metrics || !metrics.serve || !registry || !adapter || isDocsOnlyMode()) return;
    const path = metrics.serve.path ?? DEFAULT_METRICS_PATH;
    adapter.get(path, async (_request: unknown, response: unknown) => {
      try {
        const body = await registry.metrics();
        adapter.setHeader(response, 'Content-Type', registry.contentType);
        adapter.setHeader(response, 'Cache-Control', 'no-store');
        return adapter.reply(response, body, 200);
      } catch (error) {
        // A collect callback of another library in a shared registry may throw.
        this.logger.error(`Metrics: ${(error as Error).message}`);
        adapter.setHeader(response, 'Content-Type', 'text/plain; charset=utf-8');
        return adapter.reply(response, 'metrics collection failed', 500);
      }
    });
  }

  onApplicationShutdown(): void {
    this.handle.release();
  }
}

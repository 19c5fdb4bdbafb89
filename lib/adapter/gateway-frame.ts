import { AsyncLocalStorage } from 'node:async_hooks';
import type { DwsMetrics } from '../metrics/metrics.interface.js';
import type { FrameId } from '../protocol/frames.js';
import type { Connection } from './connection.js';

/** The client frame a gateway handler is running for (gateway-dispatch.ts). */
export interface GatewayFrame {
  readonly connection: Connection;
  readonly id: FrameId | undefined;
  /** Guards passed: the module's interceptor was reached (gateway-exception.interceptor.ts). */
  admitted: boolean;
  /** An exception was thrown for the frame and Nest's exception layer answered: no `ack`. */
  failed: boolean;
  /** What the handler, a pipe or an interceptor threw, as the module's interceptor saw it. */
  exception?: unknown;
  /** Counts the error frame sent for the exception. */
  readonly metrics: DwsMetrics;
}

/**
 * Carries the frame through Nest's handler pipeline (guards, interceptors, pipes, filters), so
 * that the interceptor and the socket can tell which frame an exception belongs to.
 */
export const gatewayFrame = new AsyncLocalStorage<GatewayFrame>();

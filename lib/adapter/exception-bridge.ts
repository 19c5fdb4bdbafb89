import { AsyncLocalStorage } from 'node:async_hooks';
import { BaseWsExceptionFilter } from '@nestjs/websockets';
import { WsExceptionsHandler } from '@nestjs/websockets/exceptions/ws-exceptions-handler.js';
import type { DwsMetrics } from '../metrics/metrics.interface.js';
import type { FrameId } from '../protocol/frames.js';
import type { Connection } from './connection.js';
import { errorFrameFor } from './exception-mapper.js';

/** The client frame a gateway handler is running for. */
export interface FrameContext {
  readonly connection: Connection;
  readonly id: FrameId | undefined;
  /** Set when Nest's exception layer took over: no `ack` must follow. */
  failed: boolean;
  /** Counts the error frame sent for the exception. */
  readonly metrics: DwsMetrics;
}

/** Carries the frame through the handler's async work to Nest's exception layer. */
export const frameContext = new AsyncLocalStorage<FrameContext>();

let installed = false;

/**
 * Nest's ws exception layer replies `{"event":"exception"}` without the client's id and hides
 * `HttpException`s (nestjs/nest#11433). For frames dispatched by this adapter — and only those,
 * found through `frameContext` — the exception becomes our `error` frame with the frame's id.
 * Custom `@Catch()` filters still run first; those extending `BaseWsExceptionFilter` that call
 * `super.catch()` land here too. Other adapters in the process are untouched.
 */
export function installExceptionBridge(): void {
  if (installed) return;
  installed = true;
  const handler = WsExceptionsHandler.prototype as any;
  const handle = handler.handle;
  handler.handle = function (this: unknown, exception: unknown, host: any) {
    const context = frameContext.getStore();
    if (context && host.switchToWs().getClient() === context.connection.ws) context.failed = true;
    return handle.call(this, exception, host);
  };
  const base = BaseWsExceptionFilter.prototype as any;
  const handleError = base.handleError;
  base.handleError = function (this: unknown, client: unknown, exception: unknown, cause: unknown) {
    const context = frameContext.getStore();
    if (context && client === context.connection.ws) {
      context.connection.send(errorFrameFor(exception, context.id, context.metrics));
      return;
    }
    return handleError.call(this, client, exception, cause);
  };
}

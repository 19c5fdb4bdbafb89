import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { gatewayFrame } from './gateway-frame.js';

/**
 * Registered globally by the module (global interceptors apply to gateways; global filters do
 * not). For a frame this library's adapter dispatched, it notes that guards let it through and
 * records what the handler, a pipe or an inner interceptor threw, then rethrows it: Nest's
 * exception filters (the application's first) still decide what is sent. Other contexts pass
 * through untouched.
 */
@Injectable()
export class GatewayExceptionInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const frame = gatewayFrame.getStore();
    if (
      frame === undefined ||
      context.getType() !== 'ws' ||
      context.switchToWs().getClient() !== frame.connection.ws
    ) {
      return next.handle();
    }
    frame.admitted = true;
    return next.handle().pipe(
      catchError((error: unknown) => {
        frame.failed = true;
        frame.exception = error;
        return throwError(() => error);
      }),
    );
  }
}

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { connectionOf } from './connection-info.js';

/**
 * Injects what `authenticate` returned for the connection the frame came on (null for an
 * anonymous one) into a `@SubscribeMessage()` handler; with a key, that property only.
 * Works beside `@MessageBody()` and `@ConnectedSocket()`, and after guards and pipes.
 *
 * @example
 * ```ts
 * @SubscribeMessage('whoami')
 * whoami(@Principal() me: { userId: string; name: string } | null) {
 *   return me;
 * }
 * @SubscribeMessage('rename')
 * rename(@Principal('userId') userId: string, @MessageBody() body: { name: string }) {}
 * ```
 */
export const Principal = createParamDecorator(
  (key: string | undefined, context: ExecutionContext) => {
    const principal = connectionOf(context.switchToWs().getClient())?.principal as
      Record<string, unknown> | null | undefined;
    if (principal === null || principal === undefined) return null;
    return key === undefined ? principal : principal[key];
  },
);

import { EVENT_METADATA } from '../distributed-ws.constants.js';
import type { EventOptions } from './topic-options.interface.js';

/**
 * Documents (and validates) a `@SubscribeMessage()` handler: the schema of the client's `data`
 * is checked before the handler runs (`DWS_ERR_INVALID_PAYLOAD` otherwise), and both schemas
 * appear in the AsyncAPI document as the event and its reply.
 *
 * @example
 * ```ts
 * @SubscribeMessage('history')
 * @DescribeEvent({ payload: { type: 'object', properties: { roomId: { type: 'string' } } }, reply: { type: 'array' } })
 * history(@MessageBody() body: { roomId: string }) { … }
 * ```
 */
export function DescribeEvent(options: EventOptions): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(EVENT_METADATA, options, descriptor.value as object);
    return descriptor;
  };
}

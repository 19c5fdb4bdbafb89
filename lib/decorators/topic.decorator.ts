import { TOPICS_METADATA } from '../distributed-ws.constants.js';
import type { TopicOptions } from './topic-options.interface.js';

/** What `@Topic()` stores on the class; the explorer parses and validates it at boot. */
export interface TopicMetadata {
  template: string;
  options: TopicOptions;
}

/**
 * Declares a topic on a gateway class. The declaration drives validation, authorization
 * (with `@OnSubscribe` / `@OnPublish` hooks of the same class) and the AsyncAPI document.
 * Repeat it for several topics.
 *
 * @param template levels separated by `/`, parameters as whole levels: `chat/rooms/{roomId}`.
 *   Checked at boot: an invalid template stops the app with a message saying what to fix.
 * @example
 * ```ts
 * @WebSocketGateway({ path: '/ws' })
 * @Topic('chat/rooms/{roomId}', { payload: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } }, clientsMayPublish: true })
 * export class ChatGateway {}
 * ```
 */
export function Topic(template: string, options: TopicOptions = {}): ClassDecorator {
  return (target) => {
    const existing: TopicMetadata[] = Reflect.getOwnMetadata(TOPICS_METADATA, target) ?? [];
    // Decorators apply bottom-up; unshift keeps the declarations in source order.
    Reflect.defineMetadata(TOPICS_METADATA, [{ template, options }, ...existing], target);
  };
}

import { TOPIC_HOOK_METADATA } from '../distributed-ws.constants.js';

export type TopicHookKind = 'subscribe' | 'publish';

export interface TopicHookMetadata {
  kind: TopicHookKind;
  /** The template the hook applies to; undefined = every topic declared on the class. */
  template?: string;
}

function hook(kind: TopicHookKind, template?: string): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(TOPIC_HOOK_METADATA, { kind, template }, descriptor.value as object);
    return descriptor;
  };
}

/**
 * Marks a gateway method that authorizes subscriptions. It receives a `SubscribeContext`
 * and returns (or resolves) `false` to deny (`DWS_ERR_FORBIDDEN`), anything else to allow;
 * a thrown `WsException`/`HttpException` is answered as an `error` frame. It runs again for
 * every subscription restored by `resume`.
 *
 * @param template the declared template it guards; omitted: all topics of the class.
 * @example
 * ```ts
 * @OnSubscribe('chat/rooms/{roomId}')
 * canJoin(ctx: SubscribeContext) { return ctx.params.roomId !== 'staff' || ctx.principal?.role === 'staff'; }
 * ```
 */
export function OnSubscribe(template?: string): MethodDecorator {
  return hook('subscribe', template);
}

/**
 * Marks a gateway method that intercepts client publishes after validation. It receives a
 * `PublishContext` and returns the payload to publish (transform), `undefined` to publish it
 * unchanged, or `false` to refuse (`DWS_ERR_FORBIDDEN`); a thrown exception is answered as an
 * `error` frame and nothing is published.
 *
 * @example
 * ```ts
 * @OnPublish('chat/rooms/{roomId}')
 * stamp(ctx: PublishContext<{ text: string }>) { return { ...ctx.payload, at: Date.now() }; }
 * ```
 */
export function OnPublish(template?: string): MethodDecorator {
  return hook('publish', template);
}

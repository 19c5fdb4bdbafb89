import { Injectable, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  GATEWAY_METADATA,
  GATEWAY_OPTIONS,
  MESSAGE_MAPPING_METADATA,
  MESSAGE_METADATA,
} from '@nestjs/websockets/constants.js';
import type { TopicHookMetadata } from '../decorators/topic-hooks.decorator.js';
import type { EventOptions } from '../decorators/topic-options.interface.js';
import type { TopicMetadata } from '../decorators/topic.decorator.js';
import {
  EVENT_METADATA,
  TOPIC_HOOK_METADATA,
  TOPICS_METADATA,
} from '../distributed-ws.constants.js';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Method = Function;

/**
 * Reads what the explorer needs from classes and methods: this library's decorators and
 * `@nestjs/websockets`' own (with the keys it exports, so a renamed key fails to compile
 * instead of silently finding nothing). Only reads; nothing is written.
 */
@Injectable()
export class GatewayMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  /** True for a class decorated with `@WebSocketGateway()`. */
  isGateway(target: Type): boolean {
    return this.reflector.get(GATEWAY_METADATA, target) !== undefined;
  }

  /** The gateway's `path` option; `/` when it sets none. */
  gatewayPath(target: Type): string {
    return this.reflector.get<{ path?: string } | undefined>(GATEWAY_OPTIONS, target)?.path ?? '/';
  }

  /** The class's `@Topic()` declarations, or undefined when it has none. */
  topics(target: Type): TopicMetadata[] | undefined {
    return this.reflector.get<TopicMetadata[] | undefined>(TOPICS_METADATA, target);
  }

  /** What `@OnSubscribe()` / `@OnPublish()` on this method says, if it is a topic hook. */
  topicHook(method: Method): TopicHookMetadata | undefined {
    return this.reflector.get<TopicHookMetadata | undefined>(TOPIC_HOOK_METADATA, method);
  }

  /** The event a `@SubscribeMessage()` handler answers, or undefined for other methods. */
  subscribedEvent(method: Method): string | undefined {
    if (this.reflector.get(MESSAGE_MAPPING_METADATA, method) === undefined) return undefined;
    return this.reflector.get<string>(MESSAGE_METADATA, method);
  }

  /** The handler's `@DescribeEvent()` options; empty when it has none. */
  eventOptions(method: Method): EventOptions {
    return this.reflector.get<EventOptions | undefined>(EVENT_METADATA, method) ?? {};
  }
}

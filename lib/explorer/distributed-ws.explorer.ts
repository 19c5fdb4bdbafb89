import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import {
  EVENT_METADATA,
  TOPIC_HOOK_METADATA,
  TOPICS_METADATA,
} from '../distributed-ws.constants.js';
import type { TopicHookMetadata } from '../decorators/topic-hooks.decorator.js';
import type { TopicMetadata } from '../decorators/topic.decorator.js';
import type { EventOptions } from '../decorators/topic-options.interface.js';
import { TopicTemplate } from '../topics/topic-template.js';
import { TopicTemplateError } from '../errors/topic-template.error.js';
import { SchemaCompiler } from './schema-validator.js';
import { type BoundHook, compileParamValidator, TopicRegistry } from './topic-registry.js';

// @nestjs/websockets metadata keys (constants.js there); read, never written.
const GATEWAY_METADATA = 'websockets:is_gateway';
const GATEWAY_OPTIONS = 'websockets:gateway_options';
const MESSAGE_MAPPING_METADATA = 'websockets:message_mapping';
const MESSAGE_METADATA = 'message';

/**
 * Collects `@Topic()` declarations, topic hooks and `@SubscribeMessage()` handlers from every
 * provider at boot and fills the `TopicRegistry`. A declaration mistake stops the boot with a
 * message naming the class and what to fix.
 */
@Injectable()
export class DistributedWsExplorer implements OnModuleInit {
  private readonly schemas = new SchemaCompiler();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: TopicRegistry,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype || typeof metatype !== 'function') continue;
      const declared: TopicMetadata[] | undefined = Reflect.getMetadata(TOPICS_METADATA, metatype);
      const isGateway = Reflect.getMetadata(GATEWAY_METADATA, metatype) !== undefined;
      if (!declared && !isGateway) continue;
      this.exploreClass(instance as object, metatype as { name: string }, declared ?? []);
    }
  }

  private exploreClass(
    instance: object,
    metatype: { name: string },
    declared: TopicMetadata[],
  ): void {
    const gateway = metatype.name;
    const path: string = Reflect.getMetadata(GATEWAY_OPTIONS, metatype)?.path ?? '/';
    const prototype = Object.getPrototypeOf(instance);
    const templates = declared.map(({ template }) => parseTemplate(template, gateway));
    const hooks = {
      subscribe: templates.map((): BoundHook[] => []),
      publish: templates.map((): BoundHook[] => []),
    };

    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = prototype[methodName];
      const hook: TopicHookMetadata | undefined = Reflect.getMetadata(TOPIC_HOOK_METADATA, method);
      if (hook) {
        const bound = method.bind(instance) as BoundHook;
        const targets =
          hook.template === undefined
            ? templates.map((_, i) => i)
            : [templates.findIndex((t) => t.source === hook.template)];
        if (targets[0] === -1) {
          throw new Error(
            `@On${hook.kind === 'subscribe' ? 'Subscribe' : 'Publish'}('${hook.template}') on ${gateway}.${methodName} names a topic that ${gateway} does not declare. Add @Topic('${hook.template}') to the class or fix the template.`,
          );
        }
        for (const i of targets) hooks[hook.kind][i].push(bound);
      }
      if (Reflect.getMetadata(MESSAGE_MAPPING_METADATA, method) !== undefined) {
        const event: string = Reflect.getMetadata(MESSAGE_METADATA, method);
        const options: EventOptions = Reflect.getMetadata(EVENT_METADATA, method) ?? {};
        this.registry.addEvent({
          event,
          gateway,
          path,
          methodName,
          options,
          validatePayload: this.schemas.compile(
            options.payload,
            `@DescribeEvent on ${gateway}.${methodName}`,
          ),
        });
      }
    }

    declared.forEach(({ options }, i) => {
      const template = templates[i];
      for (const name of Object.keys(options.params ?? {})) {
        if (!template.params.includes(name)) {
          throw new Error(
            `@Topic('${template.source}') on ${gateway} documents parameter "${name}", which the template does not have (it has: ${template.params.join(', ') || 'none'}).`,
          );
        }
      }
      const clientsMaySubscribe = options.clientsMaySubscribe ?? true;
      const presence = options.presence
        ? { joinLeave: options.presence === true ? false : options.presence.joinLeave === true }
        : null;
      if (presence && !clientsMaySubscribe) {
        throw new Error(
          `@Topic('${template.source}') on ${gateway} tracks presence but sets clientsMaySubscribe: false, so nobody could ever be present. Remove one of the two.`,
        );
      }
      this.registry.addTopic({
        template,
        options,
        gateway,
        path,
        clientsMayPublish: options.clientsMayPublish ?? false,
        clientsMaySubscribe,
        presence,
        validatePayload: this.schemas.compile(
          options.payload,
          `@Topic('${template.source}') on ${gateway}`,
        ),
        validateParams: compileParamValidator(template, options.params),
        subscribeHooks: hooks.subscribe[i],
        publishHooks: hooks.publish[i],
      });
    });
  }
}

function parseTemplate(source: string, gateway: string): TopicTemplate {
  try {
    return TopicTemplate.parse(source);
  } catch (error) {
    if (error instanceof TopicTemplateError) {
      throw new TopicTemplateError(`${gateway}: ${error.message}`);
    }
    throw error;
  }
}

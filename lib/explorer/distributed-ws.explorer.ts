import { Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { TopicMetadata } from '../decorators/topic.decorator.js';
import { TopicTemplate } from '../topics/topic-template.js';
import { TopicTemplateError } from '../errors/topic-template.error.js';
import { GatewayMetadataAccessor } from './gateway-metadata.accessor.js';
import { SchemaCompiler } from './schema-validator.js';
import { type BoundHook, compileParamValidator, TopicRegistry } from './topic-registry.js';

type ProviderWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/**
 * Collects `@Topic()` declarations, topic hooks and `@SubscribeMessage()` handlers from every
 * provider at boot and fills the `TopicRegistry`. A declaration mistake stops the boot with a
 * message naming the class and what to fix.
 */
@Injectable()
export class DistributedWsExplorer implements OnModuleInit {
  private readonly schemas = new SchemaCompiler();
  private readonly logger = new Logger('DistributedWs');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly registry: TopicRegistry,
    private readonly metadata: GatewayMetadataAccessor,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { instance, metatype } = wrapper;
      if (!instance || !metatype || typeof metatype !== 'function') continue;
      const declared = this.metadata.topics(metatype as Type);
      if (!declared && !this.metadata.isGateway(metatype as Type)) continue;
      if (declared) this.warnIfNotStatic(wrapper, declared);
      this.exploreClass(instance as object, metatype as Type, declared ?? []);
    }
  }

  /**
   * Topics are class metadata, but hooks are bound once, at boot, to the instance the wrapper
   * holds: for a request-scoped class (or one depending on a request-scoped provider) that is
   * an object Nest created from the prototype without running the constructor.
   */
  private warnIfNotStatic(wrapper: ProviderWrapper, declared: TopicMetadata[]): void {
    if (wrapper.isDependencyTreeStatic()) return;
    const name = (wrapper.metatype as Type).name;
    this.logger.warn(
      `${name} is request-scoped (or depends on a request-scoped provider). Its ${declared.length} @Topic declaration(s) are registered, but its @OnSubscribe/@OnPublish hooks run on one shared ${name} that Nest never constructed: injected dependencies and fields are undefined there. Make ${name} and its dependencies singletons (the default scope).`,
    );
  }

  private exploreClass(instance: object, metatype: Type, declared: TopicMetadata[]): void {
    const gateway = metatype.name;
    const path = this.metadata.gatewayPath(metatype);
    const prototype = Object.getPrototypeOf(instance);
    const templates = declared.map(({ template }) => parseTemplate(template, gateway));
    const hooks = {
      subscribe: templates.map((): BoundHook[] => []),
      publish: templates.map((): BoundHook[] => []),
    };

    for (const methodName of this.scanner.getAllMethodNames(prototype)) {
      const method = prototype[methodName];
      const hook = this.metadata.topicHook(method);
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
      const event = this.metadata.subscribedEvent(method);
      if (event !== undefined) {
        const options = this.metadata.eventOptions(method);
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
        // A hook deciding by parameter cannot see what a wildcard covers: opt in (issue 17).
        wildcards: options.wildcards ?? hooks.subscribe[i].length === 0,
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

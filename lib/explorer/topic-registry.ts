import { Injectable } from '@nestjs/common';
import type { EventOptions, TopicOptions } from '../decorators/topic-options.interface.js';
import { TopicTemplate } from '../topics/topic-template.js';
import type { PayloadValidator } from './schema-validator.js';

/** A hook method bound to its gateway instance. */
export type BoundHook = (context: any) => unknown;

/** One `@Topic()` declaration, parsed and compiled at boot. */
export interface TopicDefinition {
  readonly template: TopicTemplate;
  readonly options: TopicOptions;
  /** Class name of the declaring gateway. */
  readonly gateway: string;
  /** The gateway's WebSocket path (`@WebSocketGateway({ path })`). */
  readonly path: string;
  readonly clientsMayPublish: boolean;
  readonly clientsMaySubscribe: boolean;
  /**
   * Whether a subscription pattern may leave parameters open (`@Topic({ wildcards })`, by
   * default true only when no `@OnSubscribe` hook authorizes the topic).
   */
  readonly wildcards: boolean;
  /** Presence settings when the declaration tracks presence (`@Topic({ presence })`), else null. */
  readonly presence: { readonly joinLeave: boolean } | null;
  readonly validatePayload: PayloadValidator;
  readonly validateParams: (params: Record<string, string>) => string | null;
  readonly subscribeHooks: BoundHook[];
  readonly publishHooks: BoundHook[];
}

/** One `@SubscribeMessage()` handler of a gateway, with its `@DescribeEvent()` if any. */
export interface EventDefinition {
  readonly event: string;
  readonly gateway: string;
  readonly path: string;
  readonly methodName: string;
  readonly options: EventOptions;
  readonly validatePayload: PayloadValidator;
}

/** A concrete topic resolved to its declaration. */
export interface ResolvedTopic {
  readonly definition: TopicDefinition;
  readonly params: Record<string, string>;
}

/**
 * Every topic and event the gateways declare, built once by the explorer. The runtime
 * validates and authorizes with it; the AsyncAPI builder documents it: one source, no drift.
 */
@Injectable()
export class TopicRegistry {
  private readonly topicList: TopicDefinition[] = [];
  private readonly eventMap = new Map<string, EventDefinition>();

  get topics(): readonly TopicDefinition[] {
    return this.topicList;
  }

  get events(): readonly EventDefinition[] {
    return [...this.eventMap.values()];
  }

  /** @throws Error when the template is declared twice. */
  addTopic(definition: TopicDefinition): void {
    const clash = this.topicList.find((t) => t.template.filter === definition.template.filter);
    if (clash) {
      throw new Error(
        `Topic template "${definition.template.source}" of ${definition.gateway} clashes with "${clash.template.source}" of ${clash.gateway}: both describe the same topics. Declare it once.`,
      );
    }
    this.topicList.push(definition);
  }

  addEvent(definition: EventDefinition): void {
    if (!this.eventMap.has(definition.event)) this.eventMap.set(definition.event, definition);
  }

  event(name: string): EventDefinition | undefined {
    return this.eventMap.get(name);
  }

  /** The declaration a concrete topic belongs to, with its parameters, or null. */
  resolve(topic: string): ResolvedTopic | null {
    for (const definition of this.topicList) {
      const params = definition.template.match(topic);
      if (params) return { definition, params };
    }
    return null;
  }

  /** Declarations a subscription pattern can match at least one topic of. */
  overlapping(filter: string): TopicDefinition[] {
    return this.topicList.filter((t) => t.template.overlaps(filter));
  }
}

/**
 * Parameters a subscription pattern fixes for a template: `chat/rooms/7` → `{ roomId: '7' }`;
 * levels under `+` or `#` are left out.
 */
export function paramsFixedBy(template: TopicTemplate, filter: string): Record<string, string> {
  const levels = filter.split('/');
  const params: Record<string, string> = {};
  template.levels.forEach((level, i) => {
    const value = levels[i];
    if (level.kind === 'param' && value !== undefined && value !== '+' && value !== '#') {
      params[level.name] = value;
    }
  });
  return params;
}

/** Checks parameter values against `params` options (pattern, enum). */
export function compileParamValidator(
  template: TopicTemplate,
  options: TopicOptions['params'] = {},
): (params: Record<string, string>) => string | null {
  const checks = Object.entries(options).map(([name, opt]) => {
    const pattern = opt.pattern ? new RegExp(opt.pattern) : null;
    return (params: Record<string, string>): string | null => {
      const value = params[name];
      if (value === undefined) return null;
      if (pattern && !pattern.test(value)) {
        return `Parameter "${name}" of "${template.source}" must match ${opt.pattern}.`;
      }
      if (opt.enum && !opt.enum.includes(value)) {
        return `Parameter "${name}" of "${template.source}" must be one of ${opt.enum.join(', ')}.`;
      }
      return null;
    };
  });
  return (params) => {
    for (const check of checks) {
      const error = check(params);
      if (error) return error;
    }
    return null;
  };
}

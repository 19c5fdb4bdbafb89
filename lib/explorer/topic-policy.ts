import { ErrorCode } from '../protocol/error-codes.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import {
  DEFAULT_MAX_TOPIC_LENGTH,
  isReservedTopic,
  validateTopicFilter,
  validateTopicName,
} from '../topics/topic-validation.js';
import { PUBLISH_RULES, type PublishOrigin } from './publish-rules.js';
import { type PatternScope, scopeOf } from './pattern-scope.js';
import type { BoundHook, TopicDefinition, TopicRegistry } from './topic-registry.js';

export type { PublishOrigin } from './publish-rules.js';

/**
 * What the policy needs of the connection a client action comes from: what its hooks are told.
 * A `Connection` is one; the policy needs nothing else of it.
 */
export interface Requester {
  readonly id: string;
  readonly principal: unknown;
  readonly ws: unknown;
}

/** A publish the declarative checks let through: what the hooks, if any, see next. */
export interface PublishCheck {
  readonly topic: string;
  readonly payload: unknown;
  /** The declaration the topic belongs to; null only for a server publish to an undeclared topic. */
  readonly definition: TopicDefinition | null;
  readonly params: Record<string, string>;
  /** The `@OnPublish` hooks to run: none for an origin whose rules skip them. */
  readonly hooks: readonly BoundHook[];
}

/**
 * The rules of the declared topics, decided in one place for every path that publishes or
 * subscribes: resolve → permission → params → schema → hooks. Each check returns the refusal, a
 * `ProtocolError` with its stable `DWS_ERR_*` code, rather than throwing it: the client paths send
 * it as an `error` frame, `Broadcaster` throws it as a `BroadcastError`. What a hook throws is
 * passed on unchanged.
 *
 * @example
 * ```ts
 * // The module provides one, built with `runtime.options`; inject it.
 * const check = policy.checkPublish('chat/rooms/7', { text: 'hi' }, 'client');
 * if (check instanceof ProtocolError) throw check;
 * const accepted = await policy.runPublishHooks(check, connection);
 * ```
 */
export class TopicPolicy {
  /**
   * @param limits `maxTopicLength` bounds what clients send. @default 256
   */
  constructor(
    private readonly registry: TopicRegistry,
    private readonly limits: { readonly maxTopicLength: number } = {
      maxTopicLength: DEFAULT_MAX_TOPIC_LENGTH,
    },
  ) {}

  /**
   * The declarative checks of a publish: a valid, non-reserved topic, declared, open to the
   * origin, with valid parameters and a payload its schema accepts. Synchronous, so that a server
   * publish reaches the broker in the tick it was called in, in call order.
   * @returns what to hand to {@link runPublishHooks}, or the refusal.
   */
  checkPublish(
    topic: unknown,
    payload: unknown,
    origin: PublishOrigin,
  ): PublishCheck | ProtocolError {
    const rules = PUBLISH_RULES[origin];
    const maxLength =
      rules.lengthLimit === 'option' ? this.limits.maxTopicLength : DEFAULT_MAX_TOPIC_LENGTH;
    const invalid = validateTopicName(topic, maxLength);
    if (invalid) return new ProtocolError(ErrorCode.InvalidTopic, invalid);
    const name = topic as string;
    if (isReservedTopic(name)) {
      return new ProtocolError(ErrorCode.ReservedTopic, rules.reservedMessage(name));
    }
    const resolved = this.registry.resolve(name);
    if (!resolved) {
      if (!rules.mustBeDeclared) {
        return { topic: name, payload, definition: null, params: {}, hooks: [] };
      }
      return new ProtocolError(
        ErrorCode.UnknownTopic,
        `Topic "${name}" is not declared by any gateway.`,
      );
    }
    const { definition, params } = resolved;
    if (rules.checkPermission && !definition.clientsMayPublish) {
      return new ProtocolError(
        ErrorCode.PublishNotAllowed,
        `Clients may not publish to "${definition.template.source}".`,
      );
    }
    const paramError = rules.checkParams ? definition.validateParams(params) : null;
    if (paramError) return new ProtocolError(ErrorCode.InvalidTopic, paramError);
    const payloadError = definition.validatePayload(payload);
    if (payloadError) {
      return new ProtocolError(ErrorCode.InvalidPayload, rules.payloadMessage(name, payloadError));
    }
    const hooks = rules.runHooks ? definition.publishHooks : [];
    return { topic: name, payload, definition, params, hooks };
  }

  /**
   * Runs the `@OnPublish` hooks in declaration order: each sees the payload the previous one
   * returned. `false` refuses (`DWS_ERR_FORBIDDEN`); `undefined` or `true` keeps the payload;
   * anything else replaces it.
   * @returns the payload to publish, or the refusal.
   * @throws whatever a hook throws.
   */
  async runPublishHooks(
    check: PublishCheck,
    requester: Requester,
  ): Promise<{ readonly payload: unknown } | ProtocolError> {
    let payload = check.payload;
    for (const hook of check.hooks) {
      const result = await hook({
        topic: check.topic,
        template: check.definition?.template.source,
        params: check.params,
        payload,
        connectionId: requester.id,
        principal: requester.principal,
        client: requester.ws,
      });
      if (result === false) {
        return new ProtocolError(
          ErrorCode.Forbidden,
          `Publishing to "${check.topic}" was refused.`,
        );
      }
      if (result !== undefined && result !== true) payload = result;
    }
    return { payload };
  }

  /**
   * Whether a client may subscribe to a valid pattern (see {@link checkPattern}): it must overlap
   * a declaration, every declaration it overlaps must be open to clients, the parameters it fixes
   * must be valid, those it leaves open must be accepted (`wildcards`, see {@link scopeOf}), and
   * every `@OnSubscribe` hook of those declarations must not return `false`.
   * @param resuming true when `resume` restores the subscription (hooks are told).
   * @returns null when allowed, else the refusal.
   * @throws whatever a hook throws.
   */
  async checkSubscribe(
    filter: string,
    requester: Requester,
    resuming: boolean,
  ): Promise<ProtocolError | null> {
    const definitions = this.registry.overlapping(filter);
    if (definitions.length === 0) {
      return new ProtocolError(
        ErrorCode.UnknownTopic,
        `Pattern "${filter}" matches no topic declared by a gateway.`,
      );
    }
    const denied = definitions.find((d) => !d.clientsMaySubscribe);
    if (denied) {
      return new ProtocolError(
        ErrorCode.Forbidden,
        `Clients may not subscribe to "${denied.template.source}".`,
      );
    }
    // Every declaration's rules before any hook: a refused pattern reaches no hook.
    const scopes: PatternScope[] = [];
    for (const definition of definitions) {
      const scope = scopeOf(definition, filter);
      if (scope instanceof ProtocolError) return scope;
      scopes.push(scope);
    }
    for (let i = 0; i < definitions.length; i++) {
      const definition = definitions[i];
      const { params, openParams } = scopes[i];
      for (const hook of definition.subscribeHooks) {
        const allowed = await hook({
          topic: filter,
          template: definition.template.source,
          params,
          openParams,
          connectionId: requester.id,
          principal: requester.principal,
          resuming,
          client: requester.ws,
        });
        if (allowed === false) {
          return new ProtocolError(ErrorCode.Forbidden, `Subscription to "${filter}" was denied.`);
        }
      }
    }
    return null;
  }
}

/**
 * A subscription pattern as a client sends it: valid (MQTT wildcards allowed) and not reserved.
 * @returns the pattern, or the refusal (`DWS_ERR_INVALID_TOPIC`, `DWS_ERR_RESERVED_TOPIC`).
 */
export function checkPattern(topic: unknown, maxLength: number): string | ProtocolError {
  const invalid = validateTopicFilter(topic, maxLength);
  if (invalid) return new ProtocolError(ErrorCode.InvalidTopic, invalid);
  const filter = topic as string;
  if (isReservedTopic(filter)) {
    return new ProtocolError(
      ErrorCode.ReservedTopic,
      `Topic "${filter}" is reserved to the server.`,
    );
  }
  return filter;
}

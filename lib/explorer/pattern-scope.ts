import { ErrorCode } from '../protocol/error-codes.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import { hasWildcard } from '../topics/topic-matcher.js';
import { paramsFixedBy, type TopicDefinition } from './topic-registry.js';

const NONE_OPEN: readonly string[] = Object.freeze([]);

/** What a subscription pattern covers of one declaration. */
export interface PatternScope {
  /** Parameters the pattern fixes: `chat/rooms/7` → `{ roomId: '7' }`. */
  readonly params: Record<string, string>;
  /** Parameters it leaves open, in level order: `chat/rooms/+` or `chat/#` → `['roomId']`. */
  readonly openParams: readonly string[];
}

/**
 * The scope of a pattern in a declaration it overlaps, or why the declaration refuses it: a
 * fixed parameter breaking its rule (`DWS_ERR_INVALID_TOPIC`), or an open parameter on a topic
 * that does not accept wildcards (`DWS_ERR_WILDCARD_NOT_ALLOWED`). Runs once per subscribe,
 * never per delivery: an accepted pattern costs the delivery path nothing (DESIGN.md §6).
 */
export function scopeOf(definition: TopicDefinition, filter: string): PatternScope | ProtocolError {
  const params = paramsFixedBy(definition.template, filter);
  const paramError = definition.validateParams(params);
  if (paramError) return new ProtocolError(ErrorCode.InvalidTopic, paramError);
  const openParams = hasWildcard(filter)
    ? definition.template.params.filter((name) => !Object.hasOwn(params, name))
    : NONE_OPEN;
  if (openParams.length > 0 && !definition.wildcards) {
    const source = definition.template.source;
    const names = openParams.map((name) => `"${name}"`).join(', ');
    return new ProtocolError(
      ErrorCode.WildcardNotAllowed,
      `Pattern "${filter}" leaves ${names} of "${source}" open, which that topic does not accept: subscribe to each topic. To accept it, declare @Topic('${source}', { wildcards: true }): the @OnSubscribe hook then decides, with the open parameters in context.openParams.`,
    );
  }
  return { params, openParams };
}

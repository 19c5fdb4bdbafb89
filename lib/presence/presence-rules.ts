import type { TopicRegistry } from '../explorer/topic-registry.js';
import { jsonContainers } from '../protocol/codec.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ProtocolError } from '../protocol/protocol.error.js';
import { isReservedTopic, validateTopicName } from '../topics/topic-validation.js';

/**
 * Why presence cannot be asked of `topic` (not a valid exact topic, reserved, undeclared, or
 * not tracking presence), or null when it can.
 */
export function presenceRefusal(
  topics: TopicRegistry,
  topic: unknown,
  maxTopicLength: number,
): ProtocolError | null {
  const invalid = validateTopicName(topic, maxTopicLength);
  if (invalid) return new ProtocolError(ErrorCode.InvalidTopic, invalid);
  const name = topic as string;
  if (isReservedTopic(name)) {
    return new ProtocolError(ErrorCode.ReservedTopic, `Topic "${name}" is reserved to the server.`);
  }
  const resolved = topics.resolve(name);
  if (!resolved) {
    return new ProtocolError(
      ErrorCode.UnknownTopic,
      `Topic "${name}" is not declared by any gateway.`,
    );
  }
  if (!resolved.definition.presence) {
    return new ProtocolError(
      ErrorCode.PresenceDisabled,
      `Topic "${name}" does not track presence: declare it with @Topic('${resolved.definition.template.source}', { presence: true }).`,
    );
  }
  return null;
}

/**
 * Presence settings of a subscription: those of its declaration for an exact topic that tracks
 * presence, null otherwise (wildcard patterns are never present).
 */
export function presenceSettings(
  topics: TopicRegistry,
  filter: string,
): { joinLeave: boolean } | null {
  if (filter.split('/').some((level) => level === '+' || level === '#')) return null;
  return topics.resolve(filter)?.definition.presence ?? null;
}

/** Bytes of an `info` as JSON (0 for none): what `maxPresenceInfoBytes` and the total count. */
export function presenceInfoBytes(info: unknown): number {
  return info === undefined || info === null ? 0 : Buffer.byteLength(JSON.stringify(info));
}

/**
 * Objects and arrays an `info` may hold. It is kept parsed, and a parsed `{}` takes about 64
 * bytes: 1 KiB of `[{},{},…]` would hold 20 KiB (bench/memory-budget.ts). An info describes a
 * member (`{ name, avatar, status }`), which takes one or two.
 */
const MAX_PRESENCE_INFO_CONTAINERS = 32;

/**
 * The `info` a client attached to a subscription (null when none).
 * @throws ProtocolError `DWS_ERR_BAD_REQUEST` when its JSON is longer than `maxBytes`, or holds
 *   more than MAX_PRESENCE_INFO_CONTAINERS objects and arrays.
 */
export function checkPresenceInfo(info: unknown, maxBytes: number): unknown {
  if (info === undefined || info === null) return null;
  const text = JSON.stringify(info);
  if (Buffer.byteLength(text) > maxBytes) {
    throw new ProtocolError(
      ErrorCode.BadRequest,
      `Presence info must be at most ${maxBytes} bytes of JSON.`,
    );
  }
  if (jsonContainers(text, Infinity) > MAX_PRESENCE_INFO_CONTAINERS) {
    throw new ProtocolError(
      ErrorCode.BadRequest,
      `Presence info may hold at most ${MAX_PRESENCE_INFO_CONTAINERS} objects and arrays.`,
    );
  }
  return info;
}

/**
 * The refusal of a subscription whose info would bring its connection's total to `total` bytes,
 * past `maxTotal` (`maxPresenceInfoBytesPerConnection`).
 */
export function infoTotalRefusal(total: number, maxTotal: number): ProtocolError {
  return new ProtocolError(
    ErrorCode.BadRequest,
    `Presence info of one connection must total at most ${maxTotal} bytes of JSON; this subscription would bring it to ${total}. Send less info, or unsubscribe from another presence topic first.`,
  );
}

import type { ShardPosition } from '../../broker/broker.interface.js';
import { parseOffset } from '../../protocol/offset.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ClientFrame } from '../../protocol/frames.js';
import { ProtocolError } from '../../protocol/protocol.error.js';

/** What a `resume` frame asks for, checked for shape only (the token is verified later). */
export interface ResumeRequest {
  readonly token: unknown;
  readonly topics: unknown[];
  /** One position per shard, indexed by shard; null when missing, malformed or incomplete. */
  readonly positions: ShardPosition[] | null;
  /** Presence info by topic (`{}` when absent). */
  readonly info: Record<string, unknown>;
}

/**
 * Reads `data` of a `resume` frame. Positions that cannot be honoured are not an error: the
 * resume answers `recovered: false, reason: "positions"` (docs/protocol.md, Resume).
 * @throws ProtocolError (`DWS_ERR_BAD_REQUEST`) when `token`, `topics` or `info` has the wrong type.
 */
export function parseResumeRequest(frame: ClientFrame): ResumeRequest {
  const data = frame.data as { token?: unknown; topics?: unknown; positions?: unknown } | undefined;
  if (
    !data ||
    typeof data !== 'object' ||
    typeof data.token !== 'string' ||
    !Array.isArray(data.topics)
  ) {
    throw new ProtocolError(
      ErrorCode.BadRequest,
      'resume needs data {"token": string, "topics": string[], "positions": string[]}.',
    );
  }
  const positions = positionsOf(data.positions);
  return { token: data.token, topics: data.topics, positions, info: presenceInfoOf(frame) };
}

/** `data.positions` by shard: exactly one valid offset per shard, from 0 up, else null. */
function positionsOf(raw: unknown): ShardPosition[] | null {
  if (!Array.isArray(raw)) return null;
  const byShard: ShardPosition[] = [];
  for (const item of raw) {
    const offset = parseOffset(item);
    if (!offset || byShard[offset.shard] !== undefined) return null;
    byShard[offset.shard] = offset;
  }
  return byShard.length === raw.length && byShard.every(Boolean) ? byShard : null;
}

/** `data.info` of a resume: presence info by topic (`{}` when absent). */
function presenceInfoOf(frame: ClientFrame): Record<string, unknown> {
  const info = (frame.data as { info?: unknown }).info;
  if (info === undefined || info === null) return {};
  if (typeof info !== 'object' || Array.isArray(info)) {
    throw new ProtocolError(
      ErrorCode.BadRequest,
      'resume "info" must be an object: info by topic.',
    );
  }
  return info as Record<string, unknown>;
}

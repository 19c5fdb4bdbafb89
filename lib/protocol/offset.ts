/**
 * Offsets and stream ids: wire protocol. Clients receive offsets in `message`, `welcome` and
 * `positions` frames and send them back in `resume`, so the server and the client SDK share
 * this one definition. An offset is `"<shard>:<epoch>:<id>"`; an id is a Redis stream id
 * `"<ms>-<seq>"`.
 */
export interface Offset {
  shard: number;
  epoch: string;
  id: string;
}

const ID_PATTERN = /^\d{1,16}-\d{1,16}$/;

/** Builds an offset string. Epochs never contain ':'. */
export function formatOffset(shard: number, epoch: string, id: string): string {
  return `${shard}:${epoch}:${id}`;
}

/** The offset string of a shard position (a `ShardPosition` has the same three fields). */
export function formatPosition(position: Offset): string {
  return formatOffset(position.shard, position.epoch, position.id);
}

/** Parses an offset string, or returns null when it is not one. */
export function parseOffset(offset: unknown): Offset | null {
  if (typeof offset !== 'string' || offset.length > 80) return null;
  const first = offset.indexOf(':');
  const second = offset.indexOf(':', first + 1);
  if (first <= 0 || second < 0) return null;
  const shard = Number(offset.slice(0, first));
  const epoch = offset.slice(first + 1, second);
  const id = offset.slice(second + 1);
  if (!Number.isSafeInteger(shard) || shard < 0 || epoch.length === 0 || !ID_PATTERN.test(id)) {
    return null;
  }
  return { shard, epoch, id };
}

/** Orders two stream ids numerically (`"10-0"` is after `"9-5"`). */
export function compareIds(a: string, b: string): number {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  const ma = a.slice(0, da);
  const mb = b.slice(0, db);
  if (ma.length !== mb.length) return ma.length - mb.length;
  if (ma !== mb) return ma < mb ? -1 : 1;
  const sa = a.slice(da + 1);
  const sb = b.slice(db + 1);
  if (sa.length !== sb.length) return sa.length - sb.length;
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

/**
 * Stable topic → shard hash (FNV-1a, 32 bit). The same on every instance and in the SDK;
 * changing it would move topics between shards, so it never changes.
 */
export function shardOfTopic(topic: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < topic.length; i++) {
    hash ^= topic.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

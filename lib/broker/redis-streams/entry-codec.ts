import type { BrokerMessage } from '../broker.interface.js';

/** A stream entry as XREAD / XRANGE return it through ioredis 5 or 6: `[id, [field, value, …]]`. */
export type RawEntry = [id: string, fields: string[]];

/**
 * Turns a stored entry back into what the listener and a replay deliver. `offsetBase` is
 * `formatOffset(shard, epoch, '')`, built once per stream of a reply rather than per entry.
 * Every message has the same shape (`control` is present, maybe undefined), so the
 * listener's code that reads them stays monomorphic.
 */
export function toMessage(shard: number, offsetBase: string, entry: RawEntry): BrokerMessage {
  const id = entry[0];
  const fields = entry[1];
  let topic = '';
  let payload = '';
  let control: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1];
    switch (fields[i]) {
      case 't':
        topic = value;
        break;
      case 'p':
        payload = value;
        break;
      case 'c':
        control = value;
        break;
    }
  }
  return { topic, payload, control, shard, id, offset: offsetBase + id };
}

/** The topic of a stored entry, without decoding the rest (`t` comes first: lua/publish.script.ts). */
export function topicOf(entry: RawEntry): string {
  const fields = entry[1];
  if (fields[0] === 't') return fields[1];
  for (let i = 2; i + 1 < fields.length; i += 2) if (fields[i] === 't') return fields[i + 1];
  return '';
}

/**
 * The streams of an XREAD reply sent with `call()`: RESP2 (ioredis 5) nests
 * `[[key, entries], …]`, while ioredis 6 flattens the RESP3 map to `[key, entries, key,
 * entries…]` even with `replyMapping: 'legacy'` (seen on Redis 7.0). Both are accepted.
 */
export function xreadStreams(reply: unknown[]): [key: string, entries: RawEntry[]][] {
  if (reply.length > 0 && typeof reply[0] !== 'string' && !Buffer.isBuffer(reply[0])) {
    return reply as [string, RawEntry[]][];
  }
  const streams: [string, RawEntry[]][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2)
    streams.push([String(reply[i]), reply[i + 1] as RawEntry[]]);
  return streams;
}

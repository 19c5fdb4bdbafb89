// Type-level test of the generated client types (sample/generated/topics.ts): `npm run
// typecheck` compiles this file, never runs it. Each `@ts-expect-error` line must fail to
// compile: if one compiled, tsc would report the directive as unused and fail.
import { connect, type DistributedWsClient, type MessageMeta } from '../../lib/client/index.js';
import type { ChatRoomsMessage, EventMap, TopicMap } from '../../sample/generated/topics.js';

declare const client: DistributedWsClient<TopicMap, EventMap>;

export async function compiles(): Promise<void> {
  // A concrete topic and a `+` pattern both find the `chat/rooms/${string}` key.
  const ack = await client.publish('chat/rooms/lobby', { text: 'hi', author: 'ada' });
  const offset: string = ack.offset;
  client.subscribe('chat/rooms/+', (message: ChatRoomsMessage, meta: MessageMeta) => {
    const text: string = message.text;
    const author: string | undefined = message.author;
    return [text, author, meta.topic, offset];
  });
  client.subscribe('chat/announcements', (message) => message.text.toUpperCase());

  const stats = await client.call('stats', {});
  const connections: number = stats.connections;
  const who = await client.call('whoami', {});
  const name: string | undefined = who?.name;

  // `connect` takes the same two maps.
  const other = connect<TopicMap, EventMap>({ url: 'ws://localhost:3000/ws' });
  await other.call('stats', {});
  return void [connections, name];
}

export async function doesNotCompile(): Promise<void> {
  // @ts-expect-error `text` is required by the topic's schema.
  await client.publish('chat/rooms/lobby', { author: 'ada' });
  // @ts-expect-error `text` is a string.
  await client.publish('chat/rooms/lobby', { text: 42 });
  // @ts-expect-error the schema closes the object (`additionalProperties: false`).
  await client.publish('chat/rooms/lobby', { text: 'hi', color: 'red' });
  // @ts-expect-error a room message has no `body`.
  client.subscribe('chat/rooms/+', (message) => message.body);

  // @ts-expect-error no gateway handles `shutdown`.
  await client.call('shutdown', {});
  // @ts-expect-error `stats` takes a closed empty object.
  await client.call('stats', { verbose: true });
  // @ts-expect-error `stats` needs its data: the schema requires an object.
  await client.call('stats');
  const stats = await client.call('stats', {});
  // @ts-expect-error `connections` is a number (`type: integer`).
  const connections: string = stats.connections;
  const who = await client.call('whoami', {});
  // @ts-expect-error the `whoami` reply may be null (`type: ['object', 'null']`).
  return void [connections, who.name];
}

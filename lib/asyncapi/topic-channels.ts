import type { JsonSchema } from '../protocol/json-schema.js';
import { TopicTemplate } from '../topics/topic-template.js';
import type { EventInput, TopicInput } from './asyncapi.interface.js';
import { eventFrameSchema, eventReplyFrameSchema } from '../protocol/frame.schemas.js';

type Json = Record<string, unknown>;

/** `{ $ref }` to a place in the document. */
export function ref(...path: string[]): Json {
  return { $ref: `#/${path.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` };
}

/** Deep copy of JSON data: the document never shares objects with the declarations. */
export function copy<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

export const WS_BINDING = { ws: { method: 'GET', bindingVersion: '0.1.0' } };

/** Key of the channel of the WebSocket connection itself, where every frame travels. */
export const CONNECTION = 'connection';

/** `{ $ref }` to a message of the connection channel. */
export function connectionMessage(key: string): Json {
  return ref('channels', CONNECTION, 'messages', key);
}

/** The reply of a client frame: one of `messages`, on the connection channel. */
export function connectionReply(...messages: string[]): Json {
  return { channel: ref('channels', CONNECTION), messages: messages.map(connectionMessage) };
}

/** A concrete topic of a template, filled with documented example values. */
export function exampleTopic(topic: TopicInput): string {
  const template = TopicTemplate.parse(topic.template);
  const values: Record<string, string> = {};
  for (const name of template.params) {
    const param = topic.params?.[name];
    values[name] = param?.examples?.[0] ?? param?.enum?.[0] ?? '42';
  }
  try {
    return template.format(values);
  } catch {
    return template.filter;
  }
}

/**
 * Patterns a reader could subscribe with: the topic itself, its filter, its first level's `#`;
 * only the topic when patterns may not leave its parameters open.
 */
function examplePatterns(topic: TopicInput): string[] {
  const template = TopicTemplate.parse(topic.template);
  if (!acceptsWildcards(topic, template)) return [exampleTopic(topic)];
  const first = template.levels[0];
  const prefix = first.kind === 'literal' && template.levels.length > 1 ? `${first.value}/#` : '#';
  return [...new Set([exampleTopic(topic), template.filter, prefix])];
}

/** False when the topic has parameters and refuses patterns leaving them open. */
function acceptsWildcards(topic: TopicInput, template: TopicTemplate): boolean {
  return topic.wildcards !== false || template.params.length === 0;
}

/** Literal levels in PascalCase: `chat/rooms/{roomId}` → `ChatRooms` (the documented default). */
export function topicBaseName(template: string): string {
  const literals = TopicTemplate.parse(template).levels.flatMap((l) =>
    l.kind === 'literal' ? [l.value] : [],
  );
  return literals.join('/');
}

function presenceNote(joinLeave: boolean): string {
  const events = joinLeave
    ? ' Joins and leaves arrive as `presence` frames on the connection.'
    : '';
  return `Tracks presence: a \`presence\` request lists who is subscribed to a topic of this channel (exact subscriptions only).${events}`;
}

/** The channel of one topic: address template, parameters, its message, the WebSocket binding. */
export function topicChannel(topic: TopicInput, messageKey: string): Json {
  const template = TopicTemplate.parse(topic.template);
  const channel: Json = { address: topic.template, title: topic.template };
  if (topic.summary) channel.summary = topic.summary;
  const notes = [
    topic.description,
    topic.clientsMaySubscribe ? undefined : 'Clients may not subscribe to this topic.',
    topic.presence ? presenceNote(topic.presence.joinLeave) : undefined,
  ].filter(Boolean);
  if (notes.length) channel.description = notes.join('\n\n');
  if (template.params.length) {
    channel.parameters = Object.fromEntries(
      template.params.map((name) => [name, parameter(topic, name, template)]),
    );
  }
  channel.messages = { [messageKey]: ref('components', 'messages', messageKey) };
  channel.bindings = copy(WS_BINDING);
  return channel;
}

function parameter(topic: TopicInput, name: string, template: TopicTemplate): Json {
  const options = topic.params?.[name] ?? {};
  const level = template.levels.findIndex((l) => l.kind === 'param' && l.name === name) + 1;
  const text = [options.description ?? `Level ${level} of the topic.`];
  // AsyncAPI 3.0 parameters have no schema; the pattern the runtime enforces goes in words.
  if (options.pattern) text.push(`Must match \`${options.pattern}\`.`);
  const parameterObject: Json = { description: text.join(' ') };
  if (options.enum?.length) parameterObject.enum = [...options.enum];
  if (options.examples?.length) parameterObject.examples = [...options.examples];
  return parameterObject;
}

/** The message of one topic: its payload schema is the one the runtime validates with. */
export function topicMessage(topic: TopicInput, key: string): Json {
  const message: Json = { name: topic.messageName ?? key, title: topic.template };
  if (topic.summary) message.summary = topic.summary;
  message.description = topic.clientsMayPublish
    ? 'The `payload` of `message` frames delivered on this topic, and of `publish` frames sent to it.'
    : 'The `payload` of `message` frames delivered on this topic.';
  message.payload = copy(topic.payload ?? {});
  if (topic.examples?.length)
    message.examples = topic.examples.map((payload) => ({ payload: copy(payload) }));
  return message;
}

/** `send`: the server delivers the topic to subscribers. */
export function deliverOperation(topic: TopicInput, channelKey: string, messageKey: string): Json {
  const sample = exampleTopic(topic);
  const patterns = examplePatterns(topic)
    .map((p) => `\`${p}\``)
    .join(', ');
  const text = [
    `Delivered to every connection subscribed to a matching pattern (${patterns}) as \`{"event":"message","data":{"topic":"${sample}","offset":"…","payload":…}}\`.`,
  ];
  if (topic.guardedSubscribe) {
    text.push(
      'Each subscription is authorized by the gateway; a denial is answered with `DWS_ERR_FORBIDDEN`.',
    );
  }
  const template = TopicTemplate.parse(topic.template);
  if (!acceptsWildcards(topic, template)) {
    text.push(
      `A pattern that leaves a parameter open (\`${template.filter}\`) is refused with \`DWS_ERR_WILDCARD_NOT_ALLOWED\`: subscribe to each topic.`,
    );
  } else if (topic.guardedSubscribe && template.params.length > 0) {
    text.push(
      `Patterns that leave a parameter open (\`${template.filter}\`) are accepted if the gateway allows them.`,
    );
  }
  return {
    action: 'send',
    channel: ref('channels', channelKey),
    title: `Deliver ${topic.template}`,
    summary: topic.summary ?? `Messages of ${topic.template}.`,
    description: text.join(' '),
    messages: [ref('channels', channelKey, 'messages', messageKey)],
  };
}

/** `receive`: clients publish to the topic; the server answers with an `ack` or an `error`. */
export function publishOperation(topic: TopicInput, channelKey: string, messageKey: string): Json {
  const text = [
    `Clients publish with \`{"event":"publish","id":1,"data":{"topic":"${exampleTopic(topic)}","payload":…}}\`.`,
    'The payload is checked against the schema (`DWS_ERR_INVALID_PAYLOAD` otherwise)',
  ];
  text[1] += topic.interceptedPublish
    ? ', then the gateway may change or refuse it (`DWS_ERR_FORBIDDEN`).'
    : '.';
  return {
    action: 'receive',
    channel: ref('channels', channelKey),
    title: `Publish to ${topic.template}`,
    summary: `Clients publish to ${topic.template}.`,
    description: text.join(' '),
    messages: [ref('channels', channelKey, 'messages', messageKey)],
    reply: connectionReply('publishAck', 'error'),
  };
}

/** The client's frame of a gateway event and the `ack` carrying the handler's reply. */
export function eventMessages(
  event: EventInput,
  keys: { request: string; reply: string },
): Record<string, Json> {
  const request: Json = { name: keys.request, title: event.event };
  if (event.summary) request.summary = event.summary;
  if (event.description) request.description = event.description;
  request.payload = eventFrameSchema(event.event, copy(event.payload));
  const reply: Json = {
    name: keys.reply,
    title: `ack of ${event.event}`,
    summary: `What the ${event.event} handler returns, when the frame had an id.`,
    payload: eventReplyFrameSchema(copy(event.reply ?? {}) as JsonSchema),
  };
  return { [keys.request]: request, [keys.reply]: reply };
}

/** `receive` of a gateway event, replying with its `ack` or an `error`. */
export function eventOperation(event: EventInput, keys: { request: string; reply: string }): Json {
  return {
    action: 'receive',
    channel: ref('channels', CONNECTION),
    title: event.event,
    summary: event.summary ?? `Handled by ${event.gateway}.`,
    description: `Handled by \`${event.gateway}\` on \`${event.path}\`. With an \`id\`, the reply is an \`ack\` with the same \`id\`; without one, a reply is sent as the handler's value itself.`,
    messages: [connectionMessage(keys.request)],
    reply: connectionReply(keys.reply, 'error'),
  };
}

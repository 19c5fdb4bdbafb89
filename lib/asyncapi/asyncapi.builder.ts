import type { AsyncApiDocument, AsyncApiInput } from './asyncapi.interface.js';
import {
  IdAllocator,
  camelCase,
  compareStrings,
  componentKey,
  pascalCase,
} from './asyncapi.names.js';
import {
  CONTROL_OPERATION_IDS,
  connectionChannel,
  controlOperations,
} from './control-operations.js';
import { controlMessages, protocolExamples } from './control-protocol.js';
import {
  DIRECT_MESSAGE,
  directMessage,
  RESERVED_TOPICS,
  reservedChannel,
  reservedOperation,
} from './reserved-topics.js';
import { protocolOverview } from './protocol-text.js';
import { buildSecuritySchemes, buildServers } from './servers.builder.js';
import {
  CONNECTION,
  copy,
  deliverOperation,
  eventMessages,
  eventOperation,
  publishOperation,
  topicBaseName,
  topicChannel,
  topicMessage,
} from './topic-channels.js';

type Json = Record<string, unknown>;

/**
 * Builds the AsyncAPI 3.0 document of an app from its declarations. Pure and deterministic:
 * declarations are sorted, ids derive from them, and maps are filled in a fixed order, so the
 * same declarations always give the same document, byte for byte once serialized.
 *
 * Operations are from the server's point of view: `send` is what the server delivers,
 * `receive` what clients may send.
 *
 * @throws TopicTemplateError for a template that does not parse (the explorer refuses those at boot).
 * @example
 * ```ts
 * const document = buildAsyncApiDocument({ info: { title: 'Chat', version: '1.0.0' }, servers: {}, topics, events: [] });
 * ```
 */
export function buildAsyncApiDocument(input: AsyncApiInput): AsyncApiDocument {
  const topics = [...input.topics].sort((a, b) => compareStrings(a.template, b.template));
  const events = [...input.events].sort((a, b) => compareStrings(a.event, b.event));
  const examples = protocolExamples(topics);
  const control = controlMessages(examples);

  const channelIds = new IdAllocator([CONNECTION, ...RESERVED_TOPICS.map((t) => t.key)]);
  const messageIds = new IdAllocator([...control.map((m) => m.key), DIRECT_MESSAGE]);
  const operationIds = new IdAllocator([
    ...CONTROL_OPERATION_IDS,
    ...RESERVED_TOPICS.map((t) => t.operation),
  ]);

  const messages: Json = Object.fromEntries(control.map((m) => [m.key, copy(m.message)]));
  messages[DIRECT_MESSAGE] = directMessage();

  const connectionMessages = control.map((m) => m.key);
  const operations = controlOperations(control);

  for (const event of events) {
    const base = pascalCase(event.event) || 'Event';
    const keys = {
      request: messageIds.claim(`${base}Event`),
      reply: messageIds.claim(`${base}Reply`),
    };
    Object.assign(messages, eventMessages(event, keys));
    connectionMessages.push(keys.request, keys.reply);
    operations[operationIds.claim(`receive${base}Event`)] = eventOperation(event, keys);
  }

  const declarations = [...topics, ...events];
  const paths = new Set(declarations.map((d) => d.path));
  const address = paths.size === 1 ? [...paths][0] : null;
  const channels: Json = {
    [CONNECTION]: connectionChannel(address, connectionMessages, input.security),
  };
  for (const topic of topics) {
    const base = topicBaseName(topic.template);
    const channelKey = channelIds.claim(
      camelCase(base) || 'topic',
      camelCase(topic.template) || 'topic',
    );
    const pascal = pascalCase(channelKey);
    const messageKey = messageIds.claim(
      componentKey(topic.messageName ?? `${pascalCase(base) || 'Topic'}Message`),
    );
    messages[messageKey] = topicMessage(topic, messageKey);
    channels[channelKey] = topicChannel(topic, messageKey);
    if (topic.clientsMaySubscribe) {
      operations[operationIds.claim(`send${pascal}`)] = deliverOperation(
        topic,
        channelKey,
        messageKey,
      );
    }
    if (topic.clientsMayPublish) {
      operations[operationIds.claim(`receive${pascal}`)] = publishOperation(
        topic,
        channelKey,
        messageKey,
      );
    }
  }
  for (const reserved of RESERVED_TOPICS) {
    channels[reserved.key] = reservedChannel(reserved);
    operations[reserved.operation] = reservedOperation(reserved);
  }

  const components: Json = { messages };
  const schemes = buildSecuritySchemes(input.security);
  if (schemes) components.securitySchemes = schemes;

  const document: Json = { asyncapi: '3.0.0' };
  if (input.id) document.id = input.id;
  document.info = info(input.info, protocolOverview(input.security));
  document.servers = buildServers(input, declarations, schemes ? Object.keys(schemes) : []);
  document.defaultContentType = 'application/json';
  document.channels = channels;
  document.operations = operations;
  document.components = components;
  return document;
}

function info(source: AsyncApiInput['info'], protocol: string): Json {
  const result: Json = { title: source.title, version: source.version };
  result.description = source.description ? `${source.description}\n\n${protocol}` : protocol;
  if (source.contact) result.contact = copy(source.contact);
  if (source.license) result.license = copy(source.license);
  return result;
}

import { beforeAll, describe, expect, it } from '@jest/globals';
import { Parser } from '@asyncapi/parser';
import { Test, type TestingModule } from '@nestjs/testing';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { securityOf } from '../../../lib/asyncapi/asyncapi.input.js';
import {
  DescribeEvent,
  DistributedWsModule,
  type DistributedWsOptions,
  OnPublish,
  OnSubscribe,
  Topic,
} from '../../../lib/index.js';
import {
  buildAsyncApiDocument,
  describeDeclarations,
  serializeAsyncApi,
  type AsyncApiDocument,
  type AsyncApiInput,
} from '../../../lib/asyncapi/index.js';
import { TopicRegistry } from '../../../lib/explorer/topic-registry.js';

const orderSchema = {
  type: 'object',
  required: ['status', 'lines'],
  properties: {
    status: { type: 'string', enum: ['placed', 'shipped', 'delivered'] },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sku', 'quantity'],
        properties: {
          sku: { type: 'string' },
          quantity: { type: 'integer', minimum: 1 },
          price: {
            type: 'object',
            properties: { amount: { type: 'number' }, currency: { type: 'string' } },
          },
        },
      },
    },
  },
};
const chatSchema = { type: 'object', required: ['text'], properties: { text: { type: 'string' } } };
const cartAdd = { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } };
const cartReply = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'integer' } },
};

/** One declaration of every kind the document renders. */
@WebSocketGateway({ path: '/live' })
@Topic('orders/{region}/{orderId}/status', {
  summary: 'Status changes of one order.',
  description: 'Pushed by the fulfilment jobs.',
  payload: orderSchema,
  params: {
    region: { description: 'Sales region.', enum: ['eu', 'us'] },
    orderId: { pattern: '^[0-9]+$', examples: ['1001'] },
  },
  examples: [{ status: 'shipped', lines: [{ sku: 'A-1', quantity: 2 }] }],
})
@Topic('chat/{room}', { payload: chatSchema, clientsMayPublish: true, messageName: 'ChatLine' })
@Topic('metrics/cpu', {
  clientsMaySubscribe: false,
  clientsMayPublish: true,
  payload: { type: 'number' },
})
@Topic('feed')
class ShopGateway {
  @OnSubscribe('chat/{room}')
  member(): boolean {
    return true;
  }

  @OnPublish('chat/{room}')
  stamp(): undefined {
    return undefined;
  }

  @SubscribeMessage('cart:add')
  @DescribeEvent({
    summary: 'Adds an item to the cart.',
    description: 'Idempotent per sku.',
    payload: cartAdd,
    reply: cartReply,
  })
  add(@MessageBody() _body: unknown): { items: number } {
    return { items: 1 };
  }

  @SubscribeMessage('ping')
  ping(): string {
    return 'pong';
  }
}

@WebSocketGateway({ path: '/admin' })
class AdminGateway {
  @SubscribeMessage('kick')
  @DescribeEvent({
    payload: { type: 'object', required: ['userId'], properties: { userId: { type: 'string' } } },
  })
  kick(): void {}
}

const moduleOptions: DistributedWsOptions = {
  authenticate: () => ({ userId: 'ada' }),
  authFailure: 'close',
  asyncapi: {
    id: 'urn:example:shop',
    info: {
      title: 'Shop',
      version: '2.1.0',
      description: 'Orders and chat.',
      contact: {
        name: 'Shop team',
        url: 'https://shop.example.com',
        email: 'team@shop.example.com',
      },
      license: { name: 'MIT', url: 'https://spdx.org/licenses/MIT.html' },
    },
    servers: {
      production: { host: 'shop.example.com', protocol: 'wss' },
      local: { host: 'localhost:3000' },
    },
  },
};

async function fixtureInput(): Promise<AsyncApiInput> {
  const moduleRef: TestingModule = await Test.createTestingModule({
    imports: [DistributedWsModule.forRoot(moduleOptions)],
    providers: [ShopGateway, AdminGateway],
  }).compile();
  await moduleRef.init();
  try {
    const registry = moduleRef.get(TopicRegistry);
    return describeDeclarations(registry, moduleOptions.asyncapi, null, securityOf(moduleOptions));
  } finally {
    await moduleRef.close();
  }
}

/**
 * Parser diagnostics we accept, each with its reason. Anything else fails the test.
 * - asyncapi-latest-version (info): 3.1.0 exists; the issue asks for 3.0.0, the version
 *   every tool (the viewer, generators) reads today.
 */
const ACCEPTED_DIAGNOSTICS = ['asyncapi-latest-version'];

async function validate(document: AsyncApiDocument, name: string): Promise<void> {
  const { diagnostics } = await new Parser().parse(serializeAsyncApi(document, 'yaml'));
  const severities = ['error', 'warning', 'info', 'hint'];
  for (const d of diagnostics) {
    console.log(
      `${name}: ${severities[d.severity]} ${d.code} at ${d.path.join('.') || '$'}: ${d.message}`,
    );
  }
  expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
  expect(
    diagnostics.map((d) => d.code).filter((c) => !ACCEPTED_DIAGNOSTICS.includes(String(c))),
  ).toEqual([]);
}

describe('AsyncAPI builder', () => {
  let input: AsyncApiInput;
  let doc: Record<string, any>;

  beforeAll(async () => {
    input = await fixtureInput();
    doc = buildAsyncApiDocument(input);
  });

  it('validates with @asyncapi/parser without errors or unexplained warnings', async () => {
    await validate(doc, 'fixture');
  });

  it('has the top-level keys in a fixed order, info from the options and the protocol appended', () => {
    expect(Object.keys(doc)).toEqual([
      'asyncapi',
      'id',
      'info',
      'servers',
      'defaultContentType',
      'channels',
      'operations',
      'components',
    ]);
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.id).toBe('urn:example:shop');
    expect(doc.info.title).toBe('Shop');
    expect(doc.info.version).toBe('2.1.0');
    expect(doc.info.description).toMatch(/^Orders and chat\.\n\n### WebSocket protocol\n/);
    expect(doc.info.description).toContain('| 4001 | The client could not keep up');
    expect(doc.info.contact).toEqual(moduleOptions.asyncapi!.info!.contact);
  });

  it('expands every server per gateway path, with the security schemes of the configured auth', () => {
    expect(Object.keys(doc.servers)).toEqual([
      'local-admin',
      'local-live',
      'production-admin',
      'production-live',
    ]);
    const security = [
      { $ref: '#/components/securitySchemes/bearerHeader' },
      { $ref: '#/components/securitySchemes/accessTokenQuery' },
      { $ref: '#/components/securitySchemes/subprotocolToken' },
    ];
    expect(doc.servers['production-live']).toEqual({
      host: 'shop.example.com',
      pathname: '/live',
      protocol: 'wss',
      description: expect.stringContaining(
        'Connect to `wss://shop.example.com/live` (ShopGateway).',
      ),
      security,
    });
    expect(doc.servers['local-admin']).toMatchObject({
      host: 'localhost:3000',
      pathname: '/admin',
      protocol: 'ws',
      security,
    });
    expect(doc.servers['local-admin'].description).toContain('open and close at once with 1008');
    expect(doc.components.securitySchemes).toEqual({
      bearerHeader: {
        type: 'http',
        scheme: 'bearer',
        description: '`Authorization: Bearer <token>` on the upgrade request.',
      },
      accessTokenQuery: {
        type: 'httpApiKey',
        name: 'access_token',
        in: 'query',
        description: 'The token in the `access_token` query parameter of the WebSocket URL.',
      },
      subprotocolToken: {
        type: 'httpApiKey',
        name: 'Sec-WebSocket-Protocol',
        in: 'header',
        description: expect.stringContaining('dws.bearer'),
      },
    });
  });

  it('documents the connection channel: control messages, gateway events, the upgrade binding', () => {
    const connection = doc.channels.connection;
    expect(connection.address).toBeNull(); // two gateway paths: no single one to name
    expect(Object.keys(connection.messages)).toEqual([
      'welcome',
      'subscribe',
      'subscribeAck',
      'unsubscribe',
      'unsubscribeAck',
      'publish',
      'publishAck',
      'resume',
      'resumeAck',
      'presence',
      'presenceAck',
      'message',
      'presenceEvent',
      'positions',
      'error',
      'CartAddEvent',
      'CartAddReply',
      'KickEvent',
      'KickReply',
      'PingEvent',
      'PingReply',
    ]);
    expect(connection.bindings).toEqual({
      ws: {
        method: 'GET',
        query: {
          type: 'object',
          properties: { access_token: { type: 'string', description: 'The access token.' } },
        },
        headers: {
          type: 'object',
          properties: {
            Authorization: {
              type: 'string',
              pattern: '^Bearer .+$',
              description: '`Bearer <token>`.',
            },
            'Sec-WebSocket-Protocol': {
              type: 'string',
              description: expect.stringContaining('dws.bearer'),
            },
          },
        },
        bindingVersion: '0.1.0',
      },
    });
    const positions = doc.components.messages.positions.payload;
    expect(positions.properties.event).toEqual({ type: 'string', const: 'positions' });
    expect(doc.components.messages.error.description).toContain(
      '| `DWS_ERR_PUBLISH_NOT_ALLOWED` |',
    );
  });

  it('gives each topic a channel with its address template, parameters and ws binding', () => {
    expect(Object.keys(doc.channels)).toEqual([
      'connection',
      'chat',
      'feed',
      'metricsCpu',
      'ordersStatus',
      'broadcast',
      'connectionInbox',
      'userInbox',
    ]);
    expect(doc.channels.ordersStatus).toEqual({
      address: 'orders/{region}/{orderId}/status',
      title: 'orders/{region}/{orderId}/status',
      summary: 'Status changes of one order.',
      description: 'Pushed by the fulfilment jobs.',
      parameters: {
        region: { description: 'Sales region.', enum: ['eu', 'us'] },
        orderId: {
          description: 'Level 3 of the topic. Must match `^[0-9]+$`.',
          examples: ['1001'],
        },
      },
      messages: { OrdersStatusMessage: { $ref: '#/components/messages/OrdersStatusMessage' } },
      bindings: { ws: { method: 'GET', bindingVersion: '0.1.0' } },
    });
    expect(doc.channels.metricsCpu.description).toBe('Clients may not subscribe to this topic.');
    expect(doc.channels.chat.messages).toEqual({
      ChatLine: { $ref: '#/components/messages/ChatLine' },
    });
    expect(doc.channels.userInbox.address).toBe('$dws/user/{userId}');
  });

  it('takes message payloads from the declarations, nested schemas and examples included', () => {
    const orders = doc.components.messages.OrdersStatusMessage;
    expect(orders.payload).toEqual(orderSchema);
    expect(orders.payload).not.toBe(orderSchema);
    expect(orders.examples).toEqual([
      { payload: { status: 'shipped', lines: [{ sku: 'A-1', quantity: 2 }] } },
    ]);
    expect(doc.components.messages.ChatLine).toMatchObject({
      name: 'ChatLine',
      title: 'chat/{room}',
      payload: chatSchema,
    });
    expect(doc.components.messages.FeedMessage.payload).toEqual({});
  });

  it('has operations from the server side: send what it delivers, receive what clients may publish', () => {
    const actions = Object.fromEntries(
      Object.entries(doc.operations).map(([id, op]: [string, any]) => [
        id,
        `${op.action} ${op.channel.$ref}`,
      ]),
    );
    expect(actions).toEqual({
      sendWelcome: 'send #/channels/connection',
      receiveSubscribe: 'receive #/channels/connection',
      receiveUnsubscribe: 'receive #/channels/connection',
      receivePublish: 'receive #/channels/connection',
      receiveResume: 'receive #/channels/connection',
      receivePresence: 'receive #/channels/connection',
      sendMessage: 'send #/channels/connection',
      sendPresence: 'send #/channels/connection',
      sendPositions: 'send #/channels/connection',
      sendError: 'send #/channels/connection',
      receiveCartAddEvent: 'receive #/channels/connection',
      receiveKickEvent: 'receive #/channels/connection',
      receivePingEvent: 'receive #/channels/connection',
      sendChat: 'send #/channels/chat',
      receiveChat: 'receive #/channels/chat',
      sendFeed: 'send #/channels/feed',
      receiveMetricsCpu: 'receive #/channels/metricsCpu',
      sendOrdersStatus: 'send #/channels/ordersStatus',
      sendBroadcast: 'send #/channels/broadcast',
      sendToConnection: 'send #/channels/connectionInbox',
      sendToUser: 'send #/channels/userInbox',
    });
    expect(doc.operations.receiveChat.reply).toEqual({
      channel: { $ref: '#/channels/connection' },
      messages: [
        { $ref: '#/channels/connection/messages/publishAck' },
        { $ref: '#/channels/connection/messages/error' },
      ],
    });
    expect(doc.operations.sendChat.description).toContain('authorized by the gateway');
    expect(doc.operations.receiveChat.description).toContain('the gateway may change or refuse it');
    expect(doc.operations.receiveMetricsCpu.description).not.toContain('the gateway may');
  });

  it('documents gateway events with their payload and the ack carrying the reply', () => {
    expect(doc.operations.receiveCartAddEvent).toMatchObject({
      title: 'cart:add',
      summary: 'Adds an item to the cart.',
      messages: [{ $ref: '#/channels/connection/messages/CartAddEvent' }],
      reply: {
        channel: { $ref: '#/channels/connection' },
        messages: [
          { $ref: '#/channels/connection/messages/CartAddReply' },
          { $ref: '#/channels/connection/messages/error' },
        ],
      },
    });
    const request = doc.components.messages.CartAddEvent;
    expect(request.description).toBe('Idempotent per sku.');
    expect(request.payload.properties.event).toEqual({ type: 'string', const: 'cart:add' });
    expect(request.payload.properties.data).toEqual(cartAdd);
    expect(request.payload.required).toEqual(['event', 'data']);
    expect(doc.components.messages.CartAddReply.payload.properties.data).toEqual(cartReply);
    expect(doc.components.messages.CartAddReply.payload.required).toEqual(['event', 'id', 'data']);
    // Without @DescribeEvent: any data, which may be left out.
    expect(doc.components.messages.PingEvent.payload.required).toEqual(['event']);
  });

  it('is deterministic: the order of declarations does not change a byte', () => {
    const shuffled = {
      ...input,
      topics: [...input.topics].reverse(),
      events: [...input.events].reverse(),
    };
    expect(serializeAsyncApi(buildAsyncApiDocument(shuffled), 'yaml')).toBe(
      serializeAsyncApi(doc, 'yaml'),
    );
    expect(serializeAsyncApi(buildAsyncApiDocument(shuffled), 'json')).toBe(
      serializeAsyncApi(doc, 'json'),
    );
  });

  it('never emits YAML anchors, even when declarations share schema objects', () => {
    const shared = { type: 'object', properties: { a: { type: 'string' } } };
    const yaml = serializeAsyncApi(
      buildAsyncApiDocument({
        info: { title: 't', version: '1' },
        servers: { local: { host: 'localhost' } },
        topics: [
          {
            template: 'a/{x}',
            gateway: 'G',
            path: '/',
            payload: shared,
            clientsMayPublish: true,
            clientsMaySubscribe: true,
          },
          {
            template: 'b',
            gateway: 'G',
            path: '/',
            payload: shared,
            clientsMayPublish: false,
            clientsMaySubscribe: true,
          },
        ],
        events: [],
      }),
      'yaml',
    );
    expect(yaml).not.toMatch(/[&*]a\d/);
  });

  it('keeps channel ids distinct and independent of declaration order', () => {
    const build = (templates: string[]) =>
      Object.keys(
        buildAsyncApiDocument({
          info: { title: 't', version: '1' },
          servers: {},
          topics: templates.map((template) => ({
            template,
            gateway: 'G',
            path: '/',
            clientsMayPublish: false,
            clientsMaySubscribe: true,
          })),
          events: [],
        }).channels as object,
      );
    const templates = ['chat/rooms', 'chat/rooms/{id}', 'connection', 'chat-rooms'];
    const expected = [
      'connection',
      'chatRooms',
      'chatRooms2',
      'chatRoomsId',
      'connection2',
      'broadcast',
      'connectionInbox',
      'userInbox',
    ];
    expect(build(templates)).toEqual(expected);
    expect(build([...templates].reverse())).toEqual(expected);
  });
});

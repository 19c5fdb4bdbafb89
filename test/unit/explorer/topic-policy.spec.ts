import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { WebSocketGateway, WsException } from '@nestjs/websockets';
import { DistributedWsExplorer } from '../../../lib/explorer/distributed-ws.explorer.js';
import { GatewayMetadataAccessor } from '../../../lib/explorer/gateway-metadata.accessor.js';
import { TopicRegistry } from '../../../lib/explorer/topic-registry.js';
import {
  checkPattern,
  type PublishCheck,
  type Requester,
  TopicPolicy,
} from '../../../lib/explorer/topic-policy.js';
import { ProtocolError } from '../../../lib/protocol/protocol.error.js';
import {
  OnPublish,
  OnSubscribe,
  type PublishContext,
  type SubscribeContext,
  Topic,
} from '../../../lib/index.js';

const roomMessage = {
  type: 'object',
  properties: { text: { type: 'string' } },
  required: ['text'],
} as const;

@WebSocketGateway({ path: '/ws' })
@Topic('chat/rooms/{roomId}', {
  payload: roomMessage,
  clientsMayPublish: true,
  params: { roomId: { pattern: '^[0-9]+$' } },
})
@Topic('alerts/{level}', { payload: { type: 'object' } })
@Topic('audit/{id}', { clientsMaySubscribe: false, clientsMayPublish: true })
@Topic('chat/lobby')
@Topic('teams/{team}/{feed}', { wildcards: true })
@Topic('plain/{id}', { wildcards: false })
class PolicyGateway {
  subscribeCalls: SubscribeContext[] = [];
  publishCalls: PublishContext[] = [];

  @OnSubscribe('chat/rooms/{roomId}')
  notSecret(context: SubscribeContext): boolean {
    this.subscribeCalls.push(context);
    return context.params.roomId !== '13';
  }

  @OnSubscribe('chat/lobby')
  lobby(context: SubscribeContext): boolean {
    this.subscribeCalls.push(context);
    return true;
  }

  /** Team "red" is open to all; a pattern over every team only to staff. */
  @OnSubscribe('teams/{team}/{feed}')
  team(context: SubscribeContext<{ team: string; feed: string }, { staff?: boolean }>): boolean {
    this.subscribeCalls.push(context);
    return context.params.team === 'red' || context.principal.staff === true;
  }

  @OnPublish('chat/rooms/{roomId}')
  stamp(context: PublishContext<{ text: string }>): unknown {
    this.publishCalls.push(context);
    if (context.payload.text === 'refuse') return false;
    if (context.payload.text === 'throw') throw new WsException('no shouting');
    if (context.payload.text === 'keep') return true;
    return { ...context.payload, stamped: true };
  }
}

const alice: Requester = { id: 'c1', principal: { userId: 'alice' }, ws: { fake: 'socket' } };

function codeOf(result: unknown): { code: string; message: string } {
  expect(result).toBeInstanceOf(ProtocolError);
  const { code, message } = result as ProtocolError;
  return { code, message };
}

describe('TopicPolicy', () => {
  let gateway: PolicyGateway;
  let policy: TopicPolicy;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [DiscoveryModule],
      providers: [TopicRegistry, GatewayMetadataAccessor, DistributedWsExplorer, PolicyGateway],
    }).compile();
    moduleRef.get(DistributedWsExplorer).onModuleInit();
    gateway = moduleRef.get(PolicyGateway);
    policy = new TopicPolicy(moduleRef.get(TopicRegistry), { maxTopicLength: 24 });
  });

  beforeEach(() => {
    gateway.subscribeCalls = [];
    gateway.publishCalls = [];
  });

  describe('checkPublish for clients', () => {
    const client = (topic: unknown, payload: unknown = { text: 'hi' }) =>
      policy.checkPublish(topic, payload, 'client');

    it('refuses each broken rule with its code, in the order resolve → permission → params → schema', () => {
      expect(codeOf(client('chat//x'))).toEqual({
        code: 'DWS_ERR_INVALID_TOPIC',
        message: 'Topic "chat//x" is invalid: level 2 is empty. Levels are separated by "/".',
      });
      expect(codeOf(client('chat/rooms/1234567890123456')).code).toBe('DWS_ERR_INVALID_TOPIC');
      expect(codeOf(client('$dws/broadcast'))).toEqual({
        code: 'DWS_ERR_RESERVED_TOPIC',
        message: 'Topic "$dws/broadcast" is reserved to the server.',
      });
      expect(codeOf(client('nowhere/1'))).toEqual({
        code: 'DWS_ERR_UNKNOWN_TOPIC',
        message: 'Topic "nowhere/1" is not declared by any gateway.',
      });
      expect(codeOf(client('alerts/red', {}))).toEqual({
        code: 'DWS_ERR_PUBLISH_NOT_ALLOWED',
        message: 'Clients may not publish to "alerts/{level}".',
      });
      expect(codeOf(client('chat/rooms/abc', { text: 5 }))).toEqual({
        code: 'DWS_ERR_INVALID_TOPIC',
        message: 'Parameter "roomId" of "chat/rooms/{roomId}" must match ^[0-9]+$.',
      });
      expect(codeOf(client('chat/rooms/1', { text: 5 }))).toEqual({
        code: 'DWS_ERR_INVALID_PAYLOAD',
        message: 'payload.text must be string.',
      });
    });

    it('lets a valid publish through with the declaration and its hooks', () => {
      const check = client('chat/rooms/7') as PublishCheck;
      expect(check.topic).toBe('chat/rooms/7');
      expect(check.payload).toEqual({ text: 'hi' });
      expect(check.params).toEqual({ roomId: '7' });
      expect(check.definition?.template.source).toBe('chat/rooms/{roomId}');
      expect(check.hooks).toHaveLength(1);
    });
  });

  describe('checkPublish for the server', () => {
    const server = (topic: unknown, payload: unknown = {}) =>
      policy.checkPublish(topic, payload, 'server');

    it('refuses an invalid or reserved topic and a payload its schema refuses, worded for the developer', () => {
      expect(codeOf(server('news/+'))).toEqual({
        code: 'DWS_ERR_INVALID_TOPIC',
        message:
          'Topic "news/+" is invalid: wildcards ("+", "#") are only allowed in subscriptions.',
      });
      expect(codeOf(server('$dws/broadcast'))).toEqual({
        code: 'DWS_ERR_RESERVED_TOPIC',
        message:
          'Topic "$dws/broadcast" is reserved: use broadcast(), sendToConnection() or sendToUser().',
      });
      expect(codeOf(server('chat/rooms/1', { text: 5 }))).toEqual({
        code: 'DWS_ERR_INVALID_PAYLOAD',
        message:
          'Payload for "chat/rooms/1" does not match its schema: payload.text must be string.',
      });
    });

    it('may publish where clients may not: undeclared, server-only, unchecked params, past maxTopicLength', () => {
      const undeclared = server('nowhere/1') as PublishCheck;
      expect(undeclared).toEqual({
        topic: 'nowhere/1',
        payload: {},
        definition: null,
        params: {},
        hooks: [],
      });
      expect((server('alerts/red') as PublishCheck).definition?.template.source).toBe(
        'alerts/{level}',
      );
      expect((server('chat/rooms/abc', { text: 'x' }) as PublishCheck).params).toEqual({
        roomId: 'abc',
      });
      expect(server('chat/rooms/1234567890123456', { text: 'x' })).not.toBeInstanceOf(
        ProtocolError,
      );
    });

    it('runs no @OnPublish hook', async () => {
      const check = server('chat/rooms/1', { text: 'refuse' }) as PublishCheck;
      expect(check.hooks).toEqual([]);
      expect(await policy.runPublishHooks(check, alice)).toEqual({ payload: { text: 'refuse' } });
      expect(gateway.publishCalls).toEqual([]);
    });
  });

  describe('runPublishHooks', () => {
    const hooked = (text: string) =>
      policy.runPublishHooks(
        policy.checkPublish('chat/rooms/7', { text }, 'client') as PublishCheck,
        alice,
      );

    it('publishes what the hook returns, or the payload when it returns true', async () => {
      expect(await hooked('hi')).toEqual({ payload: { text: 'hi', stamped: true } });
      expect(await hooked('keep')).toEqual({ payload: { text: 'keep' } });
      expect(gateway.publishCalls[0]).toEqual({
        topic: 'chat/rooms/7',
        template: 'chat/rooms/{roomId}',
        params: { roomId: '7' },
        payload: { text: 'hi' },
        connectionId: 'c1',
        principal: { userId: 'alice' },
        client: { fake: 'socket' },
      });
    });

    it('refuses with DWS_ERR_FORBIDDEN when a hook returns false, and passes on what it throws', async () => {
      expect(codeOf(await hooked('refuse'))).toEqual({
        code: 'DWS_ERR_FORBIDDEN',
        message: 'Publishing to "chat/rooms/7" was refused.',
      });
      await expect(hooked('throw')).rejects.toThrow(WsException);
    });
  });

  describe('checkSubscribe', () => {
    it('refuses each broken rule with its code', async () => {
      expect(codeOf(await policy.checkSubscribe('nowhere/#', alice, false))).toEqual({
        code: 'DWS_ERR_UNKNOWN_TOPIC',
        message: 'Pattern "nowhere/#" matches no topic declared by a gateway.',
      });
      expect(codeOf(await policy.checkSubscribe('audit/+', alice, false))).toEqual({
        code: 'DWS_ERR_FORBIDDEN',
        message: 'Clients may not subscribe to "audit/{id}".',
      });
      expect(codeOf(await policy.checkSubscribe('chat/rooms/abc', alice, false))).toEqual({
        code: 'DWS_ERR_INVALID_TOPIC',
        message: 'Parameter "roomId" of "chat/rooms/{roomId}" must match ^[0-9]+$.',
      });
      expect(codeOf(await policy.checkSubscribe('chat/rooms/13', alice, true))).toEqual({
        code: 'DWS_ERR_FORBIDDEN',
        message: 'Subscription to "chat/rooms/13" was denied.',
      });
    });

    it('allows a pattern every overlapping declaration allows, telling hooks about resume', async () => {
      expect(await policy.checkSubscribe('chat/rooms/7', alice, true)).toBeNull();
      expect(await policy.checkSubscribe('alerts/red', alice, false)).toBeNull();
      expect(gateway.subscribeCalls).toEqual([
        {
          topic: 'chat/rooms/7',
          template: 'chat/rooms/{roomId}',
          params: { roomId: '7' },
          openParams: [],
          connectionId: 'c1',
          principal: { userId: 'alice' },
          resuming: true,
          client: { fake: 'socket' },
        },
      ]);
    });
  });

  describe('checkSubscribe with wildcards', () => {
    const staff: Requester = { id: 'c2', principal: { staff: true }, ws: { fake: 'socket' } };
    const refusal = (filter: string, names: string, source: string) => ({
      code: 'DWS_ERR_WILDCARD_NOT_ALLOWED',
      message: `Pattern "${filter}" leaves ${names} of "${source}" open, which that topic does not accept: subscribe to each topic. To accept it, declare @Topic('${source}', { wildcards: true }): the @OnSubscribe hook then decides, with the open parameters in context.openParams.`,
    });
    const seen = () =>
      gateway.subscribeCalls.map(({ topic, template, params, openParams, resuming }) => ({
        topic,
        template,
        params,
        openParams,
        resuming,
      }));

    it('refuses a + or # over a parameter a hook decides on, before any hook runs, on resume too', async () => {
      const rooms = 'chat/rooms/{roomId}';
      for (const [filter, resuming] of [
        ['chat/rooms/+', false],
        ['chat/rooms/#', true],
        ['+/rooms/+', false],
        // Also covers chat/lobby, whose hook would allow: one refusal refuses the pattern.
        ['chat/#', true],
        ['chat/+/+', false],
      ] as const) {
        expect(codeOf(await policy.checkSubscribe(filter, alice, resuming))).toEqual(
          refusal(filter, '"roomId"', rooms),
        );
      }
      expect(gateway.subscribeCalls).toEqual([]);
    });

    it('asks the hooks about a wildcard over literal levels only: the parameters are all fixed', async () => {
      expect(codeOf(await policy.checkSubscribe('+/rooms/13', alice, false))).toEqual({
        code: 'DWS_ERR_FORBIDDEN',
        message: 'Subscription to "+/rooms/13" was denied.',
      });
      expect(await policy.checkSubscribe('chat/+', alice, false)).toBeNull();
      expect(seen()).toEqual([
        {
          topic: '+/rooms/13',
          template: 'chat/rooms/{roomId}',
          params: { roomId: '13' },
          openParams: [],
          resuming: false,
        },
        { topic: 'chat/+', template: 'chat/lobby', params: {}, openParams: [], resuming: false },
      ]);
    });

    it('with wildcards: true, tells the hook which parameters are open and lets it allow or deny', async () => {
      expect(await policy.checkSubscribe('teams/red/+', alice, false)).toBeNull();
      expect(codeOf(await policy.checkSubscribe('teams/+/news', alice, false))).toEqual({
        code: 'DWS_ERR_FORBIDDEN',
        message: 'Subscription to "teams/+/news" was denied.',
      });
      expect(codeOf(await policy.checkSubscribe('teams/#', alice, true)).code).toBe(
        'DWS_ERR_FORBIDDEN',
      );
      expect(await policy.checkSubscribe('teams/#', staff, true)).toBeNull();
      expect(seen()).toEqual([
        {
          topic: 'teams/red/+',
          template: 'teams/{team}/{feed}',
          params: { team: 'red' },
          openParams: ['feed'],
          resuming: false,
        },
        {
          topic: 'teams/+/news',
          template: 'teams/{team}/{feed}',
          params: { feed: 'news' },
          openParams: ['team'],
          resuming: false,
        },
        ...[true, true].map((resuming) => ({
          topic: 'teams/#',
          template: 'teams/{team}/{feed}',
          params: {},
          openParams: ['team', 'feed'],
          resuming,
        })),
      ]);
    });

    it('accepts wildcards on a topic without a hook, unless it says wildcards: false', async () => {
      expect(await policy.checkSubscribe('alerts/+', alice, false)).toBeNull();
      expect(await policy.checkSubscribe('alerts/#', alice, false)).toBeNull();
      expect(await policy.checkSubscribe('plain/1', alice, false)).toBeNull();
      expect(codeOf(await policy.checkSubscribe('plain/+', alice, false))).toEqual(
        refusal('plain/+', '"id"', 'plain/{id}'),
      );
      expect(gateway.subscribeCalls).toEqual([]);
    });
  });

  describe('checkPattern', () => {
    it('returns the pattern, or DWS_ERR_INVALID_TOPIC / DWS_ERR_RESERVED_TOPIC', () => {
      expect(checkPattern('chat/+/x/#', 256)).toBe('chat/+/x/#');
      expect(codeOf(checkPattern('a/#/b', 256))).toEqual({
        code: 'DWS_ERR_INVALID_TOPIC',
        message: 'Pattern "a/#/b" is invalid: "#" must be the last level.',
      });
      expect(codeOf(checkPattern('abcdef', 5)).code).toBe('DWS_ERR_INVALID_TOPIC');
      expect(codeOf(checkPattern('$dws/#', 256))).toEqual({
        code: 'DWS_ERR_RESERVED_TOPIC',
        message: 'Topic "$dws/#" is reserved to the server.',
      });
    });
  });
});

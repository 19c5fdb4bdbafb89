import { describe, expect, it } from '@jest/globals';
import { Reflector } from '@nestjs/core';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { GatewayMetadataAccessor } from '../../../lib/explorer/gateway-metadata.accessor.js';
import { DescribeEvent, OnPublish, OnSubscribe, Topic } from '../../../lib/index.js';

@WebSocketGateway({ path: '/chat' })
@Topic('rooms/{roomId}')
@Topic('news')
class ChatGateway {
  @OnSubscribe('rooms/{roomId}')
  canJoin(): boolean {
    return true;
  }

  @OnPublish()
  onAnyPublish(): undefined {
    return undefined;
  }

  @SubscribeMessage('echo')
  @DescribeEvent({ payload: { type: 'object' } })
  echo(): void {}

  @SubscribeMessage('ping')
  ping(): void {}

  helper(): void {}
}

@WebSocketGateway()
class PlainGateway {}

class NotAGateway {}

describe('GatewayMetadataAccessor', () => {
  const accessor = new GatewayMetadataAccessor(new Reflector());
  const { prototype } = ChatGateway;

  it('tells gateways from other classes', () => {
    expect(accessor.isGateway(ChatGateway)).toBe(true);
    expect(accessor.isGateway(PlainGateway)).toBe(true);
    expect(accessor.isGateway(NotAGateway)).toBe(false);
  });

  it("reads the gateway's path, / when it sets none", () => {
    expect(accessor.gatewayPath(ChatGateway)).toBe('/chat');
    expect(accessor.gatewayPath(PlainGateway)).toBe('/');
  });

  it('reads @Topic declarations in the order they are written', () => {
    expect(accessor.topics(ChatGateway)?.map((t) => t.template)).toEqual([
      'rooms/{roomId}',
      'news',
    ]);
    expect(accessor.topics(PlainGateway)).toBeUndefined();
  });

  it('reads topic hooks, with or without a template', () => {
    expect(accessor.topicHook(prototype.canJoin)).toEqual({
      kind: 'subscribe',
      template: 'rooms/{roomId}',
    });
    expect(accessor.topicHook(prototype.onAnyPublish)).toEqual({
      kind: 'publish',
      template: undefined,
    });
    expect(accessor.topicHook(prototype.helper)).toBeUndefined();
  });

  it('reads the event of a @SubscribeMessage handler and its @DescribeEvent options', () => {
    expect(accessor.subscribedEvent(prototype.echo)).toBe('echo');
    expect(accessor.eventOptions(prototype.echo)).toEqual({ payload: { type: 'object' } });
    expect(accessor.subscribedEvent(prototype.ping)).toBe('ping');
    expect(accessor.eventOptions(prototype.ping)).toEqual({});
    expect(accessor.subscribedEvent(prototype.helper)).toBeUndefined();
  });
});

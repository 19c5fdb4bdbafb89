import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Injectable, Logger, Scope } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { WebSocketGateway } from '@nestjs/websockets';
import { DistributedWsExplorer } from '../../../lib/explorer/distributed-ws.explorer.js';
import { GatewayMetadataAccessor } from '../../../lib/explorer/gateway-metadata.accessor.js';
import { TopicRegistry } from '../../../lib/explorer/topic-registry.js';
import { OnSubscribe, Topic } from '../../../lib/index.js';

@Injectable()
class RoomDirectory {
  isOpen(): boolean {
    return true;
  }
}

@WebSocketGateway({ path: '/ws' })
@Injectable({ scope: Scope.REQUEST })
@Topic('rooms/{roomId}')
@Topic('news')
class PerRequestGateway {
  constructor(readonly rooms: RoomDirectory) {}

  @OnSubscribe('rooms/{roomId}')
  canJoin(): boolean {
    return this.rooms.isOpen();
  }
}

@WebSocketGateway({ path: '/ws' })
@Topic('lobby')
class SingletonGateway {}

@WebSocketGateway({ path: '/ws' })
@Injectable({ scope: Scope.REQUEST })
class PerRequestWithoutTopics {}

/** Explores the given providers the way the module does at boot. */
async function explore(...providers: (new (...args: never[]) => unknown)[]) {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [
      RoomDirectory,
      TopicRegistry,
      GatewayMetadataAccessor,
      DistributedWsExplorer,
      ...providers,
    ],
  }).compile();
  moduleRef.get(DistributedWsExplorer).onModuleInit();
  return moduleRef.get(TopicRegistry);
}

describe('DistributedWsExplorer', () => {
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  afterEach(() => {
    warn.mockClear();
  });

  it('warns once, naming a request-scoped gateway with topics and what happens to it', async () => {
    const registry = await explore(PerRequestGateway, SingletonGateway);
    expect(warn.mock.calls).toEqual([
      [
        'PerRequestGateway is request-scoped (or depends on a request-scoped provider). Its 2 @Topic declaration(s) are registered, but its @OnSubscribe/@OnPublish hooks run on one shared PerRequestGateway that Nest never constructed: injected dependencies and fields are undefined there. Make PerRequestGateway and its dependencies singletons (the default scope).',
      ],
    ]);
    // What the warning says: the topics are there.
    expect(registry.topics.map((t) => t.template.source)).toEqual([
      'rooms/{roomId}',
      'news',
      'lobby',
    ]);
  });

  it('says nothing about singletons, or request-scoped gateways declaring no topics', async () => {
    await explore(SingletonGateway, PerRequestWithoutTopics);
    expect(warn).not.toHaveBeenCalled();
  });
});

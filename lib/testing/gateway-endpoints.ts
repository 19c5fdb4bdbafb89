import type { INestApplicationContext, Type } from '@nestjs/common';
import { normalizePath } from '@nestjs/common/utils/shared.utils.js';
import { DiscoveryService } from '@nestjs/core';
import { PORT_METADATA } from '@nestjs/websockets/constants.js';
import { DistributedWsModule } from '../distributed-ws.module.js';
import { GatewayMetadataAccessor } from '../explorer/gateway-metadata.accessor.js';
import { TestingGatewayError } from './testing-gateway.error.js';

/** Where a gateway accepts connections. */
export interface GatewayEndpoint {
  /** As `@nestjs/platform-ws` routes it: `/ws` for `path: 'ws/'`, `/` without a path. */
  path: string;
  /** 0: the app's own HTTP server (the usual case); another number: the gateway's own port. */
  port: number;
}

/**
 * The endpoints of the `@WebSocketGateway()` classes of a compiled module, one per path, sorted.
 * @throws TestingGatewayError when the module does not import `DistributedWsModule` (without it
 *   Nest would fall back to Socket.IO) or declares no gateway.
 */
export function gatewayEndpoints(app: INestApplicationContext): GatewayEndpoint[] {
  if (!has(app, DistributedWsModule)) {
    throw new TestingGatewayError(
      'The testing module does not import DistributedWsModule: import DistributedWsModule.forRoot({ … }) in it (or in the module you pass), which installs the WebSocket adapter.',
    );
  }
  const metadata = app.get(GatewayMetadataAccessor, { strict: false });
  const byPath = new Map<string, GatewayEndpoint>();
  for (const { metatype } of app.get(DiscoveryService, { strict: false }).getProviders()) {
    if (typeof metatype !== 'function' || !metadata.isGateway(metatype as Type)) continue;
    const path = normalizePath(metadata.gatewayPath(metatype as Type));
    const port = Number(Reflect.getMetadata(PORT_METADATA, metatype) ?? 0);
    if (!byPath.has(path)) byPath.set(path, { path, port });
  }
  if (byPath.size === 0) {
    throw new TestingGatewayError(
      'The testing module declares no @WebSocketGateway(): add the gateway class to the providers of a module it imports.',
    );
  }
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path));
}

function has(app: INestApplicationContext, token: Type<unknown>): boolean {
  try {
    app.get(token, { strict: false });
    return true;
  } catch {
    return false;
  }
}

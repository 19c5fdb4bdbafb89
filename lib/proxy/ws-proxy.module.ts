import { Module } from '@nestjs/common';
import { WsProxyConfigurableModule } from './ws-proxy.module-definition.js';
import { WebSocketProxy } from './ws-proxy.service.js';

/**
 * Makes this app (an API gateway) forward the WebSockets of one path to an upstream WebSocket
 * server, both ways, with the client's credentials. Import it once per proxied path. It needs no
 * `DistributedWsModule` and coexists with the app's own gateways on other paths.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [WsProxyModule.register({ path: '/ws', upstream: 'ws://chat-service:3000/ws' })],
 * })
 * export class GatewayModule {}
 * // or, from configuration:
 * WsProxyModule.registerAsync({
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ path: '/ws', upstream: config.get('CHAT_WS_URL') }),
 * });
 * ```
 */
@Module({ providers: [WebSocketProxy], exports: [WebSocketProxy] })
export class WsProxyModule extends WsProxyConfigurableModule {}

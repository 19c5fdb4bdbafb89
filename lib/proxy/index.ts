/**
 * `nestjs-distributed-ws/proxy`: a WebSocket proxy for API gateways, forwarding clients to the
 * instances that run `DistributedWsModule` (docs/security.md, "The proxy").
 * @publicApi
 */
export { WsProxyModule } from './ws-proxy.module.js';
export { WebSocketProxy } from './ws-proxy.service.js';
export { WS_PROXY_OPTIONS } from './ws-proxy.module-definition.js';
export type { WsProxyOptions } from './ws-proxy.options.js';
export { WsProxyConfigError } from '../errors/ws-proxy-config.error.js';

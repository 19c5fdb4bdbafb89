import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { WsProxyOptions } from './ws-proxy.options.js';

export const {
  ConfigurableModuleClass: WsProxyConfigurableModule,
  MODULE_OPTIONS_TOKEN: WS_PROXY_OPTIONS,
} = new ConfigurableModuleBuilder<WsProxyOptions>().build();

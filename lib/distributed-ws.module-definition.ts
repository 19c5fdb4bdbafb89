import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { DistributedWsOptions } from './distributed-ws.options.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: DWS_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<DistributedWsOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

import { Module } from '@nestjs/common';
import { DistributedWsModule } from '../lib/index.js';
import { jwtAuthenticate } from './auth.js';
import { brokerUrlFromEnv } from './broker-url.js';
import { ChatGateway } from './chat.gateway.js';
import { PageController } from './page.controller.js';

@Module({
  imports: [
    DistributedWsModule.forRoot({
      broker: brokerUrlFromEnv(),
      sessionSecret: process.env.DWS_SESSION_SECRET,
      // With JWT_SECRET set, only clients with a valid token connect; without, all are guests.
      authenticate: process.env.JWT_SECRET ? jwtAuthenticate(process.env.JWT_SECRET) : undefined,
      // The AsyncAPI document at /asyncapi (viewer), /asyncapi.json and /asyncapi.yaml.
      asyncapi: { serve: {} },
    }),
  ],
  controllers: [PageController],
  providers: [ChatGateway],
})
export class AppModule {}

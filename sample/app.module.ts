import { Module } from '@nestjs/common';
import { DistributedWsModule } from '../lib/index.js';
import { ChatGateway } from './chat.gateway.js';
import { PageController } from './page.controller.js';

@Module({
  imports: [
    DistributedWsModule.forRoot({
      broker: process.env.BROKER_URL ?? 'memory://',
      sessionSecret: process.env.DWS_SESSION_SECRET,
    }),
  ],
  controllers: [PageController],
  providers: [ChatGateway],
})
export class AppModule {}

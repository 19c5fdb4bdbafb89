/**
 * A new user's Nest application, written out by the consumer test into a directory of its own
 * outside the repository. It imports the library only by its published name, so it compiles
 * against the packed declarations and runs against the packed JavaScript.
 */
export const CONSUMER_FILES: Record<string, string> = {
  'package.json': JSON.stringify(
    { name: 'dws-consumer', private: true, version: '1.0.0', type: 'module' },
    null,
    2,
  ),

  // Strict, as a careful application would be: the library's declarations are checked too.
  'tsconfig.json': JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        rootDir: 'src',
        outDir: 'dist',
        strict: true,
        skipLibCheck: false,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        types: ['node'],
      },
      include: ['src'],
    },
    null,
    2,
  ),

  'src/orders.gateway.ts': `import { WebSocketGateway } from '@nestjs/websockets';
import { Topic, type SubscribeContext, OnSubscribe } from 'nestjs-distributed-ws';

@WebSocketGateway({ path: '/ws' })
@Topic('orders/{orderId}/status', {
  payload: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['placed', 'shipped'] } },
  },
  clientsMayPublish: true,
  // The hook below allows a pattern over every order (orders/+/status): it opts in.
  wildcards: true,
})
export class OrdersGateway {
  @OnSubscribe('orders/{orderId}/status')
  canFollow(context: SubscribeContext<{ orderId: string }>): boolean {
    return context.params.orderId !== 'secret';
  }
}
`,

  'src/app.module.ts': `import { Module } from '@nestjs/common';
import { DistributedWsModule } from 'nestjs-distributed-ws';
import { OrdersGateway } from './orders.gateway.js';

@Module({
  imports: [DistributedWsModule.forRoot({ broker: 'memory://' })],
  providers: [OrdersGateway],
})
export class AppModule {}
`,

  'src/main.ts': `import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module.js';

const app = await NestFactory.create(AppModule, { logger: ['error'] });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address() as AddressInfo;
console.log(\`listening on \${port}\`);
`,

  // The SDK in Node 20, with ws' WebSocket; prints what it received, as JSON, and exits.
  'src/round-trip.ts': `import { connect } from 'nestjs-distributed-ws/client';
import WebSocket from 'ws';

interface Topics {
  [order: \`orders/\${string}/status\`]: { status: 'placed' | 'shipped' };
}

const client = connect<Topics>({ url: process.argv[2]!, WebSocket });
const received = new Promise<unknown>((resolve) => {
  // payload is typed from Topics: reading a field that is not there would not compile.
  const subscription = client.subscribe('orders/+/status', (payload, { topic }) =>
    resolve({ topic, status: payload.status }),
  );
  void subscription.ready.then(() => client.publish('orders/42/status', { status: 'shipped' }));
});
const timeout = setTimeout(() => {
  console.error('no message within 10 s');
  process.exit(1);
}, 10_000);
console.log(JSON.stringify(await received));
clearTimeout(timeout);
client.close();
`,
};

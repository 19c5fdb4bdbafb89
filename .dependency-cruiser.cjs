/**
 * The layers of lib/, checked by `npm run lint:deps` (part of `npm test`). A layer imports only
 * from itself and the layers below it; docs/architecture.md draws the picture.
 *
 *   pure      protocol/ topics/ errors/             no Nest, no I/O: shared with the client SDK
 *   broker    broker/                               the backplane (in-memory, Redis Streams)
 *   config    the root's options, constants, config, module definition
 *   registry  decorators/ explorer/                 what gateways declare
 *   ports     security/ presence/ metrics/ instance-commands/
 *   adapter   adapter/                              sockets, frames, connections, resume
 *   services  broadcaster/ health/ proxy/ asyncapi/
 *   module    distributed-ws.module.ts, distributed-ws.lifecycle.ts, index.ts
 *   testing   testing/                              the `/testing` entry point: boots the module
 *
 * client/ (the SDK) imports only the pure layer; nothing in lib/ imports testing/.
 */
const LAYERS = [
  { name: 'pure', path: '^lib/(protocol|topics|errors)/' },
  { name: 'broker', path: '^lib/broker/' },
  {
    name: 'config',
    path: '^lib/(distributed-ws\\.(constants|options|config|module-definition)|[a-z-]+\\.options|docs-mode)\\.ts$',
  },
  { name: 'registry', path: '^lib/(decorators|explorer)/' },
  { name: 'ports', path: '^lib/(security|presence|metrics|instance-commands)/' },
  { name: 'adapter', path: '^lib/adapter/' },
  { name: 'services', path: '^lib/(broadcaster|health|proxy|asyncapi)/' },
  { name: 'module', path: '^lib/(distributed-ws\\.(module|lifecycle)|index)\\.ts$' },
  { name: 'testing', path: '^lib/testing/' },
];

const upward = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(i + 1).map((l) => l.path);
  if (above.length === 0) return [];
  return [
    {
      name: `${layer.name}-points-down`,
      comment: `${layer.name} may import only from itself and the layers below it (docs/architecture.md).`,
      severity: 'error',
      from: { path: layer.path },
      to: { path: above.join('|') },
    },
  ];
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'A cycle between files: one of them belongs in a lower layer, or needs a narrow interface.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'every-file-in-a-layer',
      comment:
        'A file of lib/ outside every layer: add its folder to a layer in .dependency-cruiser.cjs.',
      severity: 'error',
      from: {
        path: '^lib/',
        pathNot: [...LAYERS.map((l) => l.path), '^lib/client/'],
      },
      to: {},
    },
    {
      name: 'client-imports-only-pure',
      comment:
        'The client SDK runs in browsers: it imports protocol/ and topics/ only, never the server.',
      severity: 'error',
      from: { path: '^lib/client/' },
      to: { path: '^lib/', pathNot: ['^lib/(client|protocol|topics)/'] },
    },
    {
      name: 'pure-has-no-nest',
      comment: 'protocol/, topics/, errors/ and the client are pure: no Nest, no Redis, no ws.',
      severity: 'error',
      from: { path: '^lib/(protocol|topics|errors|client)/' },
      to: { path: '^node_modules/(@nestjs|ioredis|ws)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};

// Bundles for the browser, run by `npm run build` and before `npm start` (outputs are generated,
// not committed):
// - sample/public/dws-client.js: the client SDK for pages without a bundler, as the global
//   `DistributedWs` (connect, DistributedWsClient, DwsClientError, ErrorCode, CloseCode);
// - sample/public/app.js: the sample's chat page, from sample/public/app.ts with the SDK in it.
//   Its types come from sample/generated/topics.ts (`dws-asyncapi --types`); esbuild only strips
//   them: `npm run typecheck` is what checks them.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const browser = {
  absWorkingDir: root,
  bundle: true,
  format: 'iife',
  target: 'es2020',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
};

await Promise.all([
  build({
    ...browser,
    entryPoints: ['lib/client/browser.ts'],
    globalName: 'DistributedWs',
    outfile: 'sample/public/dws-client.js',
  }),
  build({
    ...browser,
    entryPoints: ['sample/public/app.ts'],
    outfile: 'sample/public/app.js',
  }),
]);

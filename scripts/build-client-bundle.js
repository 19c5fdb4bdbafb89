// Bundles the client SDK for pages without a bundler: sample/public/dws-client.js defines the
// global `DistributedWs` (connect, DistributedWsClient, DwsClientError, ErrorCode, CloseCode).
// Run by `npm run build` and before `npm start`; the output is generated, not committed.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: root,
  entryPoints: ['lib/client/browser.ts'],
  bundle: true,
  format: 'iife',
  globalName: 'DistributedWs',
  outfile: 'sample/public/dws-client.js',
  target: 'es2020',
  platform: 'browser',
  legalComments: 'none',
  logLevel: 'warning',
});

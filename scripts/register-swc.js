// Lets `node --import ./scripts/register-swc.js file.ts` run TypeScript sources directly (npm start).
import { register } from 'node:module';
register('./swc-loader.js', import.meta.url);

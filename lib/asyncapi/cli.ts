#!/usr/bin/env node
import 'reflect-metadata';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { generateAsyncApi } from './asyncapi.generator.js';

const USAGE = `Usage: dws-asyncapi <compiled-module.js> [--module AppModule] [--out asyncapi.yaml] [--types topics.ts]

Boots the module without network (no port, no Redis) and writes its AsyncAPI 3.0 document.
  -m, --module <name>  exported module class (default: AppModule, or the file's only module)
  -o, --out <file>     output file; .json writes JSON, anything else YAML (default: asyncapi.yaml,
                       none when only --types is given)
  -t, --types <file>   also write TopicMap and EventMap, the client SDK's types, as TypeScript
  -h, --help           show this help`;

function fail(message: string): never {
  process.stderr.write(`dws-asyncapi: ${message}\n`);
  // Whatever the half-booted app left open must not keep a build waiting.
  process.exit(1);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        module: { type: 'string', short: 'm' },
        out: { type: 'string', short: 'o' },
        types: { type: 'string', short: 't' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (parsed.positionals.length !== 1) fail(`expected one module file.\n\n${USAGE}`);
  const { document, file, changed, types } = await generateAsyncApi({
    modulePath: parsed.positionals[0],
    exportName: parsed.values.module,
    out: parsed.values.out,
    types: parsed.values.types,
    command: ['dws-asyncapi', ...process.argv.slice(2).map(quoteArgument)].join(' '),
  });
  const count = (key: string) => Object.keys(document[key] as object).length;
  const shown = (path: string) => relative(process.cwd(), path) || path;
  if (file) {
    process.stdout.write(
      `dws-asyncapi: ${changed ? 'wrote' : 'unchanged'} ${shown(file)} (${count('channels')} channels, ${count('operations')} operations)\n`,
    );
  }
  if (types) {
    process.stdout.write(
      `dws-asyncapi: ${types.changed ? 'wrote' : 'unchanged'} ${shown(types.file)} (TopicMap, EventMap)\n`,
    );
  }
  process.exit(0);
}

/** An argument as a shell would need it, for the command quoted in the types file. */
function quoteArgument(argument: string): string {
  return /^[\w./=:@-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`;
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));

import 'reflect-metadata';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DWS_OPTIONS } from '../distributed-ws.module-definition.js';
import type { DistributedWsOptions } from '../distributed-ws.options.js';
import { enableDocsOnlyMode } from '../docs-mode.js';
import { TopicRegistry } from '../explorer/topic-registry.js';
import { buildAsyncApiDocument } from './asyncapi.builder.js';
import { describeApp } from './asyncapi.input.js';
import type { AsyncApiDocument } from './asyncapi.interface.js';
import { formatOfPath, serializeAsyncApi } from './asyncapi.serializer.js';
import { writeTopicTypes } from './topic-types.generator.js';
import { writeIfChanged } from './write-if-changed.js';
import { AsyncApiGenerationError } from '../errors/asyncapi-generation.error.js';

export interface GenerateAsyncApiOptions {
  /** The compiled file that exports the root module (`dist/app.module.js`). */
  modulePath: string;
  /** Name of the exported module class. @default 'AppModule', or the file's only module */
  exportName?: string;
  /**
   * Where to write; `.json` writes JSON, anything else YAML.
   * @default 'asyncapi.yaml', or no document when only `types` is given
   */
  out?: string;
  /** Where to write the `TopicMap` and `EventMap` types for the client SDK. @default none */
  types?: string;
  /** The command quoted in the types file's header. @default 'dws-asyncapi' */
  command?: string;
}

/** What {@link generateAsyncApi} wrote. */
export interface GeneratedFiles {
  document: AsyncApiDocument;
  /** The document's absolute path, null when it was not asked for. */
  file: string | null;
  /** Whether the document's content changed. */
  changed: boolean;
  /** The types file, when asked for. */
  types?: { file: string; changed: boolean };
}

/**
 * Boots the app's module as an application context in docs-only mode (embedded broker, no
 * adapter, no port, no Redis), builds the document from its topic registry and writes it, and
 * with `types` the SDK's topic and event types from the same declarations. A file is rewritten
 * only when its content changed.
 *
 * @returns the document, and the files written with whether their content changed.
 * @throws AsyncApiGenerationError for a missing file or export, or an app that fails to boot.
 * @example
 * ```ts
 * await generateAsyncApi({ modulePath: 'dist/app.module.js', out: 'asyncapi.yaml' });
 * ```
 */
export async function generateAsyncApi(options: GenerateAsyncApiOptions): Promise<GeneratedFiles> {
  const modulePath = resolve(options.modulePath);
  if (!existsSync(modulePath)) {
    throw new AsyncApiGenerationError(
      `Module file "${options.modulePath}" not found (looked at ${modulePath}). Pass the compiled file that exports your root module, e.g. dist/app.module.js, and build first.`,
    );
  }
  enableDocsOnlyMode();
  const exports = await importModule(modulePath);
  const moduleClass = pickModule(exports, options.exportName, options.modulePath);

  let app;
  try {
    app = await NestFactory.createApplicationContext(moduleClass, {
      logger: false,
      abortOnError: false,
    });
  } catch (error) {
    throw new AsyncApiGenerationError(
      `${moduleClass.name} failed to boot: ${(error as Error).message}`,
    );
  }
  try {
    const registry = lookup<TopicRegistry>(app, TopicRegistry);
    if (!registry) {
      throw new AsyncApiGenerationError(
        `${moduleClass.name} does not import DistributedWsModule, or imports another copy of nestjs-distributed-ws than this CLI (run the CLI installed next to the app).`,
      );
    }
    const moduleOptions = lookup<DistributedWsOptions>(app, DWS_OPTIONS) ?? {};
    const input = describeApp(registry, moduleOptions, dirname(modulePath));
    const document = buildAsyncApiDocument(input);
    const types = options.types
      ? await writeTopicTypes(input, options.types, options.command ?? 'dws-asyncapi')
      : undefined;
    if (options.types && options.out === undefined)
      return { document, file: null, changed: false, types };
    const file = resolve(options.out ?? 'asyncapi.yaml');
    const changed = writeIfChanged(file, serializeAsyncApi(document, formatOfPath(file)));
    return { document, file, changed, ...(types ? { types } : {}) };
  } finally {
    await app.close();
  }
}

async function importModule(modulePath: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  } catch (error) {
    throw new AsyncApiGenerationError(
      `Importing "${modulePath}" failed: ${(error as Error).message}`,
    );
  }
}

type ModuleClass = Type<unknown>;

function isNestModule(value: unknown): value is ModuleClass {
  return (
    typeof value === 'function' &&
    ['imports', 'providers', 'controllers'].some(
      (key) => Reflect.getMetadata(key, value) !== undefined,
    )
  );
}

function pickModule(
  exports: Record<string, unknown>,
  name: string | undefined,
  file: string,
): ModuleClass {
  const modules = Object.keys(exports)
    .filter((key) => isNestModule(exports[key]))
    .sort();
  const chosen =
    name ?? (exports.AppModule !== undefined || modules.length !== 1 ? 'AppModule' : modules[0]);
  if (isNestModule(exports[chosen])) return exports[chosen];
  const found = modules.length
    ? `It exports these modules: ${modules.join(', ')}.`
    : 'It exports no Nest module.';
  throw new AsyncApiGenerationError(
    `"${file}" has no exported Nest module named ${chosen}. ${found} Choose one with --module <Name>.`,
  );
}

function lookup<T>(
  app: INestApplicationContext,
  token: string | symbol | Type<unknown>,
): T | undefined {
  try {
    return app.get(token, { strict: false }) as T;
  } catch {
    return undefined;
  }
}

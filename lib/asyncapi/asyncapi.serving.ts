import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DWS_OPTIONS } from '../distributed-ws.module-definition.js';
import type { DistributedWsOptions } from '../distributed-ws.options.js';
import { isDocsOnlyMode } from '../docs-mode.js';
import { TopicRegistry } from '../explorer/topic-registry.js';
import { buildAsyncApiDocument } from './asyncapi.builder.js';
import { describeDeclarations, securityOf } from './asyncapi.input.js';
import { serializeAsyncApi } from './asyncapi.serializer.js';
import { findPackageInfo } from './package-info.js';

/** Where `serve: {}` puts the viewer page when no path is given. */
export const DEFAULT_ASYNCAPI_PATH = '/asyncapi';

const VIEWER_PACKAGE = '@asyncapi/react-component';

// Kept apart from the page so that a Content-Security-Policy without 'unsafe-inline' allows it.
const BOOT_SCRIPT = `(function () {
  var script = document.currentScript;
  AsyncApiStandalone.render(
    { schema: { url: script.getAttribute('data-document') }, config: { show: { sidebar: true } } },
    document.getElementById('asyncapi'),
  );
})();
`;

interface Asset {
  type: string;
  body: () => string;
}

/**
 * Serves the document from the running app when `asyncapi.serve` is set: `<path>` (a viewer
 * page rendering it with the standalone bundle of `@asyncapi/react-component`, served from
 * node_modules, no CDN), `<path>.json` and `<path>.yaml`.
 *
 * Routes go straight onto the HTTP adapter (Express or Fastify alike, no controller, so no
 * platform package is required) in `onModuleInit`: that is after Nest's router and before its
 * not-found handler, which would shadow anything registered later. The document is built at
 * the first request, when every gateway has been explored.
 */
@Injectable()
export class AsyncApiServing implements OnModuleInit {
  private readonly logger = new Logger('DistributedWs');
  private readonly cache = new Map<string, string>();

  constructor(
    @Inject(DWS_OPTIONS) private readonly options: DistributedWsOptions,
    private readonly httpHost: HttpAdapterHost,
    private readonly registry: TopicRegistry,
  ) {}

  onModuleInit(): void {
    const serve = this.options.asyncapi?.serve;
    const adapter = this.httpHost?.httpAdapter;
    if (!serve || !adapter || isDocsOnlyMode()) return;
    const path = normalizePath(serve.path ?? DEFAULT_ASYNCAPI_PATH);
    const assets: Record<string, Asset> = {
      [path]: { type: 'text/html; charset=utf-8', body: () => this.page(path) },
      [`${path}.json`]: { type: 'application/json; charset=utf-8', body: () => this.text('json') },
      [`${path}.yaml`]: { type: 'application/yaml; charset=utf-8', body: () => this.text('yaml') },
      [`${path}/assets/viewer.js`]: {
        type: 'text/javascript; charset=utf-8',
        body: () => BOOT_SCRIPT,
      },
      [`${path}/assets/standalone.js`]: {
        type: 'text/javascript; charset=utf-8',
        body: () => this.file('browser/standalone/index.js'),
      },
      [`${path}/assets/default.min.css`]: {
        type: 'text/css; charset=utf-8',
        body: () => this.file('styles/default.min.css'),
      },
    };
    for (const [route, asset] of Object.entries(assets)) {
      adapter.get(route, (_request: unknown, response: unknown) => {
        let body: string;
        try {
          body = asset.body();
        } catch (error) {
          this.logger.error(`AsyncAPI: ${(error as Error).message}`);
          adapter.setHeader(response, 'Content-Type', 'text/plain; charset=utf-8');
          return adapter.reply(response, (error as Error).message, 500);
        }
        adapter.setHeader(response, 'Content-Type', asset.type);
        adapter.setHeader(response, 'Cache-Control', 'no-cache');
        return adapter.reply(response, body, 200);
      });
    }
  }

  private text(format: 'json' | 'yaml'): string {
    return this.cached(format, () => {
      const input = describeDeclarations(
        this.registry,
        this.options.asyncapi ?? {},
        findPackageInfo(process.cwd()),
        securityOf(this.options),
      );
      return serializeAsyncApi(buildAsyncApiDocument(input), format);
    });
  }

  private page(path: string): string {
    // Fails here, with the install hint, rather than as a blank page.
    this.file('browser/standalone/index.js');
    const title = escapeHtml(`${JSON.parse(this.text('json')).info.title} – AsyncAPI`);
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${path}/assets/default.min.css">
</head>
<body>
<div id="asyncapi"></div>
<script src="${path}/assets/standalone.js"></script>
<script src="${path}/assets/viewer.js" data-document="${path}.json"></script>
</body>
</html>
`;
  }

  /** A file of the viewer package, read once. */
  private file(relative: string): string {
    return this.cached(relative, () => {
      let resolved: string;
      try {
        resolved = createRequire(import.meta.url).resolve(`${VIEWER_PACKAGE}/${relative}`);
      } catch {
        throw new Error(
          `The viewer needs ${VIEWER_PACKAGE}: run \`npm install ${VIEWER_PACKAGE}\`. The document itself is served as JSON and YAML.`,
        );
      }
      return readFileSync(resolved, 'utf8');
    });
  }

  private cached(key: string, make: () => string): string {
    let value = this.cache.get(key);
    if (value === undefined) {
      value = make();
      this.cache.set(key, value);
    }
    return value;
  }
}

/** `asyncapi/` → `/asyncapi`. */
function normalizePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

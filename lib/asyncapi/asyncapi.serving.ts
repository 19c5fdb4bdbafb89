import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DWS_OPTIONS } from '../distributed-ws.module-definition.js';
import type { DistributedWsOptions } from '../distributed-ws.options.js';
import { isDocsOnlyMode } from '../docs-mode.js';
import { checkOptionalPackage, type OptionalPackage } from '../errors/optional-package.error.js';
import { TopicRegistry } from '../explorer/topic-registry.js';
import { OperatorRoutes } from '../security/operator-routes.js';
import { buildAsyncApiDocument } from './asyncapi.builder.js';
import { describeApp } from './asyncapi.input.js';
import type { AsyncApiDocument } from './asyncapi.interface.js';
import { serializeAsyncApi } from './asyncapi.serializer.js';

/** Where `serve: {}` puts the viewer page when no path is given. */
export const DEFAULT_ASYNCAPI_PATH = '/asyncapi';

const VIEWER_PACKAGE = '@asyncapi/react-component';
const VIEWER_BUNDLE = 'browser/standalone/index.js';

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
 * Routes go onto the app's HTTP adapter or `serve.port`, behind `serve.guard`
 * (operator-routes.ts), in `onModuleInit`: that is after Nest's router and before its not-found
 * handler, which would shadow anything registered later. The document is built at the first
 * request, when every gateway has been explored. A build that fails is logged and answered with
 * a bare 500: its message would tell a stranger about the app's files and packages.
 */
@Injectable()
export class AsyncApiServing implements OnModuleInit {
  /** Response bodies by route: each is made at its first request, then served as is. */
  private readonly bodies = new Map<string, string>();
  private document?: AsyncApiDocument;

  constructor(
    @Inject(DWS_OPTIONS) private readonly options: DistributedWsOptions,
    private readonly routes: OperatorRoutes,
    private readonly registry: TopicRegistry,
  ) {}

  onModuleInit(): void {
    const serve = this.options.asyncapi?.serve;
    if (!serve || isDocsOnlyMode()) return;
    const path = normalizePath(serve.path ?? DEFAULT_ASYNCAPI_PATH);
    const assets: Record<string, Asset> = {
      [path]: { type: 'text/html; charset=utf-8', body: () => this.page(path) },
      [`${path}.json`]: {
        type: 'application/json; charset=utf-8',
        body: () => serializeAsyncApi(this.built(), 'json'),
      },
      [`${path}.yaml`]: {
        type: 'application/yaml; charset=utf-8',
        body: () => serializeAsyncApi(this.built(), 'yaml'),
      },
      [`${path}/assets/viewer.js`]: {
        type: 'text/javascript; charset=utf-8',
        body: () => BOOT_SCRIPT,
      },
      [`${path}/assets/standalone.js`]: {
        type: 'text/javascript; charset=utf-8',
        body: () => readFileSync(viewerFile(VIEWER_BUNDLE), 'utf8'),
      },
      [`${path}/assets/default.min.css`]: {
        type: 'text/css; charset=utf-8',
        body: () => readFileSync(viewerFile('styles/default.min.css'), 'utf8'),
      },
    };
    for (const [route, asset] of Object.entries(assets)) {
      this.routes.get(serve, route, 'AsyncAPI', () => {
        const body = this.bodies.get(route) ?? asset.body();
        this.bodies.set(route, body);
        return { status: 200, type: asset.type, body, cacheControl: 'no-cache' };
      });
    }
  }

  /** Built once, at the first request that needs it; every format serializes this one. */
  private built(): AsyncApiDocument {
    this.document ??= buildAsyncApiDocument(
      describeApp(this.registry, this.options, process.cwd()),
    );
    return this.document;
  }

  private page(path: string): string {
    // Fails here, with the install hint, rather than as a blank page.
    viewerFile(VIEWER_BUNDLE);
    const { title } = this.built().info as { title: string };
    return viewerPage(path, escapeHtml(`${title} – AsyncAPI`));
  }
}

/** The viewer's package, loaded from the app's node_modules only when the page is asked for. */
export const VIEWER: OptionalPackage = {
  name: VIEWER_PACKAGE,
  range: '^3',
  majors: [3],
  feature: 'The AsyncAPI viewer page (the document itself is served as JSON and YAML)',
};

/** A file of the viewer package, resolved from the app's node_modules. */
function viewerFile(relative: string): string {
  checkOptionalPackage(VIEWER);
  return createRequire(import.meta.url).resolve(`${VIEWER_PACKAGE}/${relative}`);
}

/** `asyncapi/` → `/asyncapi`. */
function normalizePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** The viewer page: the standalone bundle renders the JSON document into `#asyncapi`. */
function viewerPage(path: string, title: string): string {
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

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

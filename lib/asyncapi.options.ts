import type { ServeOptions } from './serve.options.js';

/** `info` of the document. Every field defaults from the app's package.json. */
export interface AsyncApiInfoOptions {
  /** @default package.json `name` */
  title?: string;
  /** @default package.json `version` */
  version?: string;
  /** CommonMark. @default package.json `description` */
  description?: string;
  /** @default package.json `author` (name, email, url), when present */
  contact?: { name?: string; url?: string; email?: string };
  /** @default package.json `license` (an SPDX id, linked to spdx.org) */
  license?: { name: string; url?: string };
}

/** One place clients connect to; expanded once per gateway path (the server's `pathname`). */
export interface AsyncApiServerOptions {
  /** Host name, with the port when it is not the protocol's default: `chat.example.com`. */
  host: string;
  /** @default 'ws' */
  protocol?: 'ws' | 'wss';
  /** CommonMark. */
  description?: string;
}

/**
 * `asyncapi` of the module options: what the generated document says about the app, and
 * whether the running app serves it.
 */
export interface AsyncApiOptions {
  info?: AsyncApiInfoOptions;
  /**
   * The document's `id`, a URI naming the application (`urn:example:chat`).
   * @default none
   */
  id?: string;
  /**
   * Servers by name. With several gateway paths each server appears once per path
   * (`production-ws`, `production-admin`).
   * @default { development: { host: 'localhost:3000', protocol: 'ws' } }
   */
  servers?: Record<string, AsyncApiServerOptions>;
  /**
   * Serves the document from the running app: `<path>` (a viewer page), `<path>.json` and
   * `<path>.yaml` (`path` defaults to `'/asyncapi'`), on the app's HTTP server or on `port`,
   * behind `guard` if given: without either, anyone who reaches the app reads it. Routes are
   * registered on the HTTP adapter directly, so a global prefix does not apply to them. The
   * viewer needs `@asyncapi/react-component` installed.
   * @default false
   */
  serve?: ServeOptions | false;
}

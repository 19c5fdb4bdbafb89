const DOCS_ONLY = Symbol.for('nestjs-distributed-ws.docs-only');

/**
 * Docs-only mode: set by the AsyncAPI CLI before it boots the app, so the module builds its
 * registry without opening ports or reaching Redis (the embedded broker stands in).
 */
export function enableDocsOnlyMode(): void {
  (globalThis as Record<symbol, unknown>)[DOCS_ONLY] = true;
}

/**
 * Whether the app is being booted by the AsyncAPI CLI: a module that connects somewhere in its
 * own `onModuleInit` should skip that when this is true.
 */
export function isDocsOnlyMode(): boolean {
  return (globalThis as Record<symbol, unknown>)[DOCS_ONLY] === true;
}

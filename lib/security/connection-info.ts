/**
 * What the library knows of a connection, for the application's own code: gateways,
 * guards, interceptors. Read-only; the library's delivery state is not part of it.
 * @publicApi
 */
export interface ConnectionInfo {
  /** The session id. It stays the same across resumes, and names the `$dws/conn/<id>` topic. */
  readonly id: string;
  /** `principal.userId` (null: anonymous). */
  readonly userId: string | null;
  /** What `authenticate` returned for this connection (null: anonymous). */
  readonly principal: unknown;
  /** The topic filters the client subscribed to (implicit topics excluded). */
  readonly filters: ReadonlySet<string>;
}

// Keyed by the `ws` socket Nest hands to gateways; an entry goes with its socket.
const infoOfSocket = new WeakMap<object, ConnectionInfo>();

/** Called by the adapter when it accepts a socket. */
export function bindConnectionInfo(socket: object, info: ConnectionInfo): void {
  infoOfSocket.set(socket, info);
}

/**
 * The library's view of a socket Nest hands to a gateway (`handleConnection`,
 * `@ConnectedSocket()`, `context.switchToWs().getClient()`), or undefined for a socket the
 * library did not accept.
 * @publicApi
 *
 * @example
 * ```ts
 * handleConnection(client: WebSocket) {
 *   console.log('connected', connectionOf(client)?.id);
 * }
 * ```
 */
export function connectionOf(client: object): ConnectionInfo | undefined {
  return infoOfSocket.get(client);
}

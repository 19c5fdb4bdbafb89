/**
 * Where a client puts its bearer token in the upgrade request, besides `Authorization`.
 * Pure: the server, the proxy, the SDK and the AsyncAPI document read these names from here.
 */

/** The subprotocol that announces a token in the next `Sec-WebSocket-Protocol` entry. */
export const BEARER_PROTOCOL = 'dws.bearer';

/** The query parameter of the upgrade URL that carries a token. */
export const ACCESS_TOKEN_QUERY = 'access_token';

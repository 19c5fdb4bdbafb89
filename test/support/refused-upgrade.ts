import type { IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';

/** The HTTP answer to a WebSocket upgrade the server refused. */
export interface RefusedUpgrade {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Opens a WebSocket that is expected to be refused at the upgrade and resolves with the HTTP
 * answer. Rejects if the server accepts the WebSocket instead.
 */
export function refusedUpgrade(
  url: string,
  options: WebSocket.ClientOptions & { protocols?: string[] } = {},
): Promise<RefusedUpgrade> {
  const { protocols, ...clientOptions } = options;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, clientOptions);
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`The upgrade to ${url} was accepted.`));
    });
    ws.once('unexpected-response', (request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode!, headers: response.headers, body });
      });
    });
    ws.on('error', () => undefined);
  });
}

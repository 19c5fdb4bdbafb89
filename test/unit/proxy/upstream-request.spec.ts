import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { upstreamRequestFor } from '../../../lib/proxy/upstream-request.js';
import { resolveProxyOptions } from '../../../lib/proxy/ws-proxy.options.js';

/** The parts of an upgrade request the proxy reads. */
function request(url: string, headers: Record<string, string>): IncomingMessage {
  return { url, headers, socket: { remoteAddress: '10.0.0.7' } } as unknown as IncomingMessage;
}

describe('upstreamRequestFor', () => {
  const anonymous = resolveProxyOptions({
    path: '/ws',
    upstream: 'ws://chat/ws',
    forwardAuth: false,
  });
  const forwarding = resolveProxyOptions({ path: '/ws', upstream: 'ws://chat/ws' });

  it.each([
    ['dws.bearer, t-1', []],
    ['chat.v1, dws.bearer, t-1, chat.v2', ['chat.v1', 'chat.v2']],
    ['dws.bearer, t-1, chat.v1, dws.bearer, t-2', ['chat.v1']],
    ['dws.bearer, dws.bearer, t-1', ['t-1']],
    ['chat.v1, dws.bearer', ['chat.v1']],
  ])('strips every dws.bearer pair of "%s" with forwardAuth: false', async (offered, expected) => {
    const target = await upstreamRequestFor(
      request('/ws', { 'sec-websocket-protocol': offered }),
      anonymous,
    );
    expect(target.protocols).toEqual(expected);
  });

  it('keeps no credential with forwardAuth: false, and all of them by default', async () => {
    const incoming = request('/ws?access_token=q-1&room=7&access_token=q-2', {
      authorization: 'Bearer h-1',
      cookie: 'sid=c-1',
      'sec-websocket-protocol': 'dws.bearer, p-1',
    });
    const stripped = await upstreamRequestFor(incoming, anonymous);
    expect([stripped.url, stripped.protocols, stripped.headers]).toEqual([
      'ws://chat/ws?room=7',
      [],
      { 'x-forwarded-for': '10.0.0.7', 'x-forwarded-proto': 'ws' },
    ]);
    const forwarded = await upstreamRequestFor(incoming, forwarding);
    expect([forwarded.url, forwarded.protocols, forwarded.headers.authorization]).toEqual([
      'ws://chat/ws?access_token=q-1&room=7&access_token=q-2',
      ['dws.bearer', 'p-1'],
      'Bearer h-1',
    ]);
  });
});

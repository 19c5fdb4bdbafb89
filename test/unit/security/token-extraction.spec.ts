import { describe, expect, it } from '@jest/globals';
import type { IncomingMessage } from 'node:http';
import { extractToken, selectProtocol } from '../../../lib/security/token-extraction.js';

const request = (url: string, headers: Record<string, string> = {}) =>
  ({ url, headers }) as unknown as IncomingMessage;

describe('extractToken', () => {
  it('reads "Authorization: Bearer", case-insensitively, and nothing else of that header', () => {
    expect(extractToken(request('/ws', { authorization: 'Bearer abc.def.ghi' }))).toBe(
      'abc.def.ghi',
    );
    expect(extractToken(request('/ws', { authorization: 'bearer   abc ' }))).toBe('abc');
    expect(extractToken(request('/ws', { authorization: 'Basic dXNlcjpwdw==' }))).toBeNull();
    expect(extractToken(request('/ws', { authorization: 'Bearer a b' }))).toBeNull();
  });

  it('reads the entry after "dws.bearer" in Sec-WebSocket-Protocol', () => {
    expect(extractToken(request('/ws', { 'sec-websocket-protocol': 'dws.bearer, tok-1' }))).toBe(
      'tok-1',
    );
    expect(
      extractToken(request('/ws', { 'sec-websocket-protocol': 'chat,dws.bearer,tok-2' })),
    ).toBe('tok-2');
    expect(extractToken(request('/ws', { 'sec-websocket-protocol': 'dws.bearer' }))).toBeNull();
    expect(extractToken(request('/ws', { 'sec-websocket-protocol': 'chat, tok' }))).toBeNull();
  });

  it('reads the access_token query parameter', () => {
    expect(extractToken(request('/ws?room=1&access_token=q%2Etok'))).toBe('q.tok');
    expect(extractToken(request('/ws?access_token='))).toBeNull();
    expect(extractToken(request('/ws'))).toBeNull();
  });

  it('takes the first source holding a token, in the order given, and only those given', () => {
    const all = request('/ws?access_token=query', {
      authorization: 'Bearer header',
      'sec-websocket-protocol': 'dws.bearer, protocol',
    });
    expect(extractToken(all)).toBe('header');
    expect(extractToken(all, ['query', 'header'])).toBe('query');
    expect(extractToken(all, ['protocol'])).toBe('protocol');
    expect(extractToken(request('/ws?access_token=query'), ['header', 'protocol'])).toBeNull();
  });
});

describe('selectProtocol', () => {
  it('answers the marker rather than the token, else the first protocol offered', () => {
    expect(selectProtocol(new Set(['dws.bearer', 'eyJ.token']))).toBe('dws.bearer');
    expect(selectProtocol(new Set(['chat', 'dws.bearer', 'tok']))).toBe('dws.bearer');
    expect(selectProtocol(new Set(['chat', 'other']))).toBe('chat');
    expect(selectProtocol(new Set())).toBe(false);
  });
});

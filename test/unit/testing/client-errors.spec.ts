import { describe, expect, it } from '@jest/globals';
import { type ClientEvents, type ClientState, DwsClientError } from '../../../lib/client/index.js';
import { TypedEmitter } from '../../../lib/client/emitter.js';
import { errorOf, nextError, TestingTimeoutError } from '../../../lib/testing/index.js';

/** The part of a client `nextError` uses, on the SDK's own emitter; `events.emit` plays the SDK. */
function fakeClient(state: ClientState = 'connected') {
  const events = new TypedEmitter<ClientEvents>((error) => {
    throw error;
  });
  return { state, on: events.on.bind(events), events };
}

const forbidden = new DwsClientError('DWS_ERR_FORBIDDEN', 'Subscription to "x" was denied.');

describe('nextError', () => {
  it('resolves with the next error event and stops listening', async () => {
    const client = fakeClient();
    const next = nextError(client);
    client.events.emit('error', forbidden);
    await expect(next).resolves.toBe(forbidden);
    expect(client.events.listenerCount('error')).toBe(0);
  });

  it('rejects with the client state when no error comes', async () => {
    const client = fakeClient('reconnecting');
    const error = await nextError(client, { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestingTimeoutError);
    expect((error as Error).message).toBe(
      'Timed out after 30 ms waiting for an "error" event of the client (state: reconnecting).',
    );
    expect(client.events.listenerCount('error')).toBe(0);
  });
});

describe('errorOf', () => {
  it('resolves with the DwsClientError a request rejects with', async () => {
    await expect(errorOf(Promise.reject(forbidden))).resolves.toBe(forbidden);
  });

  it('rejects, showing the result, when the request succeeds', async () => {
    const ack = Promise.resolve({ topic: 'news/1', offset: '0:1:7' });
    await expect(errorOf(ack)).rejects.toThrow(
      'Expected the request to fail with a DwsClientError, but it succeeded with {"topic":"news/1","offset":"0:1:7"}.',
    );
    await expect(errorOf(Promise.resolve(undefined))).rejects.toThrow(
      'but it succeeded with undefined.',
    );
  });

  it('passes on a rejection that is not a DwsClientError', async () => {
    const bug = new TypeError('not a protocol error');
    await expect(errorOf(Promise.reject(bug))).rejects.toBe(bug);
  });

  it('rejects when the request never settles', async () => {
    await expect(errorOf(new Promise(() => undefined), { timeoutMs: 30 })).rejects.toThrow(
      'Timed out after 30 ms waiting for the request to fail.',
    );
  });
});

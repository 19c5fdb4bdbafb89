import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { DwsClientError } from '../../../lib/client/client.error.js';
import { PendingRequests } from '../../../lib/client/pending-requests.js';

describe('PendingRequests: staying inside the server limits', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const setup = () => {
    const sent: { id: number; event: string }[] = [];
    const send = (frame: string) => {
      const { id, event } = JSON.parse(frame);
      sent.push({ id, event });
      return true;
    };
    const outcomes: [string, DwsClientError | null][] = [];
    const requests = new PendingRequests(10_000);
    const add = (name: string) =>
      requests.add('subscribe', { topic: name }, send, (error) => outcomes.push([name, error]));
    return { requests, sent, outcomes, add, send };
  };

  it('keeps at most 32 requests out, sending the next as each answer comes in', () => {
    const { requests, sent, outcomes, add } = setup();
    for (let i = 0; i < 100; i++) add(`t${i}`);
    expect(sent.map((f) => f.id)).toEqual(Array.from({ length: 32 }, (_, k) => k + 1));
    requests.settle(1, 'ack', {});
    requests.settle(2, 'error', { code: 'DWS_ERR_FORBIDDEN', message: 'no' });
    expect(sent.map((f) => f.id).slice(32)).toEqual([33, 34]);
    expect(outcomes.map(([name, error]) => [name, error?.code ?? null])).toEqual([
      ['t0', null],
      ['t1', 'DWS_ERR_FORBIDDEN'],
    ]);
  });

  it('gives the slot of a request that timed out to the next one waiting', () => {
    const { sent, outcomes, add } = setup();
    for (let i = 0; i < 33; i++) add(`t${i}`);
    expect(sent).toHaveLength(32);
    jest.advanceTimersByTime(10_000);
    expect(sent.map((f) => f.id).slice(32)).toEqual([33]);
    expect(outcomes.map(([, error]) => error?.code)).toEqual(
      Array.from({ length: 33 }, () => 'DWS_CLIENT_TIMEOUT'),
    );
  });

  it('sends a rate-limited request again after retryAfterMs, in order, without reporting the refusal', () => {
    const { requests, sent, outcomes, add } = setup();
    for (let i = 0; i < 3; i++) add(`t${i}`);
    requests.settle(1, 'ack', {});
    requests.settle(2, 'error', {
      code: 'DWS_ERR_RATE_LIMITED',
      message: 'slow',
      retryAfterMs: 500,
    });
    requests.settle(3, 'error', {
      code: 'DWS_ERR_RATE_LIMITED',
      message: 'slow',
      retryAfterMs: 700,
    });
    add('t3');
    expect(sent.map((f) => f.id)).toEqual([1, 2, 3]);
    jest.advanceTimersByTime(699);
    expect(sent.map((f) => f.id)).toEqual([1, 2, 3]);
    jest.advanceTimersByTime(1);
    expect(sent.map((f) => f.id)).toEqual([1, 2, 3, 2, 3, 4]);
    requests.settle(2, 'ack', {});
    requests.settle(3, 'ack', {});
    requests.settle(4, 'ack', {});
    expect(outcomes).toEqual([
      ['t0', null],
      ['t1', null],
      ['t2', null],
      ['t3', null],
    ]);
  });

  it('still times out a request refused again and again', () => {
    const { requests, outcomes, add } = setup();
    add('t0');
    for (let i = 0; i < 10; i++) {
      requests.settle(1, 'error', {
        code: 'DWS_ERR_RATE_LIMITED',
        message: 'x',
        retryAfterMs: 1000,
      });
      jest.advanceTimersByTime(1000);
    }
    expect(outcomes.map(([name, error]) => [name, error?.code])).toEqual([
      ['t0', 'DWS_CLIENT_TIMEOUT'],
    ]);
  });
});

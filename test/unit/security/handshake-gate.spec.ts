import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ForbiddenException, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { RuntimeOptions } from '../../../lib/distributed-ws.config.js';
import { DistributedWsConfigError } from '../../../lib/errors/config.error.js';
import { HandshakeGate, type HandshakeGateOptions } from '../../../lib/security/handshake-gate.js';

type Answer = [ok: boolean, status?: number, message?: string, headers?: Record<string, string>];

function request(headers: Record<string, string> = {}): IncomingMessage & { socket: EventEmitter } {
  return { url: '/ws', headers, socket: new EventEmitter() } as never;
}

function gate(options: Partial<HandshakeGateOptions> = {}) {
  const g = new HandshakeGate({
    authFailure: 'reject',
    tokenSources: ['header'],
    maxConnections: 10,
    authTimeoutMs: 10_000,
    ...options,
  });
  const verify = (req: IncomingMessage, origin?: string) =>
    new Promise<Answer>((resolve) => g.verify({ req, origin }, (...answer) => resolve(answer)));
  return { gate: g, verify };
}

const bearer = (token: string) => request({ authorization: `Bearer ${token}` });

describe('HandshakeGate', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['error', 'warn', 'log']));

  it('admits everybody anonymously without authenticate', async () => {
    const { gate: g, verify } = gate();
    const req = request();
    expect(await verify(req)).toEqual([true]);
    expect(g.admission(req)).toEqual({ principal: null });
  });

  it('checks the origin against strings, RegExps or a function; no Origin passes', async () => {
    const lists = [
      ['https://a.example', /^https:\/\/[a-z]+\.example\.org$/],
      (origin: string) => origin === 'https://a.example' || origin.endsWith('.example.org'),
    ] as const;
    for (const allowedOrigins of lists) {
      const { verify } = gate({ allowedOrigins });
      expect(await verify(request(), 'https://a.example')).toEqual([true]);
      expect(await verify(request(), 'https://b.example.org')).toEqual([true]);
      expect(await verify(request(), 'https://a.example.evil')).toEqual([
        false,
        403,
        'Origin not allowed',
      ]);
      expect(await verify(request())).toEqual([true]);
    }
    const throwing = gate({
      allowedOrigins: () => {
        throw new Error('bug');
      },
    });
    expect((await throwing.verify(request(), 'https://a.example'))[1]).toBe(403);
  });

  it('counts handshakes in progress against the cap and frees a slot when the socket closes', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const { gate: g, verify } = gate({
      maxConnections: 2,
      authenticate: async () => (await slow, { userId: 'u' }),
    });
    const [first, second] = [bearer('t'), bearer('t')];
    const pending = [verify(first), verify(second)];
    expect(g.occupied).toBe(2);
    expect(await verify(bearer('t'))).toEqual([false, 503, 'Too many connections']);
    release();
    expect(await Promise.all(pending)).toEqual([[true], [true]]);
    first.socket.emit('close');
    first.socket.emit('close');
    expect(g.occupied).toBe(1);
    expect((await verify(bearer('t')))[0]).toBe(true);
  });

  it('answers 401 with WWW-Authenticate for null, a throw, or no token, and frees the slot', async () => {
    const { gate: g, verify } = gate({
      authenticate: (_req, token) => {
        if (token === 'throws') throw new Error('jwt expired');
        return token === 'good' ? { userId: 'alice' } : null;
      },
    });
    for (const req of [bearer('bad'), bearer('throws'), request()]) {
      expect(await verify(req)).toEqual([false, 401, undefined, { 'WWW-Authenticate': 'Bearer' }]);
    }
    expect(g.occupied).toBe(0);
    const ok = bearer('good');
    expect(await verify(ok)).toEqual([true]);
    expect(g.admission(ok)).toEqual({ principal: { userId: 'alice' } });
  });

  it("keeps an HttpException's error status", async () => {
    const { verify } = gate({
      authenticate: () => {
        throw new ForbiddenException();
      },
    });
    expect(await verify(bearer('x'))).toEqual([false, 403, undefined, {}]);
  });

  it("with authFailure 'close', admits the refused request marked as such (closed with 1008) and frees its slot at once", async () => {
    const { gate: g, verify } = gate({ authFailure: 'close', authenticate: () => null });
    const req = request();
    expect(await verify(req)).toEqual([true]);
    expect(g.admission(req)).toEqual({ refused: true, code: 1008, reason: 'Unauthorized' });
    expect(g.occupied).toBe(0);
  });

  it('refuses with 503 once authTimeoutMs has passed, frees the slot, and ignores the late answer', async () => {
    let answer!: (principal: { userId: string }) => void;
    const { gate: g } = gate({
      authTimeoutMs: 50,
      authenticate: () => new Promise((resolve) => (answer = resolve)),
    });
    const req = bearer('t');
    const answers: Answer[] = [];
    const started = Date.now();
    await new Promise<void>((resolve) =>
      g.verify({ req }, (...a) => {
        answers.push(a);
        resolve();
      }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(answers).toEqual([[false, 503, 'Authentication timed out', {}]]);
    expect(g.occupied).toBe(0);
    answer({ userId: 'late' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(answers).toHaveLength(1);
    expect(g.admission(req)).toEqual({ refused: true, code: 1008, reason: 'Unauthorized' });
  });

  it('takes authTimeoutMs from the options: 10 s by default, a positive integer or a boot error', () => {
    expect(new RuntimeOptions({}).options.authTimeoutMs).toBe(10_000);
    for (const authTimeoutMs of [0, -1, 1.5]) {
      expect(() => new RuntimeOptions({ authTimeoutMs })).toThrow(
        new DistributedWsConfigError(
          `option "authTimeoutMs" must be a positive integer, got ${authTimeoutMs}.`,
        ),
      );
    }
  });

  it("with authFailure 'close', a timed-out handshake is admitted to be closed with 1013", async () => {
    const { gate: g, verify } = gate({
      authFailure: 'close',
      authTimeoutMs: 20,
      authenticate: () => new Promise(() => undefined),
    });
    const req = bearer('t');
    expect(await verify(req)).toEqual([true]);
    expect(g.admission(req)).toEqual({
      refused: true,
      code: 1013,
      reason: 'Authentication timed out',
    });
    expect(g.occupied).toBe(0);
  });

  it.each([
    [{ name: 'no id' }],
    [{ userId: '' }],
    [{ userId: 'a/b' }],
    [{ userId: 42 }],
    ['alice'],
  ])('answers 500 for a principal without a usable userId: %j', async (principal) => {
    const { gate: g, verify } = gate({ authenticate: () => principal as never });
    expect(await verify(bearer('t'))).toEqual([false, 500]);
    expect(g.occupied).toBe(0);
  });
});

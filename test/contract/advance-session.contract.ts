import { expect, it } from '@jest/globals';
import { BrokerUnavailableError } from '../../lib/errors/broker-unavailable.error.js';
import { waitFor } from '../support/wait-for.js';
import type { BrokerContractSetup, Connect } from './contract-harness.js';

/**
 * `Broker.advanceSession`: what makes a resume supersede every earlier session token, on every
 * instance (SessionVerification). Every built-in broker has it.
 */
export function advanceSessionCases(setup: BrokerContractSetup, connected: Connect): void {
  it('advanceSession stores only a greater generation, from 0 for an unknown session, or the same one again until it is confirmed', async () => {
    const broker = await connected(setup.backplane());
    const advance = (generation: number, claim: string) =>
      broker.advanceSession!('s1', generation, 60_000, claim);
    expect(await advance(0, 'a')).toBe(false);
    expect(await advance(1, 'a')).toBe(true);
    // Not confirmed: the client whose answer was lost retries with the same token.
    expect(await advance(1, 'b')).toBe(true);
    expect(await broker.confirmSession!('s1', 1, 60_000, 'a')).toBe(false);
    expect(await broker.confirmSession!('s1', 1, 60_000, 'b')).toBe(true);
    expect(await advance(1, 'c')).toBe(false);
    expect(await advance(3, 'd')).toBe(true);
    expect(await advance(2, 'e')).toBe(false);
    expect(await broker.advanceSession!('s2', 1, 60_000, 'f')).toBe(true);
  });

  it('advanceSession: once one of 20 concurrent claims is confirmed, the generation is refused', async () => {
    const broker = await connected(setup.backplane());
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, k) => broker.advanceSession!('race', 1, 60_000, `c${k}`)),
    );
    expect(claims.every(Boolean)).toBe(true);
    // The last one stored is the session's claim: only it can be confirmed.
    const confirmed = await Promise.all(
      Array.from({ length: 20 }, (_, k) => broker.confirmSession!('race', 1, 60_000, `c${k}`)),
    );
    expect(confirmed.filter(Boolean)).toHaveLength(1);
    expect(await broker.advanceSession!('race', 1, 60_000, 'late')).toBe(false);
    expect(await broker.advanceSession!('race', 2, 60_000, 'next')).toBe(true);
  });

  it('session calls made together (one script call on Redis) each get their own answer, in call order', async () => {
    const broker = await connected(setup.backplane());
    const answers = await Promise.all([
      broker.advanceSession!('tick-a', 1, 60_000, 'x'),
      broker.confirmSession!('tick-a', 1, 60_000, 'x'),
      broker.advanceSession!('tick-a', 1, 60_000, 'y'),
      broker.advanceSession!('tick-b', 2, 60_000, 'z'),
      broker.releaseSession!('tick-b', 2, 60_000, 'z'),
      // Released: back at generation 1, confirmed; the released token may claim 2 again.
      broker.advanceSession!('tick-b', 1, 60_000, 'w'),
      broker.advanceSession!('tick-b', 2, 60_000, 'v'),
    ]);
    expect(answers).toEqual([true, true, false, true, true, false, true]);
  });

  it('advanceSession forgets a session after its TTL', async () => {
    const broker = await connected(setup.backplane());
    expect(await broker.advanceSession!('short', 5, 200, 'a')).toBe(true);
    expect(await broker.confirmSession!('short', 5, 200, 'a')).toBe(true);
    expect(await broker.advanceSession!('short', 5, 200, 'b')).toBe(false);
    await waitFor(async () => broker.advanceSession!('short', 1, 200), {
      message: 'generation 1 accepted once the stored 5 expired',
      timeout: 3000,
    });
  });

  it('releaseSession undoes the claim it names, and no other', async () => {
    const broker = await connected(setup.backplane());
    expect(await broker.advanceSession!('r1', 1, 60_000, 'mine')).toBe(true);
    expect(await broker.releaseSession!('r1', 1, 60_000, 'theirs')).toBe(false);
    expect(await broker.releaseSession!('r1', 2, 60_000, 'mine')).toBe(false);
    expect(await broker.releaseSession!('r1', 1, 60_000, 'mine')).toBe(true);
    expect(await broker.releaseSession!('r1', 1, 60_000, 'mine')).toBe(false);
    // Back at 0: the token of generation 0 may claim 1 again; once confirmed, only once.
    expect(await broker.advanceSession!('r1', 1, 60_000, 'retry')).toBe(true);
    expect(await broker.confirmSession!('r1', 1, 60_000, 'retry')).toBe(true);
    expect(await broker.releaseSession!('r1', 1, 60_000, 'retry')).toBe(false);
    expect(await broker.advanceSession!('r1', 1, 60_000, 'thief')).toBe(false);
  });

  it('advanceSession rejects with BrokerUnavailableError once the broker is closed', async () => {
    const broker = await connected(setup.backplane());
    await broker.close();
    await expect(broker.advanceSession!('closed', 1, 60_000)).rejects.toBeInstanceOf(
      BrokerUnavailableError,
    );
  });

  if (setup.multiInstance) {
    it('advanceSession: a generation claimed on one instance is refused on another', async () => {
      const make = setup.backplane();
      const [a, b] = [await connected(make), await connected(make)];
      expect(await a.advanceSession!('shared', 1, 60_000, 'on-a')).toBe(true);
      expect(await b.confirmSession!('shared', 1, 60_000, 'on-a')).toBe(true);
      expect(await b.advanceSession!('shared', 1, 60_000, 'on-b')).toBe(false);
      expect(await b.advanceSession!('shared', 2, 60_000, 'on-b')).toBe(true);
      expect(await b.confirmSession!('shared', 2, 60_000, 'on-b')).toBe(true);
      expect(await a.advanceSession!('shared', 2, 60_000, 'on-a')).toBe(false);
    });
  }
}

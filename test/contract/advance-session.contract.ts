import { expect, it } from '@jest/globals';
import { BrokerUnavailableError } from '../../lib/errors/broker-unavailable.error.js';
import { waitFor } from '../support/wait-for.js';
import type { BrokerContractSetup, Connect } from './contract-harness.js';

/**
 * `Broker.advanceSession`: what makes a resume supersede every earlier session token, on every
 * instance (SessionVerification). Every built-in broker has it.
 */
export function advanceSessionCases(setup: BrokerContractSetup, connected: Connect): void {
  it('advanceSession stores only a greater generation, from 0 for an unknown session', async () => {
    const broker = await connected(setup.backplane());
    const advance = (generation: number) => broker.advanceSession!('s1', generation, 60_000);
    expect(await advance(0)).toBe(false);
    expect(await advance(1)).toBe(true);
    expect(await advance(1)).toBe(false);
    expect(await advance(3)).toBe(true);
    expect(await advance(2)).toBe(false);
    expect(await broker.advanceSession!('s2', 1, 60_000)).toBe(true);
  });

  it('advanceSession grants one of 20 concurrent claims of the same generation', async () => {
    const broker = await connected(setup.backplane());
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => broker.advanceSession!('race', 1, 60_000)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('advanceSession forgets a session after its TTL', async () => {
    const broker = await connected(setup.backplane());
    expect(await broker.advanceSession!('short', 5, 200)).toBe(true);
    expect(await broker.advanceSession!('short', 5, 200)).toBe(false);
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
    // Back at 0: the token of generation 0 may claim 1 again, and only once.
    expect(await broker.advanceSession!('r1', 1, 60_000, 'retry')).toBe(true);
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
      const claims = await Promise.all([
        a.advanceSession!('shared', 1, 60_000),
        b.advanceSession!('shared', 1, 60_000),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await b.advanceSession!('shared', 2, 60_000)).toBe(true);
      expect(await a.advanceSession!('shared', 2, 60_000)).toBe(false);
    });
  }
}

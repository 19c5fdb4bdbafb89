import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { AdmissionQueue, Stage } from '../../../lib/adapter/admission-queue.js';

/** Turns of the event loop, counted by a probe that re-arms itself with setImmediate. */
function turnCounter(): { readonly turn: number; stop(): void } {
  let turn = 0;
  let stopped = false;
  const probe = () => {
    turn++;
    if (!stopped) setImmediate(probe);
  };
  setImmediate(probe);
  return {
    get turn() {
      return turn;
    },
    stop: () => (stopped = true),
  };
}

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('AdmissionQueue', () => {
  let server: Server | null = null;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = null;
  });

  it('runs a task at once while the turn has room and nobody waits', () => {
    const queue = new AdmissionQueue(4);
    const ran: number[] = [];
    for (let i = 0; i < 4; i++) queue.run(Stage.Upgrade, () => ran.push(i));
    expect(ran).toEqual([0, 1, 2, 3]);
    queue.run(Stage.Upgrade, () => ran.push(4));
    expect(ran).toEqual([0, 1, 2, 3]);
    expect(queue.queued).toBe(1);
  });

  it('runs every task, in order, at most perTurn per turn of the event loop', async () => {
    const queue = new AdmissionQueue(4);
    const turns = turnCounter();
    const ranIn: { task: number; turn: number }[] = [];
    await new Promise<void>((resolve) => {
      for (let i = 0; i < 50; i++) {
        queue.run(Stage.Upgrade, () => {
          ranIn.push({ task: i, turn: turns.turn });
          if (i === 49) resolve();
        });
      }
    });
    turns.stop();
    expect(ranIn.map((r) => r.task)).toEqual([...Array(50).keys()]);
    const perTurn = new Map<number, number>();
    for (const { turn } of ranIn) perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBe(4);
    expect(perTurn.size).toBe(13); // ceil(50 / 4) turns
    expect(queue.queued).toBe(0);
  });

  it('serves begun work first: waiting answers before waiting upgrades, each in call order', async () => {
    const queue = new AdmissionQueue(3);
    const turns = turnCounter();
    const order: string[] = [];
    const byTurn: number[] = [];
    const all: Promise<void>[] = [];
    for (let i = 0; i < 10; i++) {
      all.push(
        queue.turn(Stage.Answer).then(() => {
          order.push(`answer ${i}`);
          byTurn.push(turns.turn);
        }),
      );
      all.push(
        new Promise<void>((resolve) =>
          queue.run(Stage.Upgrade, () => {
            order.push(`upgrade ${i}`);
            byTurn.push(turns.turn);
            resolve();
          }),
        ),
      );
    }
    await Promise.all(all);
    turns.stop();
    // The first three were admitted at once; then every waiting answer before any upgrade.
    // (A turn()'s continuation runs as a microtask after its turn's run() tasks.)
    const ten = [...Array(10).keys()];
    expect(order.filter((o) => o.startsWith('answer'))).toEqual(ten.map((i) => `answer ${i}`));
    expect(order.filter((o) => o.startsWith('upgrade'))).toEqual(ten.map((i) => `upgrade ${i}`));
    expect(order.indexOf('answer 9')).toBeLessThan(order.indexOf('upgrade 2'));
    const counts = new Map<number, number>();
    for (const t of byTurn) counts.set(t, (counts.get(t) ?? 0) + 1);
    expect(Math.max(...counts.values())).toBe(3);
    expect(counts.size).toBe(7); // ceil(20 / 3)
    expect(queue.queued).toBe(0);
  });

  it('lets socket I/O through between turns while a long queue of heavy tasks drains', async () => {
    server = createServer((s) => {
      sockets.push(s);
      s.on('data', (d) => s.write(d));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    sockets.push(client);
    await new Promise((r) => client.once('connect', r));

    const queue = new AdmissionQueue(4);
    let ran = 0;
    let ranWhenEchoed = -1;
    const echoed = new Promise<void>((resolve) =>
      client.once('data', () => {
        ranWhenEchoed = ran;
        resolve();
      }),
    );
    const finished = new Promise<void>((resolve) => {
      for (let i = 0; i < 200; i++) {
        queue.run(Stage.Upgrade, () => {
          busy(1);
          if (++ran === 200) resolve();
        });
      }
    });
    client.write('ping');
    await Promise.all([echoed, finished]);
    // The echo needs three turns (server read, its write, client read): 12 tasks, not 200.
    expect(ranWhenEchoed).toBeGreaterThanOrEqual(4);
    expect(ranWhenEchoed).toBeLessThan(100);
    expect(ran).toBe(200);
  });
});

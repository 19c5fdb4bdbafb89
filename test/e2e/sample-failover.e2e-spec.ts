import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { spawnTs, type TsProcess } from '../support/app-process.js';
import { launchChromium } from '../support/browser.js';
import { type RedisServer, startRedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

const SECRET = 'sample-failover-secret-0123456789ab';
const ROOM = 'failover';

/** The sample chat (sample/main.ts) as its own process on a free port. */
async function startSample(redis: RedisServer): Promise<TsProcess & { port: number }> {
  const env = { PORT: '0', BROKER_URL: redis.url, DWS_SESSION_SECRET: SECRET };
  const sample = await spawnTs('sample/main.ts', env, /Chat sample on http:\/\/localhost:(\d+)/);
  return { ...sample, port: Number(sample.ready[1]) };
}

/**
 * Waits for every start, so that `afterAll` stops whatever did start (a browser or a process
 * left running keeps Jest from exiting), then throws the first failure.
 */
async function startedAll(starts: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(starts)).find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
}

const lines = (page: Page) =>
  page.$$eval('#messages li.message', (lis) => lis.map((li) => li.textContent));

async function join(page: Page, name: string): Promise<void> {
  await page.waitForSelector('#status[data-state="connected"]');
  await page.fill('#room', ROOM);
  await page.fill('#name', name);
  await page.click('#join button');
  await page.waitForSelector(`#messages li.note:has-text("You joined #${ROOM}.")`);
}

/** Sends `text` and waits for the server's ack (the page clears the input on the ack). */
async function send(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.click('#send button');
  await page.waitForFunction(
    () => (document.querySelector('#text') as HTMLInputElement).value === '',
  );
}

async function waitForLines(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => document.querySelectorAll('#messages li.message').length >= n,
    count,
  );
}

/**
 * Two sample chat processes on one Redis, a page on each. The instance serving page 1 dies;
 * page 1, given both instances with `?ws=`, reconnects to the other one and shows what was said
 * while it was away.
 */
describe('sample chat pages survive the loss of an instance (Redis, Chromium)', () => {
  let redis: RedisServer;
  let x: TsProcess & { port: number };
  let y: TsProcess & { port: number };
  let browser: Browser;

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build-client-bundle.js'], { stdio: 'inherit' });
    redis = await startRedisServer();
    await startedAll([
      startSample(redis).then((sample) => (x = sample)),
      startSample(redis).then((sample) => (y = sample)),
      launchChromium().then((chromium) => (browser = chromium)),
    ]);
  }, 45_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([x?.kill('SIGKILL'), y?.kill()]);
    await redis?.stop();
  });

  it('page 1 reconnects to the other instance, resumes, and renders the messages sent meanwhile', async () => {
    const xWs = `ws://127.0.0.1:${x.port}/ws`;
    const yWs = `ws://127.0.0.1:${y.port}/ws`;
    const page1 = await browser.newPage();
    const page2 = await browser.newPage();
    // Fail on the step that hangs, well within the test's own timeout.
    for (const page of [page1, page2]) page.setDefaultTimeout(10_000);
    // Page 1's connections to Y wait here until page 2 has spoken, so that what it said was
    // surely said while page 1 was away (the SDK's first retry comes after only 250-500 ms).
    const toY: string[] = [];
    let letThrough!: () => void;
    const held = new Promise<void>((resolve) => (letThrough = resolve));
    await page1.routeWebSocket(yWs, async (ws) => {
      toY.push(ws.url());
      await held;
      ws.connectToServer();
    });
    await page1.goto(`http://127.0.0.1:${x.port}/?ws=${xWs},${yWs}`);
    await page2.goto(`http://127.0.0.1:${y.port}/`);
    await join(page1, 'one');
    await join(page2, 'two');

    await send(page1, 'hello from X');
    await Promise.all([waitForLines(page1, 1), waitForLines(page2, 1)]);
    expect(await lines(page1)).toEqual(['one:hello from X']);
    expect(await lines(page2)).toEqual(['one:hello from X']);
    expect(toY).toEqual([]);

    await page1.evaluate(() => {
      // Every status the page shows from now on, however briefly.
      const seen: string[] = [];
      (window as any).statuses = seen;
      const status = document.querySelector('#status') as HTMLElement;
      new MutationObserver((records) => {
        for (const record of records) record.addedNodes.forEach((n) => seen.push(n.textContent!));
      }).observe(status, { childList: true });
    });
    await x.kill('SIGKILL');
    await page1.waitForSelector('#status[data-state="reconnecting"]');
    await waitFor(() => toY.length === 1, { timeout: 10_000, message: 'page 1 to try Y' });
    await send(page2, 'while you were away');
    await send(page2, 'still away?');
    await waitForLines(page2, 3);
    expect(await lines(page1)).toEqual(['one:hello from X']);

    letThrough();
    await waitForLines(page1, 3);
    await page1.waitForSelector('#status[data-state="connected"]');
    const missed = ['one:hello from X', 'two:while you were away', 'two:still away?'];
    expect(await lines(page1)).toEqual(missed);
    expect(await page1.textContent('#status')).toBe('connected (resumed)');

    // Page 1 now talks through Y; nothing arrives twice on either page.
    await send(page1, 'back, through Y');
    await Promise.all([waitForLines(page1, 4), waitForLines(page2, 4)]);
    const all = [...missed, 'one:back, through Y'];
    expect(await lines(page1)).toEqual(all);
    expect(await lines(page2)).toEqual(all);
    expect(await page1.evaluate(() => (window as any).statuses)).toEqual([
      'reconnecting…',
      'connected (resumed)',
    ]);
    expect(toY).toEqual([yWs]);
    expect(await page1.textContent('#error')).toBe('');
  }, 30_000);
});

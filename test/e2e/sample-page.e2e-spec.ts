import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { ConnectionRegistry } from '../../lib/adapter/connection-registry.js';
import { Broadcaster } from '../../lib/index.js';
import { AppModule } from '../../sample/app.module.js';
import { launchChromium } from '../support/browser.js';

describe('sample chat page in Chromium', () => {
  let app: INestApplication;
  let browser: Browser;
  let page: Page;

  const lines = () => page.$$eval('#messages li.message', (lis) => lis.map((li) => li.textContent));

  beforeAll(async () => {
    // The page loads the SDK bundle the way `npm start` builds it.
    execFileSync(process.execPath, ['scripts/build-client-bundle.js'], { stdio: 'inherit' });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    browser = await launchChromium();
    page = await browser.newPage();
    const port = (app.getHttpServer().address() as AddressInfo).port;
    await page.goto(`http://127.0.0.1:${port}/`);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('connects, joins a room, sends and renders a message', async () => {
    await page.waitForSelector('#status[data-state="connected"]');
    expect(await page.textContent('#status')).toBe('connected');
    await page.fill('#room', 'e2e');
    await page.fill('#name', 'ada');
    await page.click('#join button');
    await page.waitForSelector('#messages li.note');
    await page.fill('#text', 'hello from the page');
    await page.click('#send button');
    await page.waitForSelector('#messages li.message');
    expect(await lines()).toEqual(['ada:hello from the page']);
    expect(await page.inputValue('#text')).toBe('');
  });

  it('shows the code and message of a refused publish in #error', async () => {
    await page.$eval('#text', (input) => input.removeAttribute('maxlength'));
    await page.fill('#text', 'x'.repeat(1001));
    await page.click('#send button');
    await page.waitForFunction(() => document.querySelector('#error')!.textContent !== '');
    expect(await page.textContent('#error')).toBe(
      'DWS_ERR_INVALID_PAYLOAD: payload.text must NOT have more than 1000 characters.',
    );
  });

  it('shows reconnecting, resumes, and renders what was sent while away', async () => {
    const registry = app.get(ConnectionRegistry);
    const [connection] = [...registry.values()];
    await page.evaluate(() => {
      // Record every status the page shows, however briefly.
      const seen: string[] = [];
      (window as any).statuses = seen;
      const status = document.querySelector('#status') as HTMLElement;
      new MutationObserver(() => seen.push(status.dataset.state!)).observe(status, {
        attributes: true,
      });
    });
    connection.ws.terminate();
    await app
      .get(Broadcaster)
      .publish('chat/rooms/e2e', { text: 'while you were away', author: 'server' });
    await page.waitForFunction(
      () => document.querySelectorAll('#messages li.message').length === 2,
    );
    expect(await lines()).toEqual(['ada:hello from the page', 'server:while you were away']);
    await page.waitForSelector('#status[data-state="connected"]');
    expect(await page.textContent('#status')).toBe('connected (resumed)');
    expect(await page.evaluate(() => (window as any).statuses)).toEqual([
      'reconnecting',
      'connected',
    ]);
  });

  it('lists who is in the room, following joins and leaves of another page', async () => {
    const who = (p: Page) => p.textContent('#who');
    await page.waitForFunction(() => document.querySelector('#who')!.textContent === 'ada');
    const other = await browser.newPage();
    await other.goto(page.url());
    await other.waitForSelector('#status[data-state="connected"]');
    await other.fill('#room', 'e2e');
    await other.fill('#name', 'bob');
    await other.click('#join button');
    for (const p of [page, other]) {
      await p.waitForFunction(() => document.querySelector('#who')!.textContent === 'ada, bob');
    }
    expect([await who(page), await who(other)]).toEqual(['ada, bob', 'ada, bob']);
    await other.close();
    await page.waitForFunction(() => document.querySelector('#who')!.textContent === 'ada');
    expect(await who(page)).toBe('ada');
  });
});

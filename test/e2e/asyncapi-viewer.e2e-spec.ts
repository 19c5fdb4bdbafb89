import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { parse } from 'yaml';
import { ChatGateway } from '../../sample/chat.gateway.js';
import { PageController } from '../../sample/page.controller.js';
import { launchChromium } from '../support/browser.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** The sample's gateway and page, with the document served at /asyncapi. */
describe('AsyncAPI served by the running sample', () => {
  let app: TestApp;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestApp(
      { asyncapi: { serve: { path: '/asyncapi' } } },
      { controllers: [PageController], providers: [ChatGateway] },
    );
    base = `http://127.0.0.1:${app.port}`;
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('serves the document as JSON and as YAML, with the same content', async () => {
    const json = await fetch(`${base}/asyncapi.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const yaml = await fetch(`${base}/asyncapi.yaml`);
    expect(yaml.status).toBe(200);
    expect(yaml.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    const doc = await json.json();
    expect(parse(await yaml.text())).toEqual(doc);
    expect(doc.channels.chatRooms.address).toBe('chat/rooms/{roomId}');
  });

  it('renders the chat channel and its payload fields in the viewer, loading nothing from elsewhere', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    try {
      await page.goto(`${base}/asyncapi`);
      const send = page.locator('[id="operation-send-sendChatRooms"]');
      await send.waitFor({ timeout: 20_000 });
      expect(await send.locator('h3').innerText()).toContain('chat/rooms/{roomId}');

      const payload = page.locator('[id="message-ChatRoomsMessage-payload"]');
      await payload.getByRole('button', { name: 'Expand all' }).click();
      for (const field of ['text', 'author', 'sentAt']) {
        await expect(payload.getByText(field, { exact: true }).first().isVisible()).resolves.toBe(
          true,
        );
      }
      await expect(payload.getByText('The message.', { exact: true }).isVisible()).resolves.toBe(
        true,
      );

      expect(requested.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
      expect(requested).toEqual(
        expect.arrayContaining([
          `${base}/asyncapi/assets/standalone.js`,
          `${base}/asyncapi/assets/default.min.css`,
          `${base}/asyncapi.json`,
        ]),
      );
    } finally {
      await page.close();
    }
  }, 30_000);

  it('shows no Markdown syntax as text: inline code is rendered, never shown as backticks', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await page.goto(`${base}/asyncapi`);
      await page.locator('[id="operation-send-sendChatRooms"]').waitFor({ timeout: 20_000 });
      // Every schema opened, so that their descriptions are on the page too.
      await page.evaluate(() => {
        for (const button of document.querySelectorAll('button')) {
          if (button.textContent?.trim() === 'Expand all') button.click();
        }
      });
      await page.getByRole('button', { name: 'Expand all' }).first().waitFor({ state: 'detached' });
      const text = await page.locator('#asyncapi').innerText();
      // The protocol overview (Markdown) and a summary that used to carry a code span.
      expect(text).toContain('Every frame is a JSON text frame {"event": string');
      expect(text).toContain('What the stats handler returns, when the frame had an id.');
      // A `|` inside a code span in a table cell used to end the cell there.
      expect(text).toContain(
        'DWS_ERR_BAD_FRAME\tThe frame is not {"event": string, "id"?: string|integer, "data"?: any}.',
      );
      expect(text.split('\n').filter((line) => line.includes('`'))).toEqual([]);
      const code = await page.locator('#introduction code').first().innerText();
      expect(code).toBe('{"event": string, "id"?: string|integer, "data"?: any}');
    } finally {
      await page.close();
    }
  }, 60_000);

  it('leaves the rest of the app alone', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect((await fetch(`${base}/asyncapi/other`)).status).toBe(404);
  });
});

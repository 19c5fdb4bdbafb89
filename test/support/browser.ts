import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** The system Chromium the browser tests drive (playwright-core downloads no browser). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launches the system Chromium headless, with nothing running in the background (no updates,
 * no sync), so that a test sees only the requests its page makes.
 * @throws Error saying how to install Chromium when /usr/bin/chromium is missing.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\`.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

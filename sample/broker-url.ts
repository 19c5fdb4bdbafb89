import { Logger } from '@nestjs/common';

/** What the sample connects to when `BROKER_URL` is unset. */
export const DEFAULT_BROKER_URL = 'memory://';

/**
 * The broker the sample runs on, from `BROKER_URL`. Compose files often leave the variable
 * defined but empty (`BROKER_URL=`): that means "not set", so the embedded broker is used and
 * one log line says so, instead of a Redis broker with an empty address.
 */
export function brokerUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.BROKER_URL;
  if (value === undefined) return DEFAULT_BROKER_URL;
  if (value.trim() === '') {
    new Logger('Sample').warn(
      `BROKER_URL is set but empty: using the embedded broker (${DEFAULT_BROKER_URL}). Unset it, or give a redis:// URL.`,
    );
    return DEFAULT_BROKER_URL;
  }
  return value;
}

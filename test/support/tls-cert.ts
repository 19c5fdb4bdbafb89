import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for 127.0.0.1 and its key, in PEM. */
export interface TlsCert {
  cert: string;
  key: string;
}

let cached: TlsCert | undefined;

/**
 * Makes (once per process) a self-signed certificate for `127.0.0.1` with `openssl`, so no
 * private key is committed. Clients trust it by passing `cert` as their `ca`.
 * @throws Error saying how to install openssl when it is missing.
 */
export function selfSignedCert(): TlsCert {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'dws-tls-'));
  try {
    const args = 'req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1'.split(' ');
    args.push('-addext', 'subjectAltName=IP:127.0.0.1');
    args.push('-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'));
    execFileSync('openssl', args, { stdio: 'pipe' });
    cached = {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
    return cached;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('openssl not found: install it with "apt-get install openssl"');
    }
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

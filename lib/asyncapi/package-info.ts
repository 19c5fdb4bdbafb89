import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The fields of a package.json the document's `info` defaults from. */
export interface PackageInfo {
  name?: string;
  version?: string;
  description?: string;
  license?: string;
  author?: string | { name?: string; email?: string; url?: string };
}

/**
 * The nearest package.json at or above `directory` that has a `name`, or null.
 * @example
 * ```ts
 * findPackageInfo(process.cwd())?.version; // '1.4.0'
 * ```
 */
export function findPackageInfo(directory: string): PackageInfo | null {
  for (let dir = directory; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as PackageInfo;
        if (parsed.name) return parsed;
      } catch {
        // A broken package.json on the way up is not ours to report; keep looking.
      }
    }
    if (dirname(dir) === dir) return null;
  }
}

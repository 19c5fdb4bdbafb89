import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** What dependency-cruiser reports for the lib/ under `cwd`, file by file. */
async function violations(cwd: string): Promise<Violation[]> {
  const args = [CLI, 'lib', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'];
  const { stdout } = await run(process.execPath, args, { cwd, maxBuffer: 64 << 20 }).catch(
    (failed: { stdout?: string }) => ({ stdout: failed.stdout ?? '' }),
  );
  const summary = JSON.parse(stdout).summary as { violations: Violation[] };
  return summary.violations.map(({ rule, from, to }) => ({ rule: { name: rule.name }, from, to }));
}

/** The folder-level cycles scripts/check-folder-cycles.mjs finds in the lib/ under `cwd`. */
async function folderCycles(cwd: string): Promise<string[][]> {
  const script = join(ROOT, 'scripts/check-folder-cycles.mjs');
  const { stdout } = await run(process.execPath, [script, '--json'], { cwd }).catch(
    (failed: { stdout?: string }) => ({ stdout: failed.stdout ?? '' }),
  );
  return JSON.parse(stdout) as string[][];
}

/** A copy of lib/ and the rule's configuration, with `files` added. */
function treeWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dws-layers-'));
  cpSync(join(ROOT, 'lib'), join(dir, 'lib'), { recursive: true });
  for (const name of ['.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) {
    cpSync(join(ROOT, name), join(dir, name));
  }
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

describe('the dependency rule (.dependency-cruiser.cjs)', () => {
  it('holds for lib/, file by file and folder by folder', async () => {
    expect(await violations(ROOT)).toEqual([]);
    expect(await folderCycles(ROOT)).toEqual([]);
  }, 60_000);

  it('refuses an upward import and a folder-level cycle', async () => {
    const dir = treeWith({
      // A pure module reaching up into the adapter.
      'lib/topics/upward.probe.ts': "export { Connection } from '../adapter/connection.js';\n",
      // Two ports that import each other's folders, with no file-level cycle.
      'lib/security/cycle-a.probe.ts':
        "export { DWS_METRICS } from '../metrics/metrics.interface.js';\n",
      'lib/metrics/cycle-b.probe.ts':
        "export { connectionOf } from '../security/connection-info.js';\n",
    });
    try {
      expect(await violations(dir)).toContainEqual({
        rule: { name: 'pure-points-down' },
        from: 'lib/topics/upward.probe.ts',
        to: 'lib/adapter/connection.ts',
      });
      // The upward import closes a cycle of folders too: topics/ is imported all the way up.
      expect((await folderCycles(dir)).sort()).toEqual([
        ['lib/adapter/', 'lib/explorer/', 'lib/presence/', 'lib/topics/'],
        ['lib/metrics/', 'lib/security/'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

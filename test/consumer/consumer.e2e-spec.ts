import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CONSUMER_FILES } from './consumer-app.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The newest TypeScript the published declarations are checked with. */
const TYPESCRIPT = 'typescript@~7.0.2';
/** What a user pastes: the library, the framework peers, ws for the Node client, TypeScript. */
const INSTALL = [
  '@nestjs/common@^12',
  '@nestjs/core@^12',
  '@nestjs/websockets@^12',
  '@nestjs/platform-ws@^12',
  '@nestjs/platform-express@^12',
  'reflect-metadata',
  'rxjs',
  'ws',
  TYPESCRIPT,
];
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

interface Ran {
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs a command to completion.
 * @throws Error with the command, its exit status and its output when it fails.
 */
function run(command: string, args: string[], cwd: string, timeoutMs = 90_000): Ran {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const line = `${command} ${args.join(' ')}`;
  if (result.error) {
    const hint =
      (result.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? ` ${command} is not on PATH: install Node.js 20.11+ with npm (https://nodejs.org).`
        : '';
    throw new Error(`\`${line}\` could not run in ${cwd}: ${result.error.message}.${hint}`);
  }
  if (result.status !== 0) {
    throw new Error(
      `\`${line}\` failed (exit ${result.status}) in ${cwd}:\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

/**
 * The package as `npm publish` would make it, from a copy of the repository's package files
 * with the library compiled into it: the working tree's own dist/ is left alone.
 */
function packLibrary(stage: string): { tarball: string; files: string[] } {
  mkdirSync(stage, { recursive: true });
  for (const file of ['package.json', 'README.md', 'LICENSE', 'docs']) {
    if (existsSync(join(root, file)))
      cpSync(join(root, file), join(stage, file), { recursive: true });
  }
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(
    process.execPath,
    // Emit only: `npm run typecheck` is where type errors fail, and --noCheck emits the same
    // files (~2 s less of a 6 s build).
    [tsc, '-p', 'tsconfig.build.json', '--noCheck', '--outDir', join(stage, 'dist')],
    { cwd: root, encoding: 'utf8' },
  );
  if (!existsSync(join(stage, 'dist', 'lib', 'index.js'))) {
    throw new Error(`tsc did not emit dist/lib/index.js:\n${build.stdout}${build.stderr}`);
  }
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', ...NPM_FLAGS], stage);
  const [{ filename, files }] = JSON.parse(packed.stdout) as {
    filename: string;
    files: { path: string }[];
  }[];
  return { tarball: join(stage, filename), files: files.map((f) => f.path) };
}

/**
 * A new application installs the packed library with ONE `npm install`, type-checks strictly
 * against its declarations, boots, talks to itself through the SDK and documents itself.
 */
describe('the packed library in a new application', () => {
  const work = mkdtempSync(join(tmpdir(), 'dws-consumer-'));
  const app = join(work, 'app');
  let packedFiles: string[] = [];
  let install: Ran;
  let server: ChildProcess | undefined;

  beforeAll(() => {
    const { tarball, files } = packLibrary(join(work, 'package'));
    packedFiles = files;
    for (const [file, text] of Object.entries(CONSUMER_FILES)) {
      mkdirSync(dirname(join(app, file)), { recursive: true });
      writeFileSync(join(app, file), text);
    }
    install = run('npm', ['install', tarball, ...INSTALL, ...NPM_FLAGS], app, 100_000);
  }, 150_000);

  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('publishes the library, its declarations and docs, not the sample', () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['package.json', 'README.md']));
    expect(packedFiles).toContain('dist/lib/index.d.ts');
    expect(packedFiles).toContain('dist/lib/client/index.js');
    const elsewhere = packedFiles.filter(
      (path) => !/^(dist\/lib\/|docs\/|README\.md$|LICENSE$|package\.json$)/.test(path),
    );
    expect(elsewhere).toEqual([]);
  });

  it('installs in one command (no ERESOLVE) with one copy of @nestjs/core', () => {
    expect(install.stderr).not.toContain('ERESOLVE');
    const tree = run('npm', ['ls', '@nestjs/core', '--all', '--json'], app).stdout;
    const versions = new Set<string>();
    const walk = (
      node: { version?: string; dependencies?: Record<string, unknown> },
      name = '',
    ) => {
      if (name === '@nestjs/core' && node.version) versions.add(node.version);
      for (const [child, value] of Object.entries(node.dependencies ?? {})) {
        walk(value as typeof node, child);
      }
    };
    walk(JSON.parse(tree));
    expect(versions.size).toBe(1);
  });

  it(`type-checks with ${TYPESCRIPT}: strict, skipLibCheck false, nodenext`, () => {
    run(join(app, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app);
    expect(existsSync(join(app, 'dist', 'main.js'))).toBe(true);
  });

  it('boots on the memory broker; the SDK from nestjs-distributed-ws/client gets its own publish', async () => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: app,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "listening" in 20 s:\n${output}`)),
        20_000,
      );
      child.once('exit', (code) => reject(new Error(`the app exited (${code}):\n${output}`)));
      child.stdout!.on('data', () => {
        const found = /listening on (\d+)/.exec(output);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      });
    });
    const roundTrip = run(
      process.execPath,
      ['dist/round-trip.js', `ws://127.0.0.1:${port}/ws`],
      app,
    );
    expect(JSON.parse(roundTrip.stdout)).toEqual({ topic: 'orders/42/status', status: 'shipped' });
  }, 40_000);

  it("documents the app's topic with npx dws-asyncapi", () => {
    const cli = run(
      'npx',
      ['--no-install', 'dws-asyncapi', 'dist/app.module.js', '--out', 'asyncapi.yaml'],
      app,
    );
    expect(cli.stdout).toMatch(
      /^dws-asyncapi: wrote asyncapi\.yaml \(\d+ channels, \d+ operations\)\n$/,
    );
    const document = parse(readFileSync(join(app, 'asyncapi.yaml'), 'utf8'));
    expect(document.channels.ordersStatus.address).toBe('orders/{orderId}/status');
  }, 30_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Parser } from '@asyncapi/parser';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// The CLI is tested as it ships: compiled by tsc, run by node, in its own process. The build goes
// to .tmp/ inside the repository (git-ignored) so that node_modules resolve; ~8 s, once.
const root = process.cwd();
const work = join(root, '.tmp', `asyncapi-cli-e2e-${process.pid}`);
const outDir = join(work, 'build');
const cli = join(outDir, 'lib', 'asyncapi', 'cli.js');
const sampleModule = join(outDir, 'sample', 'app.module.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Run {
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: work,
    // JWT_SECRET switches the sample's authentication on; the committed file is built without it.
    env: { ...process.env, NODE_OPTIONS: '', JWT_SECRET: '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('dws-asyncapi CLI', () => {
  beforeAll(() => {
    mkdirSync(work, { recursive: true });
    const tsc = spawnSync(
      process.execPath,
      [
        join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        'tsconfig.build.json',
        '--outDir',
        outDir,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    // Type errors elsewhere still emit; `npm run typecheck` is where they fail the build.
    if (!existsSync(cli) || !existsSync(sampleModule)) {
      throw new Error(`tsc did not emit the CLI and the sample:\n${tsc.stdout}${tsc.stderr}`);
    }
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('keeps the shebang, so npm can link it as a bin', () => {
    expect(readFileSync(cli, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('writes the sample document, byte-identical on a second run, and matching the committed file', () => {
    const first = runCli([sampleModule, '--out', 'first/asyncapi.yaml']);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(
      /^dws-asyncapi: wrote first\/asyncapi\.yaml \(\d+ channels, \d+ operations\)\n$/,
    );
    expect(runCli([sampleModule, '--out', 'second.yaml']).status).toBe(0);
    const again = runCli([sampleModule, '--out', 'second.yaml']);
    expect(again.stdout).toMatch(/^dws-asyncapi: unchanged second\.yaml /);
    const text = readFileSync(join(work, 'first', 'asyncapi.yaml'));
    expect(readFileSync(join(work, 'second.yaml')).equals(text)).toBe(true);
    // `npm run build` emits the same file at the root; a stale commit means drifted docs.
    expect(readFileSync(join(root, 'asyncapi.yaml'), 'utf8')).toBe(text.toString('utf8'));
  });

  it("validates the sample's document with @asyncapi/parser", async () => {
    const text = readFileSync(join(work, 'second.yaml'), 'utf8');
    const { diagnostics } = await new Parser().parse(text);
    for (const d of diagnostics)
      console.log(`sample: severity ${d.severity} ${d.code}: ${d.message}`);
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    // Only asyncapi-latest-version (info: 3.1.0 exists; 3.0.0 is what the issue and the tools use).
    expect(diagnostics.map((d) => d.code)).toEqual(['asyncapi-latest-version']);
    const doc = parse(text);
    expect(Object.keys(doc.channels)).toEqual(
      expect.arrayContaining(['connection', 'chatAnnouncements', 'chatRooms']),
    );
    expect(doc.channels.chatRooms.address).toBe('chat/rooms/{roomId}');
    expect(doc.components.messages.ChatRoomsMessage.payload.properties.text).toMatchObject({
      type: 'string',
    });
    expect(doc.servers.development).toMatchObject({
      host: 'localhost:3000',
      pathname: '/ws',
      protocol: 'ws',
    });
  });

  it('writes JSON for a .json output, with the same content', () => {
    expect(runCli([sampleModule, '--module', 'AppModule', '-o', 'asyncapi.json']).status).toBe(0);
    const json = JSON.parse(readFileSync(join(work, 'asyncapi.json'), 'utf8'));
    expect(json).toEqual(parse(readFileSync(join(work, 'second.yaml'), 'utf8')));
  });

  it('needs no Redis even when the app is configured for one', () => {
    const started = Date.now();
    const run = runCli([sampleModule, '--out', 'redis.yaml'], {
      BROKER_URL: 'redis://127.0.0.1:1',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(readFileSync(join(work, 'redis.yaml'), 'utf8')).toBe(
      readFileSync(join(work, 'second.yaml'), 'utf8'),
    );
  });

  it('fails with exit 1 and a clear message for a module file that does not exist', () => {
    const run = runCli(['dist/nope/app.module.js']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `dws-asyncapi: Module file "dist/nope/app.module.js" not found (looked at ${join(work, 'dist/nope/app.module.js')}). Pass the compiled file that exports your root module, e.g. dist/app.module.js, and build first.\n`,
    );
  });

  it('fails with exit 1 and names the exports when the module class is not found', () => {
    const run = runCli([sampleModule, '--module', 'ShopModule']);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `dws-asyncapi: "${sampleModule}" has no exported Nest module named ShopModule. It exports these modules: AppModule. Choose one with --module <Name>.\n`,
    );
  });

  it('fails with exit 1 when the app does not boot, saying which module', () => {
    const broken = join(work, 'broken.module.js');
    writeFileSync(
      broken,
      `import { Module, Injectable } from '@nestjs/common';
class Missing {}
class NeedsMissing { constructor(missing) { this.missing = missing; } }
Injectable()(NeedsMissing);
Reflect.defineMetadata('design:paramtypes', [Missing], NeedsMissing);
export class BrokenModule {}
Module({ providers: [NeedsMissing] })(BrokenModule);
`,
    );
    const run = runCli([broken]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^dws-asyncapi: BrokenModule failed to boot: Nest can't resolve dependencies of the NeedsMissing/,
    );
  });

  it('explains its usage', () => {
    expect(runCli([]).stderr).toContain('dws-asyncapi: expected one module file.');
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(
      /^Usage: dws-asyncapi <compiled-module.js> \[--module AppModule\] \[--out asyncapi.yaml\]/,
    );
  });
});

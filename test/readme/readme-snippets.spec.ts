import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** A ```ts block of the README, with the line its code starts on. */
interface Snippet {
  line: number;
  code: string;
  /** `<!-- readme: file name.ts -->` before the block: saved under that name, so others import it. */
  file?: string;
  /** `<!-- readme: fragment <why> -->` before the block: shown, not compiled. */
  fragment?: string;
}

/** The TypeScript blocks of a Markdown text, with the HTML comment just above each, if any. */
export function tsSnippets(markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const end = lines.indexOf('```', i + 1);
    const snippet: Snippet = { line: i + 2, code: lines.slice(i + 1, end).join('\n') };
    const marker = /^<!-- readme: (file|fragment) (.+?) -->$/.exec(lines[i - 1] ?? '');
    if (marker?.[1] === 'file') snippet.file = marker[2];
    if (marker?.[1] === 'fragment') snippet.fragment = marker[2];
    snippets.push(snippet);
    i = end;
  }
  return snippets;
}

/** The package's entry points, mapped to their sources: `nestjs-distributed-ws/client` → lib/client/index.ts. */
function entryPointPaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { types?: string }>;
  };
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const types = typeof target === 'string' ? target : target.types;
    if (!types?.endsWith('.d.ts')) continue;
    const source = types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts');
    paths[subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`] = [join(root, source)];
  }
  return paths;
}

/**
 * Every TypeScript snippet of the README compiles against the library's sources, as a user's
 * file importing `nestjs-distributed-ws` would (strict, NodeNext, decorators with metadata).
 */
describe('README snippets', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const snippets = tsSnippets(readme);
  // Inside the repository, so that the snippets resolve its node_modules and are ESM.
  const dir = join(root, '.tmp', `readme-snippets-${process.pid}`);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows how to install it in an application, and the repository commands', () => {
    expect(readme.split('\n').slice(0, 12).join('\n')).toMatch(
      /^# nestjs-distributed-ws\n\n## Install\n[^]*npm install nestjs-distributed-ws @nestjs\/common @nestjs\/core @nestjs\/websockets @nestjs\/platform-ws reflect-metadata rxjs\n/,
    );
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test ');
  });

  it('keeps fragments rare, each with its reason', () => {
    const fragments = snippets.filter((s) => s.fragment);
    expect(fragments.length).toBeLessThanOrEqual(2);
    for (const fragment of fragments) expect(fragment.fragment!.length).toBeGreaterThan(20);
  });

  it('type-check against the library', () => {
    mkdirSync(dir, { recursive: true });
    const files = new Map<string, Snippet>();
    for (const snippet of snippets.filter((s) => !s.fragment)) {
      const file = join(dir, snippet.file ?? `readme-line-${snippet.line}.ts`);
      writeFileSync(file, snippet.code);
      files.set(file, snippet);
    }
    const program = ts.createProgram([...files.keys()], {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
      types: ['node', 'jest'],
      paths: entryPointPaths(),
    });
    const problems: string[] = [];
    for (const [file, snippet] of files) {
      const source = program.getSourceFile(file)!;
      for (const diagnostic of ts.getPreEmitDiagnostics(program, source)) {
        const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
        problems.push(`README.md:${snippet.line + line}: ${text}`);
      }
    }
    expect(problems).toEqual([]);
    // Guards against an extraction that silently finds nothing.
    expect(files.size).toBeGreaterThan(5);
  }, 60_000);
});

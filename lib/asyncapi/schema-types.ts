import { compile, type JSONSchema } from 'json-schema-to-typescript';
import type { JsonSchema } from '../protocol/json-schema.js';

// JSON Schema to TypeScript declarations, for the types generator: every schema in one
// json-schema-to-typescript pass, so that nested named types get unique names.

/** The root of the one schema handed to json-schema-to-typescript; removed from the output. */
export const ROOT = 'DwsGeneratedDeclarations';

/** A TypeScript type for each named schema, and the source of their declarations. */
export interface ConvertedSchemas {
  typeNames: Map<string, string>;
  declarations: string;
}

/**
 * Converts every schema with one call, under a root that references each one, and reads the
 * name json-schema-to-typescript gave each from that root (it renames on a clash with a nested
 * `title`).
 */
export async function convertSchemas(
  schemas: Map<string, JsonSchema | undefined>,
): Promise<ConvertedSchemas> {
  const names = [...schemas.keys()];
  if (names.length === 0) return { typeNames: new Map(), declarations: '' };
  const root = {
    title: ROOT,
    type: 'object',
    additionalProperties: false,
    required: names,
    properties: Object.fromEntries(names.map((name) => [name, { $ref: `#/$defs/${name}` }])),
    $defs: Object.fromEntries(
      names.map((name) => [name, prepare(schemas.get(name), `#/$defs/${name}`, name)]),
    ),
  } as JSONSchema;
  const output = await compile(root, ROOT, {
    bannerComment: '',
    format: false,
    // Declarations are code of the app: a `$ref` to a file or URL is not followed.
    $refOptions: { resolve: { external: false } },
  });
  const rootBlock = new RegExp(`^export interface ${ROOT} \\{\\n([^}]*)\\}\\n`, 'm');
  const match = rootBlock.exec(output);
  if (!match) throw new Error(`json-schema-to-typescript did not declare ${ROOT}.`);
  const typeNames = new Map(
    match[1]
      .trim()
      .split('\n')
      .map((line) => line.split(': ') as [string, string]),
  );
  return { typeNames, declarations: output.replace(rootBlock, '') };
}

/**
 * A copy of `schema` ready for the shared root: named `title`, its own `#` references moved
 * under `base`. No schema (or one that constrains nothing) is any JSON value, `unknown`; a closed
 * object without properties is `Record<string, never>`, which TypeScript's `{}` is not.
 */
function prepare(schema: JsonSchema | undefined, base: string, title: string): JsonSchema {
  const copy = rebase(schema ?? {}, base) as JsonSchema;
  const constraints = Object.keys(copy).filter((key) => !ANNOTATIONS.has(key));
  if (constraints.length === 0) return { ...copy, title, tsType: 'unknown' };
  const closedEmpty =
    copy.type === 'object' &&
    copy.additionalProperties === false &&
    !copy.properties &&
    !copy.patternProperties;
  return closedEmpty ? { ...copy, title, tsType: 'Record<string, never>' } : { ...copy, title };
}

const ANNOTATIONS = new Set([
  'title',
  'description',
  'examples',
  'default',
  '$comment',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$schema',
  '$id',
]);

function rebase(value: unknown, base: string): unknown {
  if (Array.isArray(value)) return value.map((item) => rebase(item, base));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string' && item.startsWith('#')
        ? `${base}${item.slice(1)}`
        : rebase(item, base),
    ]),
  );
}

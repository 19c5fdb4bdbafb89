import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { JsonSchema } from '../decorators/topic-options.interface.js';

/** Returns null for a valid value, else a message naming the first failing path. */
export type PayloadValidator = (value: unknown) => string | null;

/**
 * Compiles JSON Schemas once, at boot. One Ajv instance for the whole registry so shared
 * `$id`s resolve, and strict mode off because AsyncAPI-only keywords (`examples`, `x-*`) are welcome.
 */
export class SchemaCompiler {
  private readonly ajv = new Ajv({ allErrors: false, strict: false });

  constructor() {
    // ajv-formats ships CommonJS; under NodeNext its default export is the module object.
    const module = addFormats as unknown as { default?: (ajv: Ajv) => Ajv };
    const plugin = module.default ?? (addFormats as unknown as (ajv: Ajv) => Ajv);
    plugin(this.ajv);
  }

  /**
   * @throws Error naming `where` when the schema itself is invalid.
   */
  compile(schema: JsonSchema | undefined, where: string): PayloadValidator {
    if (!schema || Object.keys(schema).length === 0) {
      return () => null;
    }
    let validate;
    try {
      validate = this.ajv.compile(schema);
    } catch (error) {
      throw new Error(
        `${where}: the payload schema is not a valid JSON Schema: ${(error as Error).message}`,
      );
    }
    return (value) => (validate(value) ? null : describe(validate.errors ?? []));
  }
}

function describe(errors: ErrorObject[]): string {
  const first = errors[0];
  if (!first) return 'Payload does not match the schema.';
  const path =
    first.instancePath === '' ? 'payload' : `payload${first.instancePath.replace(/\//g, '.')}`;
  if (first.keyword === 'required') {
    return `payload is missing required property "${(first.params as { missingProperty: string }).missingProperty}"${first.instancePath ? ` at ${path}` : ''}.`;
  }
  if (first.keyword === 'additionalProperties') {
    return `${path} has unexpected property "${(first.params as { additionalProperty: string }).additionalProperty}".`;
  }
  return `${path} ${first.message ?? 'is invalid'}.`;
}

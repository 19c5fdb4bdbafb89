/** A JSON Schema (draft-07 / 2020-12 subset that AsyncAPI 3.0 accepts). */
export type JsonSchema = Record<string, unknown>;

type Keys<T> = Extract<keyof T, string>;

/** The keys of `T` that are not optional. */
export type RequiredKeys<T> = {
  [K in Keys<T>]-?: object extends Pick<T, K> ? never : K;
}[Keys<T>];

/**
 * `R` when it names exactly the required keys of `T`; otherwise a type that says which keys
 * are wrong, so that the compiler's message points at the drift.
 */
type ExactlyRequired<T, R extends readonly string[]> = [
  Exclude<RequiredKeys<T>, R[number]>,
  Exclude<R[number], RequiredKeys<T>>,
] extends [never, never]
  ? unknown
  : {
      requiredButNotListed: Exclude<RequiredKeys<T>, R[number]>;
      listedButOptional: Exclude<R[number], RequiredKeys<T>>;
    };

/**
 * The schema of a closed object (`additionalProperties: false`) of TypeScript type `T`.
 *
 * The schemas of the frames are written by hand (their descriptions are documentation), so
 * nothing would keep them in step with the frame types: this helper does, at compile time.
 * `properties` must name every key of `T` and no other, and `required` exactly the keys `T`
 * does not mark optional (all of them when `required` is left out). Curried because TypeScript
 * cannot take `T` explicitly and infer `R`.
 *
 * @example
 * const member = objectSchema<PresenceMember>()({
 *   connectionId: { type: 'string' },
 *   userId: { type: ['string', 'null'] },
 *   info: {},
 * });
 */
export function objectSchema<T>() {
  return function build<const R extends readonly Keys<T>[] = readonly Keys<T>[]>(
    properties: { [K in Keys<T>]-?: JsonSchema },
    ...required: [Keys<T>] extends [RequiredKeys<T>]
      ? [required?: R & ExactlyRequired<T, R>]
      : [required: R & ExactlyRequired<T, R>]
  ): JsonSchema {
    return {
      type: 'object',
      required: required[0] ?? Object.keys(properties),
      additionalProperties: false,
      properties,
    };
  };
}

import { createRequire } from 'node:module';

/**
 * A feature was switched on whose package the application did not install, or installed in a
 * major version the library was not built against. The optional packages (`prom-client` for
 * metrics, `@asyncapi/react-component` for the viewer) are not dependencies of the library, so
 * that an install never pulls them, or their own peers, in.
 */
export class OptionalPackageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'OptionalPackageError';
  }
}

/** An optional package the library loads only when a feature asks for it. */
export interface OptionalPackage {
  name: string;
  /** The major versions supported, as written in the docs (`^15`). */
  range: string;
  majors: readonly number[];
  /** What needs it, e.g. `the "metrics" option`. */
  feature: string;
}

/**
 * The installed version of an optional package, once it is known to be supported.
 * @throws OptionalPackageError naming the package, the range and the install command when the
 *   package is missing or of another major.
 */
export function checkOptionalPackage(pkg: OptionalPackage): string {
  const install = `run \`npm install ${pkg.name}@${pkg.range}\``;
  let version: string;
  try {
    const require = createRequire(import.meta.url);
    version = (require(`${pkg.name}/package.json`) as { version: string }).version;
  } catch (error) {
    throw new OptionalPackageError(
      `${pkg.feature} needs ${pkg.name} ${pkg.range}, which is not installed: ${install}.`,
      { cause: error },
    );
  }
  const major = Number(version.split('.')[0]);
  if (!pkg.majors.includes(major)) {
    throw new OptionalPackageError(
      `${pkg.feature} needs ${pkg.name} ${pkg.range}, found ${version}: ${install}.`,
    );
  }
  return version;
}

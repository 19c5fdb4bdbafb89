import { describe, expect, it } from '@jest/globals';
import { VIEWER } from '../../../lib/asyncapi/asyncapi.serving.js';
import {
  checkOptionalPackage,
  OptionalPackageError,
} from '../../../lib/errors/optional-package.error.js';
import { PROM_CLIENT } from '../../../lib/metrics/metrics.factory.js';

describe('optional packages (prom-client, the AsyncAPI viewer)', () => {
  it('are accepted in the supported major, as installed here', () => {
    expect(checkOptionalPackage(PROM_CLIENT)).toMatch(/^15\./);
    expect(checkOptionalPackage(VIEWER)).toMatch(/^3\./);
  });

  it('when missing, fail with the package, its range and the command to run', () => {
    const missing = { ...PROM_CLIENT, name: 'dws-no-such-package' };
    expect(() => checkOptionalPackage(missing)).toThrow(OptionalPackageError);
    expect(() => checkOptionalPackage(missing)).toThrow(
      'DistributedWsModule: the "metrics" option needs dws-no-such-package ^15, which is not installed: run `npm install dws-no-such-package@^15`.',
    );
  });

  it('when of another major, fail with the version found and the range wanted', () => {
    const version = checkOptionalPackage(PROM_CLIENT);
    expect(() => checkOptionalPackage({ ...PROM_CLIENT, range: '^16', majors: [16] })).toThrow(
      `DistributedWsModule: the "metrics" option needs prom-client ^16, found ${version}: run \`npm install prom-client@^16\`.`,
    );
    expect(() => checkOptionalPackage({ ...VIEWER, range: '^4', majors: [4] })).toThrow(
      /^The AsyncAPI viewer page \(the document itself is served as JSON and YAML\) needs @asyncapi\/react-component \^4, found 3\.\d+\.\d+: run `npm install @asyncapi\/react-component@\^4`\.$/,
    );
  });
});

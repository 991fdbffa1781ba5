import { describeAccessorConformance, listConformanceCases } from '@stowage/conformance';
import { expect, it } from 'vitest';
import { S3Accessor, s3AccessorOptionsFromEnv } from '../src/index.js';
import { isolatedPrefix } from './helpers.js';

// The shared suite against a real S3 server (versitygw, or MinIO/AWS through
// STOWAGE_TEST_S3_*), under a prefix of its own.
const prefix = isolatedPrefix();

describeAccessorConformance('S3Accessor', {
  create: () => new S3Accessor({ ...s3AccessorOptionsFromEnv(), prefix }),
});

it('registers the S3 cases: conditional create, server-side copy, confinement', () => {
  const accessor = new S3Accessor({ ...s3AccessorOptionsFromEnv(), prefix });
  const cases = listConformanceCases(accessor.capabilities, {
    openRead: typeof accessor.openRead === 'function',
  });
  expect(cases).toContain('overwrite false race: exactly one of 8 concurrent writers wins');
  expect(cases).toContain('server-side copy duplicates the bytes');
  expect(cases).toContain('an empty container is listed');
  expect(cases).toContain('openRead of a missing file: AccessorResourceNotFoundError');
  expect(cases.some((name) => name.startsWith('rejects resource identifier'))).toBe(true);
});

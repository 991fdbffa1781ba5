import { describeAccessorConformance, listConformanceCases } from '@stowage/conformance';
import { afterAll, expect, it } from 'vitest';
import { ServerAccessor } from '../src/index.js';
import { startTestServer } from './helpers.js';

// The shared suite against a real, disk-backed @stowage/file-server on
// 127.0.0.1, started before the cases are collected.
const server = await startTestServer();
afterAll(() => server.dispose());

describeAccessorConformance('ServerAccessor (file-server, disk-backed)', {
  create: () => server.accessor(),
});

it('registers the cases its capabilities allow', () => {
  const accessor = new ServerAccessor({ url: server.url });
  const cases = listConformanceCases(accessor.capabilities);
  expect(cases.length).toBeGreaterThan(70);
  expect(cases).toContain('overwrite false race: exactly one of 8 concurrent writers wins');
  expect(cases).toContain('an aborted write leaves nothing at the target');
  expect(cases).toContain('rejects resource identifier "../sibling"');
});

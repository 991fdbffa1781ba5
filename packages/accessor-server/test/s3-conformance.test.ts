import { randomBytes } from 'node:crypto';
import { S3Accessor, s3AccessorOptionsFromEnv } from '@stowage/accessor-s3';
import { describeAccessorConformance } from '@stowage/conformance';
import { afterAll } from 'vitest';
import { start } from '../../../tools/backends/index.mjs';
import { startTestServer } from './helpers.js';

// The same suite against a file server that stores into S3 (Versity S3
// gateway, or the server STOWAGE_TEST_S3_* points at) instead of a disk.
// The S3 server failing to start fails this file.
const s3 = await start('s3');
const server = await startTestServer({
  accessor: new S3Accessor({
    ...s3AccessorOptionsFromEnv(s3.env),
    prefix: `file-server-${randomBytes(4).toString('hex')}`,
  }),
});
afterAll(async () => {
  await server.dispose();
  await s3.stop();
});

describeAccessorConformance('ServerAccessor (file-server, S3-backed)', {
  create: () => server.accessor(),
});

import { fileURLToPath } from 'node:url';
import { describeResumeConformance } from '@stowage/conformance';
import { s3AccessorOptionsFromEnv } from '../src/index.js';
import { isolatedPrefix } from './helpers.js';

// The shared kill-and-resume suite: a child process (importing dist/, so build
// first) uploads 64 MiB in 5 MiB parts, two at a time, and is SIGKILLed once
// its checkpoint covers 60 %; the transfer is then resumed here.
describeResumeConformance('S3Accessor', {
  accessorModule: fileURLToPath(new URL('../dist/index.js', import.meta.url)),
  accessorExport: 'S3Accessor',
  accessorOptions: {
    ...s3AccessorOptionsFromEnv(),
    prefix: isolatedPrefix(),
    partSize: 5 * 1024 * 1024,
    queueSize: 2,
  },
});

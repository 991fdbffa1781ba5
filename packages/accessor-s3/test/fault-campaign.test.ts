import { runFaultCampaign } from '@stowage/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../tools/fault-proxy.mjs';
import { S3Accessor, s3AccessorOptionsFromEnv } from '../src/index.js';
import { isolatedPrefix, serverEnv } from './helpers.js';

// Seeded cuts of 64 MiB uploads and 100-frame sequence transfers through the
// fault proxy in front of the S3 server (issue: reliability). CI runs a few;
// STOWAGE_FAULT_RUNS=50 runs all.
const runs = Number(process.env.STOWAGE_FAULT_RUNS ?? 4);

describe('S3 under connection cuts', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    const endpoint = new URL(serverEnv().endpoint);
    proxy = await startFaultProxy({ targetHost: endpoint.hostname, targetPort: Number(endpoint.port) });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it(`${runs} seeded runs: each completes identically or fails cleanly, none corrupt`, async () => {
    const report = await runFaultCampaign({
      runs,
      seed: 1101,
      createAccessor: () => {
        const options = s3AccessorOptionsFromEnv();
        return new S3Accessor({
          ...options,
          prefix: isolatedPrefix(),
          clientConfig: {
            ...options.clientConfig,
            endpoint: `http://127.0.0.1:${proxy.port}`,
            forcePathStyle: true,
          },
        });
      },
      interrupt: () => proxy.dropAll(),
    });
    console.log(
      `s3 fault campaign: runs ${report.runs}, cuts ${report.cuts}, completed ${report.completed}, failed cleanly ${report.failedCleanly}, corrupt ${report.corrupt}, resumed ${report.resumed}`,
    );
    expect(report.details.filter((run) => run.outcome === 'corrupt')).toEqual([]);
    expect(report.cuts).toBe(runs);
    expect(report.completed + report.failedCleanly).toBe(runs);
  }, 600_000);
});

import { runFaultCampaign } from '@stowage/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../tools/fault-proxy.mjs';
import { AzureBlobAccessor, type AzureBlobAccessorOptions } from '../src/index.js';
import { randomPrefix, serverEnv, testOptions } from './helpers.js';

// Seeded cuts of 64 MiB uploads and 100-frame sequence transfers through the
// fault proxy in front of Azurite (issue: reliability). CI runs a few;
// STOWAGE_FAULT_RUNS=50 runs all.
const runs = Number(process.env.STOWAGE_FAULT_RUNS ?? 4);

describe('Azure Blob under connection cuts', () => {
  let proxy: FaultProxy;
  let blobEndpoint: URL;
  beforeAll(async () => {
    const match = /BlobEndpoint=([^;]+)/.exec(serverEnv().connectionString);
    if (!match) throw new Error('the test connection string has no BlobEndpoint');
    blobEndpoint = new URL(match[1]!);
    proxy = await startFaultProxy({
      targetHost: blobEndpoint.hostname,
      targetPort: Number(blobEndpoint.port),
    });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it(`${runs} seeded runs: each completes identically or fails cleanly, none corrupt`, async () => {
    const report = await runFaultCampaign({
      runs,
      seed: 1201,
      createAccessor: () => {
        const options = testOptions() as AzureBlobAccessorOptions & { connectionString: string };
        const proxied = new URL(blobEndpoint);
        proxied.port = String(proxy.port);
        const connectionString = options.connectionString.replace(
          /BlobEndpoint=[^;]+/,
          `BlobEndpoint=${proxied.href.replace(/\/$/, '')}`,
        );
        return new AzureBlobAccessor({ ...options, connectionString, prefix: randomPrefix() });
      },
      interrupt: () => proxy.dropAll(),
    });
    console.log(
      `azure fault campaign: runs ${report.runs}, cuts ${report.cuts}, completed ${report.completed}, failed cleanly ${report.failedCleanly}, corrupt ${report.corrupt}, resumed ${report.resumed}`,
    );
    expect(report.details.filter((run) => run.outcome === 'corrupt')).toEqual([]);
    expect(report.cuts).toBe(runs);
    expect(report.completed + report.failedCleanly).toBe(runs);
  }, 600_000);
});

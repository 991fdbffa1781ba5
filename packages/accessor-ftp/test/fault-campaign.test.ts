import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFaultCampaign } from '@stowage/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../tools/fault-proxy.mjs';
import { FtpAccessor } from '../src/index.js';
import { connectionOptions, isolatedAccessor, serverEnv, TARGETS } from './servers.js';

// Seeded cuts of 64 MiB uploads and 100-frame sequence transfers (issue:
// reliability). The proxy carries the control connection, so a cut drops the
// session mid-transfer. CI runs a few per target; STOWAGE_FAULT_RUNS=50 runs all.
const runs = Number(process.env.STOWAGE_FAULT_RUNS ?? 4);

// The campaign's sessions keep resume checkpoints (a cut upload is retried from
// its partial temp file): in a folder of this run, not the user's cache.
const checkpointDirectory = mkdtempSync(join(tmpdir(), 'stowage-ftp-checkpoints-'));
process.env.STOWAGE_CHECKPOINT_DIR = checkpointDirectory;
afterAll(() => rmSync(checkpointDirectory, { recursive: true, force: true }));

describe.each(TARGETS)('FTP under connection cuts ($label)', ({ server, secure, label }) => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({ targetPort: serverEnv(server).port });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it(`${runs} seeded runs: each completes identically or fails cleanly, none corrupt`, async () => {
    const report = await runFaultCampaign({
      runs,
      seed: 701,
      createAccessor: async () => {
        const { directory } = await isolatedAccessor(server, secure);
        return new FtpAccessor({ ...connectionOptions(server, secure), port: proxy.port, prefix: directory });
      },
      interrupt: () => proxy.dropAll(),
    });
    console.log(
      `ftp (${label}) fault campaign: runs ${report.runs}, cuts ${report.cuts}, completed ${report.completed}, failed cleanly ${report.failedCleanly}, corrupt ${report.corrupt}, resumed ${report.resumed}`,
    );
    expect(report.details.filter((run) => run.outcome === 'corrupt')).toEqual([]);
    expect(report.cuts).toBe(runs);
    expect(report.completed + report.failedCleanly).toBe(runs);
    // Retries continue cut uploads from their checkpoints (the 64 MiB file runs).
    expect(report.resumed).toBeGreaterThan(0);
  }, 600_000);
});

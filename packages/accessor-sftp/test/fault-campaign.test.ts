import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFaultCampaign } from '@stowage/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../tools/fault-proxy.mjs';
import { isolatedAccessor, serverEnv } from './helpers.js';

// Seeded cuts of 64 MiB uploads and 100-frame sequence transfers through the
// fault proxy (issue: reliability). CI runs a few; STOWAGE_FAULT_RUNS=50 runs all.
const runs = Number(process.env.STOWAGE_FAULT_RUNS ?? 6);

// The campaign's sessions keep resume checkpoints (a cut upload is retried from
// its last checkpoint): in a folder of this run, not the user's cache.
const checkpointDirectory = mkdtempSync(join(tmpdir(), 'stowage-sftp-checkpoints-'));
process.env.STOWAGE_CHECKPOINT_DIR = checkpointDirectory;
afterAll(() => rmSync(checkpointDirectory, { recursive: true, force: true }));

describe('SFTP under connection cuts', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({ targetPort: serverEnv().port });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it(`${runs} seeded runs: each completes identically or fails cleanly, none corrupt`, async () => {
    const report = await runFaultCampaign({
      runs,
      seed: 501,
      createAccessor: () => isolatedAccessor({ port: proxy.port, readyTimeout: 2000 }).accessor,
      interrupt: () => proxy.dropAll(),
    });
    console.log(
      `sftp fault campaign: runs ${report.runs}, cuts ${report.cuts}, completed ${report.completed}, failed cleanly ${report.failedCleanly}, corrupt ${report.corrupt}, resumed ${report.resumed}`,
    );
    expect(report.details.filter((run) => run.outcome === 'corrupt')).toEqual([]);
    expect(report.cuts).toBe(runs);
    expect(report.completed + report.failedCleanly).toBe(runs);
    // Retries continue cut uploads from their checkpoints (the 64 MiB file runs).
    expect(report.resumed).toBeGreaterThan(0);
  }, 600_000);
});

describe('SFTP with bytes corrupted in flight', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy({ targetPort: serverEnv().port });
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('corrupted uploads are never published or registered (SSH MACs catch them; retries redo them)', async () => {
    const corruptRuns = Math.max(2, Math.round(runs / 2));
    const report = await runFaultCampaign({
      runs: corruptRuns,
      seed: 901,
      fileSize: 16 * 1024 * 1024,
      frames: 40,
      createAccessor: () => isolatedAccessor({ port: proxy.port, readyTimeout: 2000 }).accessor,
      // Flip bytes on the next connection somewhere in the upload; nothing to cut.
      beforeRun: ({ random, totalBytes }) =>
        proxy.setFault({
          mode: 'corrupt',
          afterBytes: Math.floor(random() * totalBytes * 0.9),
          direction: 'up',
          connections: 1,
        }),
      interrupt: () => {},
    });
    proxy.clearFault();
    console.log(
      `sftp corruption campaign: runs ${report.runs}, completed ${report.completed}, failed cleanly ${report.failedCleanly}, corrupt ${report.corrupt}, resumed ${report.resumed}, connections faulted ${proxy.stats.faulted}`,
    );
    expect(report.details.filter((run) => run.outcome === 'corrupt')).toEqual([]);
    expect(report.completed + report.failedCleanly).toBe(corruptRuns);
    expect(proxy.stats.faulted).toBeGreaterThan(0);
  }, 600_000);
});

import { runFaultCampaign } from '@stowage/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../../tools/fault-proxy.mjs';
import { startTestServer, type TestServer } from './helpers.js';

// Seeded cuts of 64 MiB uploads and 100-frame sequence transfers through the
// fault proxy in front of the file server (issue: reliability). CI runs a
// few; STOWAGE_FAULT_RUNS=50 runs all.
const runs = Number(process.env.STOWAGE_FAULT_RUNS ?? 4);

describe('the server accessor under connection cuts', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  beforeAll(async () => {
    server = await startTestServer();
    const url = new URL(server.url);
    proxy = await startFaultProxy({ targetHost: url.hostname, targetPort: Number(url.port) });
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.dispose();
  });

  it(`${runs} seeded runs: each completes identically or fails cleanly, none corrupt`, async () => {
    const report = await runFaultCampaign({
      runs,
      seed: 1301,
      createAccessor: () => {
        const url = new URL(server.url);
        url.port = String(proxy.port);
        // Component ids keep runs apart: the campaign's paths start with them.
        return server.accessor({ url: url.href });
      },
      interrupt: () => proxy.dropAll(),
    });
    console.log(
      `server fault campaign: runs ${report.runs}, cuts ${report.cuts}, completed ${report.completed}, failed cleanly ${report.failedCleanly}, corrupt ${report.corrupt}, resumed ${report.resumed}`,
    );
    expect(report.details.filter((run) => run.outcome === 'corrupt')).toEqual([]);
    expect(report.cuts).toBe(runs);
    expect(report.completed + report.failedCleanly).toBe(runs);
  }, 600_000);
});

#!/usr/bin/env node
// `npm test`: install any missing backend server (apt packages, Go builds),
// build, run every package's vitest suite through Nx (each package's global
// setup starts the real servers it needs and stops them), then print one
// summary line. Skipped tests fail the run: a backend that did not start must
// never turn into a green skip.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// Every temp folder of the run (tests, servers, child processes) goes under
// one root removed at the end: suites that leave theirs behind (killed
// children, 1 GiB interrupt fixtures) would otherwise fill /tmp run by run.
const tempRoot = mkdtempSync(join(tmpdir(), 'stowage-test-run-'));
// World-writable and sticky like /tmp: servers that drop to a test user keep their data below it.
chmodSync(tempRoot, 0o1777);
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', TMPDIR: tempRoot };
const packagesDir = join(root, 'packages');
const packages = readdirSync(packagesDir).filter((name) =>
  existsSync(join(packagesDir, name, 'package.json')),
);
const resultFile = 'test-results.json';

function exit(code) {
  rmSync(tempRoot, { recursive: true, force: true });
  process.exit(code);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit' });
  return result.status ?? 1;
}

console.log('== installing backend servers (if missing)');
if (run('node', ['tools/backends/cli.mjs', 'install']) !== 0) {
  console.error('Backend installation failed: see the output above.');
  exit(1);
}

console.log('== building packages');
if (run('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=stream']) !== 0) exit(1);

for (const name of packages) rmSync(join(packagesDir, name, resultFile), { force: true });
console.log('== running tests');
const parallel = process.env.STOWAGE_TEST_PARALLEL ?? '1';
const status = run('npx', [
  'nx',
  'run-many',
  '-t',
  'test',
  `--parallel=${parallel}`,
  '--outputStyle=stream',
  '--nxBail=false',
  '--',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${resultFile}`,
]);

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const name of packages) {
  const file = join(packagesDir, name, resultFile);
  if (!existsSync(file)) {
    missing.push(name);
    continue;
  }
  const result = JSON.parse(readFileSync(file, 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + (result.numTodoTests ?? 0);
  if (result.numFailedTestSuites > 0 && result.numFailedTests === 0) failed += result.numFailedTestSuites;
}
if (missing.length > 0) console.error(`No test results from: ${missing.join(', ')}`);
if (skipped > 0) console.error(`${skipped} test(s) were skipped: skipping is not allowed here.`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
const ok = status === 0 && failed === 0 && skipped === 0 && missing.length === 0;
exit(ok ? 0 : 1);

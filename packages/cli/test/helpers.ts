import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built binary (npm test builds it first), run as a user would. */
export const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
export const env = { ...process.env, STOWAGE_PLUGIN_PATH: '' };

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function stowageSync(cwd: string, ...args: string[]): RunResult {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function stowage(cwd: string, ...args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A project folder of its own: disk locations `local` and `studio` and a SQLite registry. */
export async function newProject(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const location = (name: string, priority: number) => ({
    name,
    priority,
    accessor: { type: 'disk', prefix: name },
    structure: { type: 'id' },
  });
  await writeFile(
    join(dir, 'stowage.config.json'),
    JSON.stringify({ registry: 'registry.db', locations: [location('local', 10), location('studio', 20)] }),
  );
  return dir;
}

/** Availability per location name, from `stowage availability --json`. */
export function availabilityByLocation(cwd: string, componentId: string): Record<string, number> {
  const result = stowageSync(cwd, 'availability', componentId, '--json');
  if (result.code !== 0) throw new Error(`stowage availability failed: ${result.stderr}`);
  const { locations } = JSON.parse(result.stdout) as {
    locations: Array<{ location: string; availability: number }>;
  };
  return Object.fromEntries(locations.map((entry) => [entry.location, entry.availability]));
}

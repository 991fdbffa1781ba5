import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availabilityByLocation, bin, env, newProject, stowageSync } from './helpers.js';

// Ctrl-C during a transfer: the CLI aborts, removes what it wrote, registers
// nothing and exits 130.
describe('Ctrl-C during stowage transfer', () => {
  it('stops, leaves no file or temp file at the target, registers nothing, exits 130', async () => {
    const dir = await newProject('stowage-sigint-');
    const frames = join(dir, 'frames');
    await mkdir(frames);
    const data = Buffer.alloc(512 * 1024, 7);
    for (let frame = 1; frame <= 1000; frame++) {
      await writeFile(join(frames, `plate.${String(frame).padStart(4, '0')}.exr`), data);
    }
    const published = stowageSync(
      dir,
      'publish',
      join(frames, 'plate.%04d.exr [1-1000]'),
      '--location',
      'local',
      '--json',
    );
    expect(published.code, published.stderr).toBe(0);
    const id = (JSON.parse(published.stdout) as { id: string }).id;

    // Not TTY: the CLI prints plain progress lines; interrupt at the first one.
    const child = spawn(process.execPath, [bin, 'transfer', id, '--to', 'studio'], { cwd: dir, env });
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (!signalled && /of [\d.]+ MiB/.test(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(signalled).toBe(true);
    expect(stderr).toMatch(/interrupting/);
    expect(code).toBe(130);
    expect(availabilityByLocation(dir, id).studio).toBe(0);
    const left = (await readdir(join(dir, 'studio'), { recursive: true, withFileTypes: true })).filter(
      (entry) => entry.isFile(),
    );
    expect(left.map((entry) => entry.name)).toEqual([]);
  }, 120_000);
});

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Child processes run the built package (plain Node cannot load the
 * TypeScript sources): rebuild dist when any source is newer, so a plain
 * `npx vitest run` never tests stale code.
 */
export function ensureBuilt(): void {
  const source = (name: string) => `${packageDir}src/${name}`;
  const built = (name: string) => `${packageDir}dist/${name.replace(/\.ts$/, '.js')}`;
  const stale = readdirSync(`${packageDir}src`).some(
    (name) => !existsSync(built(name)) || statSync(built(name)).mtimeMs < statSync(source(name)).mtimeMs,
  );
  if (stale) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageDir, stdio: 'pipe' });
  }
  const core = fileURLToPath(new URL('../../core/dist/index.js', import.meta.url));
  if (!existsSync(core)) throw new Error(`@stowage/core is not built (${core}): run npm run build first.`);
}

import { Collection } from '@stowage/sequence';
import type { CommandContext } from '../context.js';
import { printJson } from '../output.js';

export interface VerifyCommandOptions {
  location: string;
  sizes?: boolean;
  checksums?: boolean;
}

/** Exit code 3 when anything registered is missing, has the wrong size or (with --checksums) other bytes. */
export async function verifyCommand(
  context: CommandContext,
  componentId: string,
  options: VerifyCommandOptions,
): Promise<number> {
  const { session } = context;
  const location = session.getLocation(options.location);
  const component = await session.getComponent(componentId);
  const result = await location.verifyComponent(component, {
    sizes: options.sizes ?? true,
    checksums: options.checksums ?? false,
    signal: context.signal,
  });
  const summary = {
    id: component.id,
    location: location.name,
    checked: result.checked,
    missing: result.missing.map((file) => ({ id: file.id, name: file.name })),
    sizeMismatches: result.sizeMismatches.map((entry) => ({
      id: entry.component.id,
      name: entry.component.name,
      expected: entry.expected,
      actual: entry.actual,
    })),
    checksumMismatches: result.checksumMismatches.map((entry) => ({
      id: entry.component.id,
      name: entry.component.name,
      expected: entry.expected,
      actual: entry.actual,
    })),
    ...(options.checksums ? { unchecksummed: result.unchecksummed.length } : {}),
    unregistered: result.unregistered.length,
    ok: result.ok,
  };
  if (context.options.json) printJson(summary);
  else {
    console.log(
      `verified ${summary.checked} file(s) of ${component.id} in ${location.name}: ${result.ok ? 'OK' : 'PROBLEMS'}`,
    );
    if (component.kind === 'sequence' && result.missing.length > 0) {
      const frames = new Collection(
        '',
        '',
        component.padding ?? 0,
        result.missing.map((file) => Number(file.name)),
      );
      console.log(`  missing frames: ${frames.format('{ranges}')}`);
    }
    for (const file of summary.missing) console.log(`  missing: ${file.name} (${file.id})`);
    for (const entry of summary.sizeMismatches) {
      console.log(
        `  corrupt: ${entry.name} (${entry.id}): expected ${entry.expected} bytes, found ${entry.actual}`,
      );
    }
    for (const entry of summary.checksumMismatches) {
      console.log(
        `  corrupt: ${entry.name} (${entry.id}): MD5 ${entry.actual}, registered ${entry.expected}`,
      );
    }
    if (options.checksums && result.unchecksummed.length > 0)
      console.log(`  registered without a checksum (not compared): ${result.unchecksummed.length} file(s)`);
    if (summary.unregistered > 0) console.log(`  not registered here: ${summary.unregistered} file(s)`);
  }
  return result.ok ? 0 : 3;
}

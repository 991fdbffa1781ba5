import { existsSync } from 'node:fs';
import { rm, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Component, Location, Session } from '@stowage/core';
import { configSchema, type LoadedConfig } from '../config.js';
import { openSession } from '../open-session.js';
import { formatTable } from '../output.js';
import { createProgressReporter } from '../progress.js';
import { writeDemoFixtures } from './demo-fixtures.js';

export interface DemoOptions {
  dir?: string;
  fixtures?: string;
}

/** The repository's test-fixtures, when the CLI runs from a checkout. */
function repoFixtures(): string | undefined {
  const candidate = fileURLToPath(new URL('../../../../test-fixtures/', import.meta.url));
  return existsSync(join(candidate, 'plates')) ? candidate : undefined;
}

async function printAvailability(
  session: Session,
  component: Component,
  locations: Location[],
): Promise<void> {
  const availability = await session.getComponentAvailability(component, locations);
  const members = component.members ?? [];
  const perMember = await session.getComponentAvailabilities(members, locations);
  console.log(
    formatTable(
      ['location', 'availability', 'frames present'],
      locations.map((location) => [
        location.name,
        `${availability[location.id]}%`,
        `${perMember.filter((entry) => entry[location.id] === 100).length}/${members.length}`,
      ]),
    ),
  );
}

/**
 * Publish the fixtures (a file, a 48-frame sequence, a container) into a disk
 * location, transfer them to a second one, and show availability as frames
 * are removed and one goes missing behind the registry's back.
 */
export async function demoCommand(options: DemoOptions, signal: AbortSignal, json = false): Promise<void> {
  const dir = resolve(options.dir ?? '.stowage-demo');
  await rm(dir, { recursive: true, force: true });
  const fixtures = options.fixtures
    ? resolve(options.fixtures)
    : (repoFixtures() ?? (await writeDemoFixtures(join(dir, 'fixtures'))));
  const loaded: LoadedConfig = {
    file: null,
    baseDir: dir,
    config: configSchema.parse({
      registry: 'registry.db',
      locations: [
        {
          name: 'local',
          priority: 10,
          accessor: { type: 'disk', prefix: 'local' },
          structure: { type: 'id' },
        },
        {
          name: 'archive',
          priority: 20,
          accessor: { type: 'disk', prefix: 'archive' },
          structure: { type: 'standard' },
        },
      ],
    }),
  };
  const session = await openSession(loaded);
  const log = (line = '') => {
    if (!json) console.log(line);
  };
  try {
    const local = session.getLocation('local');
    const archive = session.getLocation('archive');
    const version = { project: 'Demo Project', ancestors: ['sq010', 'shot010'], asset: 'plate', number: 1 };
    log(`Stowage demo in ${dir}`);
    log(`fixtures: ${fixtures}`);
    log();
    const published: Component[] = [];
    for (const [path, name] of [
      [join(fixtures, 'shot010_notes.txt'), 'notes'],
      [join(fixtures, 'plates', 'shot010_plate.%04d.exr [1001-1048]'), 'plate'],
      [join(fixtures, 'lookdev'), 'lookdev'],
    ] as const) {
      const component = await session.createComponent(path, { name, version }, local, { signal });
      published.push(component);
      log(
        `published ${component.kind.padEnd(9)} ${component.id} -> local:${await local.getResourceIdentifier(component)}`,
      );
    }
    log();
    const reporter = createProgressReporter('local -> archive', { json });
    await archive.addComponents(published, local, {
      signal,
      onProgress: (progress) => reporter.update(progress),
    });
    reporter.stop();
    for (const component of published) {
      log(
        `transferred ${component.kind.padEnd(9)} -> archive:${await archive.getResourceIdentifier(component)}`,
      );
    }
    const sequence = published[1]!;
    log();
    log('Availability of the plate sequence:');
    if (!json) await printAvailability(session, sequence, [local, archive]);
    const dropped = sequence.members!.slice(9, 14);
    await archive.removeComponents(dropped);
    log();
    log(`Removed frames ${dropped[0]!.name}-${dropped.at(-1)!.name} from archive:`);
    if (!json) await printAvailability(session, sequence, [local, archive]);
    const lost = sequence.members![19]!;
    await unlink(archive.accessor!.getFilesystemPath(await archive.getResourceIdentifier(lost)));
    const check = await archive.verifyComponent(sequence, { sizes: true });
    log();
    log(`Deleted frame ${lost.name} on disk behind the registry's back; verify archive finds:`);
    log(
      `  checked ${check.checked} registered frames, missing: ${check.missing.map((file) => file.name).join(', ') || 'none'}`,
    );
    if (json) {
      const availability = await session.getComponentAvailability(sequence, [local, archive]);
      console.log(
        JSON.stringify({
          dir,
          components: published.map((component) => ({ id: component.id, kind: component.kind })),
          availability,
          missing: check.missing.map((file) => file.name),
        }),
      );
    }
    log();
    log('Try: npx stowage availability ' + sequence.id + ' --config ' + join(dir, 'stowage.config.json'));
  } finally {
    await session.close();
  }
  await writeFile(
    join(dir, 'stowage.config.json'),
    `${JSON.stringify({ registry: 'registry.db', locations: loaded.config.locations }, null, 2)}\n`,
  );
}

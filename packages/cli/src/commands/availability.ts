import { type Component, flattenComponents } from '@stowage/core';
import { Collection } from '@stowage/sequence';
import type { CommandContext } from '../context.js';
import { formatTable, printJson } from '../output.js';

/** Frames of a sequence not available in a location, as ranges ("3-5, 9"). */
function holes(
  sequence: Component,
  memberAvailability: Array<Record<string, number>>,
  locationId: string,
): string {
  const members = sequence.members ?? [];
  const missing = members.filter((_member, index) => (memberAvailability[index]?.[locationId] ?? 0) < 100);
  if (missing.length === 0) return '';
  const indexes = missing.map((member) => Number(member.name)).filter(Number.isFinite);
  return new Collection('', '', sequence.padding ?? 0, indexes).format('{ranges}');
}

export async function availabilityCommand(context: CommandContext, componentId: string): Promise<void> {
  const { session } = context;
  const component = await session.getComponent(componentId);
  // Built-in locations are session-local in a CLI process: show the configured ones.
  const locations = session.getLocations().filter((location) => !location.name.startsWith('stowage.'));
  const availability = await session.getComponentAvailability(component, locations);
  const files = component.kind === 'file' ? [] : flattenComponents(component.members ?? []);
  const memberAvailability =
    files.length > 0 ? await session.getComponentAvailabilities(files, locations) : [];
  const rows = locations.map((location) => {
    const percent = availability[location.id] ?? 0;
    const missing = component.kind === 'sequence' ? holes(component, memberAvailability, location.id) : '';
    return { location: location.name, availability: percent, missingFrames: missing };
  });
  if (context.options.json) {
    return printJson({
      id: component.id,
      kind: component.kind,
      members: component.members?.length ?? 0,
      locations: rows,
    });
  }
  console.log(
    `${component.kind} ${component.id} "${component.name}"${component.members ? ` (${component.members.length} members)` : ''}`,
  );
  console.log(
    formatTable(
      ['location', 'availability', ...(component.kind === 'sequence' ? ['missing frames'] : [])],
      rows.map((row) => [
        row.location,
        `${Number(row.availability.toFixed(2))}%`,
        ...(component.kind === 'sequence' ? [row.availability === 0 ? 'all' : row.missingFrames] : []),
      ]),
    ),
  );
}

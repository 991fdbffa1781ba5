import type { CommandContext } from '../context.js';
import { formatTable, printJson } from '../output.js';

export async function locationsCommand({ session, options, loaded }: CommandContext): Promise<void> {
  const rows = session.getLocations().map((location) => ({
    name: location.name,
    priority: location.priority,
    accessor: location.accessor?.name ?? '-',
    managed: location.manageData,
    description: location.description,
  }));
  if (options.json) return printJson({ config: loaded.file, locations: rows });
  console.log(`config: ${loaded.file ?? 'embedded default (./.stowage)'}`);
  console.log(
    formatTable(
      ['name', 'priority', 'accessor', 'description'],
      rows.map((row) => [row.name, String(row.priority), row.accessor, row.description]),
    ),
  );
}

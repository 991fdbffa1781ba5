import type { CommandContext } from '../context.js';
import { printJson, UsageError } from '../output.js';

export async function lsCommand(
  context: CommandContext,
  locationName: string,
  resourceIdentifier = '',
): Promise<void> {
  const location = context.session.getLocation(locationName);
  if (!location.accessor) throw new UsageError(`Location "${locationName}" has no accessor.`);
  const accessor = location.accessor;
  const children = await accessor.list(resourceIdentifier);
  const entries = await Promise.all(
    children.map(async (child) => {
      const stat = await accessor.stat(child);
      return { resourceIdentifier: child, container: stat.isContainer, size: stat.size };
    }),
  );
  if (context.options.json) return printJson(entries);
  for (const entry of entries) {
    console.log(
      entry.container ? `${entry.resourceIdentifier}/` : `${entry.resourceIdentifier}  ${entry.size}`,
    );
  }
}

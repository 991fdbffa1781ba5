import type { CommandContext } from '../context.js';
import { printJson } from '../output.js';

export async function removeCommand(
  context: CommandContext,
  componentId: string,
  options: { location: string },
): Promise<void> {
  const { session } = context;
  const location = session.getLocation(options.location);
  const component = await session.getComponent(componentId);
  await location.removeComponent(component);
  if (context.options.json) return printJson({ id: component.id, location: location.name, removed: true });
  console.log(`removed ${component.id} from ${location.name}`);
}

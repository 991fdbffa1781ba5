import type { CommandContext } from '../context.js';
import { printJson, UsageError } from '../output.js';
import { createProgressReporter } from '../progress.js';

export interface TransferOptions {
  to: string;
  from?: string;
  concurrency?: string;
  /** commander's --no-resume sets false. */
  resume?: boolean;
  /** Hash every file copied (default: only where a native checksum compares it). */
  checksums?: boolean;
}

export async function transferCommand(
  context: CommandContext,
  componentId: string,
  options: TransferOptions,
): Promise<void> {
  const { session, signal } = context;
  const target = session.getLocation(options.to);
  const component = await session.getComponent(componentId);
  let source = options.from ? session.getLocation(options.from) : null;
  if (!source) {
    const candidates = session
      .getLocations()
      .filter((location) => location !== target && location.accessor && location.manageData);
    const availability = await session.getComponentAvailability(component, candidates);
    source = candidates.find((location) => availability[location.id] === 100) ?? null;
    if (!source)
      throw new UsageError(
        `Component ${componentId} is not fully available in any other location.`,
        'pass --from <location>',
      );
  }
  const reporter = createProgressReporter(`${source.name} -> ${target.name}`, context.options);
  const started = Date.now();
  try {
    await target.addComponent(component, source, {
      signal,
      onProgress: (progress) => reporter.update(progress),
      ...(options.concurrency ? { concurrency: Number(options.concurrency) } : {}),
      ...(options.resume === false ? { resume: false } : {}),
      ...(options.checksums ? { checksums: 'always' as const } : {}),
    });
  } finally {
    reporter.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  const result = { id: component.id, from: source.name, to: target.name, bytes: component.size, seconds };
  if (context.options.json) return printJson(result);
  console.log(
    `transferred ${component.id} from ${source.name} to ${target.name} (${component.size} bytes in ${seconds.toFixed(2)} s)`,
  );
}

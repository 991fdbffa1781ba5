import type { VersionContext } from '@stowage/core';
import type { CommandContext } from '../context.js';
import { printJson, UsageError } from '../output.js';
import { createProgressReporter } from '../progress.js';

export interface PublishOptions {
  location?: string;
  name?: string;
  versionContext?: string;
  concurrency?: string;
  /** commander's --no-resume sets false. */
  resume?: boolean;
  /** Hash every file copied (default: only where a native checksum compares it). */
  checksums?: boolean;
}

/** `project/ancestor/.../asset/v003` (or a bare number) -> a VersionContext. */
export function parseVersionContext(value: string): VersionContext {
  const parts = value.split('/').filter(Boolean);
  if (parts.length < 3) {
    throw new UsageError(`Invalid --version-context "${value}".`, 'use project/[ancestors/]asset/v001');
  }
  const numberPart = parts.pop()!;
  const number = Number(numberPart.replace(/^v/i, ''));
  if (!Number.isInteger(number) || number < 0) {
    throw new UsageError(
      `Invalid version number "${numberPart}" in --version-context.`,
      'end it with v001 or 1',
    );
  }
  const asset = parts.pop()!;
  const [project, ...ancestors] = parts;
  return { project: project!, ancestors, asset, number };
}

export async function publishCommand(
  context: CommandContext,
  path: string,
  options: PublishOptions,
): Promise<void> {
  const { session, signal } = context;
  const location = options.location ? session.getLocation(options.location) : await session.pickLocation();
  if (!location) throw new UsageError('No location to publish to.', 'pass --location <name>');
  const reporter = createProgressReporter(`publish -> ${location.name}`, context.options);
  try {
    const component = await session.createComponent(
      path,
      {
        ...(options.name ? { name: options.name } : {}),
        ...(options.versionContext ? { version: parseVersionContext(options.versionContext) } : {}),
      },
      location,
      {
        signal,
        onProgress: (progress) => reporter.update(progress),
        ...(options.concurrency ? { concurrency: Number(options.concurrency) } : {}),
        ...(options.resume === false ? { resume: false } : {}),
        ...(options.checksums ? { checksums: 'always' as const } : {}),
      },
    );
    reporter.stop();
    const resourceIdentifier = await location.getResourceIdentifier(component);
    const summary = {
      id: component.id,
      name: component.name,
      kind: component.kind,
      members: component.members?.length ?? 0,
      size: component.size,
      location: location.name,
      resourceIdentifier,
    };
    if (context.options.json) return printJson(summary);
    console.log(
      `published ${summary.kind} ${summary.id} (${summary.members ? `${summary.members} members, ` : ''}${summary.size} bytes) to ${location.name}: ${resourceIdentifier}`,
    );
  } finally {
    reporter.stop();
  }
}

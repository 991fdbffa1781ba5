import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { parse as parseSequence } from '@stowage/sequence';
import type { Component, ComponentRecord, VersionContext } from './component.js';
import { StowageError } from './errors.js';

export interface CreateComponentData {
  id?: string;
  /** Component name (ftrack's default is 'main'). */
  name?: string;
  fileType?: string;
  /** Total size; for a sequence, split evenly over the frames instead of reading each. */
  size?: number;
  version?: VersionContext | null;
}

export interface BuiltComponent {
  component: Component;
  /** Absolute origin path of the component and of each member, by id. */
  sources: Map<string, string>;
}

/**
 * Build a component from a path, as ftrack's `create_component`: a sequence
 * expression (`/path/file.%04d.exr [1-5, 7]`) gives a sequence with a member per
 * frame, a directory gives a container with a member per file (a Stowage
 * addition), anything else a file. Sizes are read from disk unless given.
 */
export async function buildComponent(path: string, data: CreateComponentData = {}): Promise<BuiltComponent> {
  const absolute = resolve(path);
  let collection: ReturnType<typeof parseSequence> | undefined;
  try {
    // Only clique's format makes a sequence (as ftrack): a '#' or '@' in a file name stays a file.
    collection = parseSequence(absolute, '{head}{padding}{tail} [{ranges}]');
  } catch {
    collection = undefined;
  }
  if (collection) return buildSequence(collection, data);
  const info = await statPath(absolute);
  if (info.isDirectory()) return buildContainer(absolute, data);
  const component: Component = {
    id: data.id ?? randomUUID(),
    name: data.name ?? 'main',
    kind: 'file',
    fileType: data.fileType ?? extname(absolute),
    size: data.size ?? info.size,
    version: data.version ?? null,
  };
  return { component, sources: new Map([[component.id, absolute]]) };
}

async function buildSequence(
  collection: { head: string; tail: string; padding: number; indexes: Iterable<number> },
  data: CreateComponentData,
): Promise<BuiltComponent> {
  const { head, tail, padding } = collection;
  const indexes = [...collection.indexes];
  const items = indexes.map((index) => `${head}${formatIndex(index, padding)}${tail}`);
  const sizes =
    data.size !== undefined && indexes.length > 0
      ? indexes.map(() => Math.round(data.size! / indexes.length))
      : await Promise.all(items.map(async (item) => (await statPath(item)).size));
  const sequence: Component = {
    id: data.id ?? randomUUID(),
    name: data.name ?? 'main',
    kind: 'sequence',
    fileType: data.fileType ?? extname(`x${tail}`),
    padding,
    size: data.size ?? sizes.reduce((total, size) => total + size, 0),
    version: data.version ?? null,
  };
  const sources = new Map([[sequence.id, `${head}${padding > 0 ? `%0${padding}d` : '%d'}${tail}`]]);
  const record = shallowRecord(sequence);
  sequence.members = items.map((item, position) => {
    const member: Component = {
      id: randomUUID(),
      name: formatIndex(indexes[position]!, padding),
      kind: 'file',
      fileType: extname(item),
      size: sizes[position]!,
      container: record,
      version: sequence.version ?? null,
    };
    sources.set(member.id, item);
    return member;
  });
  return { component: sequence, sources };
}

async function buildContainer(directory: string, data: CreateComponentData): Promise<BuiltComponent> {
  const entries = (await readdir(directory, { withFileTypes: true })).filter((entry) => entry.isFile());
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const container: Component = {
    id: data.id ?? randomUUID(),
    name: data.name ?? basename(directory),
    kind: 'container',
    fileType: data.fileType ?? '',
    size: 0,
    version: data.version ?? null,
  };
  const sources = new Map([[container.id, directory]]);
  const record = shallowRecord(container);
  container.members = await Promise.all(
    entries.map(async (entry) => {
      const path = join(directory, entry.name);
      const extension = extname(entry.name);
      const member: Component = {
        id: randomUUID(),
        name: extension ? entry.name.slice(0, -extension.length) : entry.name,
        kind: 'file',
        fileType: extension,
        size: (await statPath(path)).size,
        container: record,
        version: container.version ?? null,
      };
      sources.set(member.id, path);
      return member;
    }),
  );
  container.size = data.size ?? container.members.reduce((total, member) => total + member.size, 0);
  return { component: container, sources };
}

/** A frame index as written in file names: zero-padded digits, sign first. */
export function formatIndex(index: number, padding: number): string {
  const digits = String(Math.abs(index)).padStart(padding, '0');
  return index < 0 ? `-${digits}` : digits;
}

/** A container as its members reference it: without members, so records have no cycles. */
export function shallowRecord(component: Component): ComponentRecord {
  const { members: _members, ...record } = component;
  return record;
}

async function statPath(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    throw new StowageError(`Cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { path },
    });
  }
}

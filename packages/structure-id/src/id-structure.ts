import { type ComponentRecord, type Structure, StructureError } from '@stowage/core';

export interface IdStructureOptions {
  /** Prepended to every resource identifier ('' for none). */
  prefix?: string;
}

/** `%04d` for padding 4, `%d` when unpadded (ftrack's sequence expression). */
export function sequenceExpression(component: ComponentRecord): string {
  return component.padding ? `%0${component.padding}d` : '%d';
}

/**
 * Places components by id, exactly as ftrack's `IdStructure`: the first four
 * characters of the id become four one-character folders and the rest the
 * name (`prefix/f/6/c/d/40cb-….png`); a sequence is `…/<id rest>/file.%04d.ext`
 * with members `file.0001.ext` beside it; a container is a folder of its own,
 * members inside it named by their id.
 */
export class IdStructure implements Structure {
  readonly prefix: string;

  constructor(options: IdStructureOptions = {}) {
    this.prefix = options.prefix ?? '';
  }

  getResourceIdentifier(component: ComponentRecord): string {
    return this.withPrefix(this.path(component));
  }

  private path(component: ComponentRecord): string {
    const id = component.id;
    if (id.length < 5)
      throw new StructureError(`Component id ${JSON.stringify(id)} is too short for IdStructure.`);
    const shards = [...id.slice(0, 4)];
    if (component.kind === 'file') {
      const container = component.container;
      if (container) {
        const containerPath = this.path(container);
        if (container.kind === 'sequence') {
          const folder = containerPath.slice(0, containerPath.lastIndexOf('/'));
          return `${folder}/file.${component.name}${component.fileType}`;
        }
        return `${containerPath}/${id}${component.fileType}`;
      }
      return [...shards, `${id.slice(4)}${component.fileType}`].join('/');
    }
    if (component.kind === 'sequence') {
      return [
        ...shards,
        id.slice(4),
        `file.${sequenceExpression(component)}${component.fileType ?? ''}`,
      ].join('/');
    }
    if (component.kind === 'container') {
      if (component.container)
        throw new StructureError('Nested containers are not supported by IdStructure.');
      return [...shards, id.slice(4)].join('/');
    }
    throw new StructureError(`Cannot generate a path for component kind ${JSON.stringify(component.kind)}.`);
  }

  private withPrefix(path: string): string {
    return this.prefix ? `${this.prefix}/${path}` : path;
  }
}

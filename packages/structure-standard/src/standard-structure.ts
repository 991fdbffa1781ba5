import { type ComponentRecord, type Structure, StructureError, type VersionContext } from '@stowage/core';
import { sanitiseForFilesystem } from './sanitise.js';

export const DEFAULT_ILLEGAL_CHARACTER_SUBSTITUTE = '_';

export interface StandardStructureOptions {
  /** Folder for versions published directly under the project (no ancestors). */
  projectVersionsPrefix?: string;
  /** Replaces illegal characters in path parts; null disables sanitising. */
  illegalCharacterSubstitute?: string | null;
}

/**
 * Human-readable paths, exactly as ftrack's `StandardStructure`:
 * `project/ancestor_a/ancestor_b/asset/v003/name.ext`; a sequence is
 * `…/v003/name.%04d.ext` with members `name.0042.ext`; a container is
 * `…/v003/name` with its members inside. Every part is sanitised.
 */
export class StandardStructure implements Structure {
  readonly projectVersionsPrefix: string | undefined;
  readonly illegalCharacterSubstitute: string | null;

  constructor(options: StandardStructureOptions = {}) {
    this.projectVersionsPrefix = options.projectVersionsPrefix;
    this.illegalCharacterSubstitute =
      options.illegalCharacterSubstitute === undefined
        ? DEFAULT_ILLEGAL_CHARACTER_SUBSTITUTE
        : options.illegalCharacterSubstitute;
  }

  sanitiseForFilesystem(value: string): string {
    return sanitiseForFilesystem(value, this.illegalCharacterSubstitute);
  }

  getResourceIdentifier(component: ComponentRecord): string {
    const container = component.container;
    if (container) {
      if (container.container)
        throw new StructureError('Nested containers are not supported by StandardStructure.');
      const containerPath = this.getResourceIdentifier({
        ...container,
        version: container.version ?? component.version ?? null,
      });
      if (container.kind === 'sequence') {
        const folder = containerPath.slice(0, containerPath.lastIndexOf('/'));
        return `${folder}/${this.sanitiseForFilesystem(`${container.name}.${component.name}${component.fileType}`)}`;
      }
      return `${containerPath}/${this.sanitiseForFilesystem(`${component.name}${component.fileType}`)}`;
    }
    const parts = this.versionParts(component);
    if (component.kind === 'sequence') {
      const expression = component.padding ? `%0${component.padding}d` : '%d';
      const fileType = component.fileType ? this.sanitiseForFilesystem(component.fileType) : '';
      return [...parts, `${this.sanitiseForFilesystem(component.name)}.${expression}${fileType}`].join('/');
    }
    if (component.kind === 'container')
      return [...parts, this.sanitiseForFilesystem(component.name)].join('/');
    return [...parts, this.sanitiseForFilesystem(`${component.name}${component.fileType}`)].join('/');
  }

  /** project / ancestors (or the project versions prefix) / asset / vNNN, sanitised. */
  private versionParts(component: ComponentRecord): string[] {
    const version: VersionContext | null | undefined = component.version;
    if (!version?.project || !version.asset || !Number.isInteger(version.number)) {
      throw new StructureError(
        `Component ${JSON.stringify(component.id)} must be attached to a version and an asset with a parent context.`,
        { details: { componentId: component.id } },
      );
    }
    const parts = [version.project];
    if (version.ancestors.length > 0) parts.push(...version.ancestors);
    else if (this.projectVersionsPrefix) parts.push(this.projectVersionsPrefix);
    parts.push(version.asset, `v${String(version.number).padStart(3, '0')}`);
    return parts.map((part) => this.sanitiseForFilesystem(part));
  }
}

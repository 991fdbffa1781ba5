/**
 * The component model: plain, serialisable records (ftrack's Component,
 * SequenceComponent and ContainerComponent). Structures and registries read
 * these records only, so they work without any server.
 */

export type ComponentKind = 'file' | 'sequence' | 'container';

/** Where a published version sits, for StandardStructure. */
export interface VersionContext {
  project: string;
  /** Names from the project down to the asset's parent, excluding the project. */
  ancestors: string[];
  asset: string;
  number: number;
}

/**
 * A component record. `container` is the parent for members of a sequence or a
 * container; a sequence member's `name` is its frame index as written in the
 * file name (e.g. "0042").
 */
export interface ComponentRecord {
  id: string;
  name: string;
  kind: ComponentKind;
  /** File extension including the dot ('.exr'), '' if none. */
  fileType: string;
  /** Size in bytes; for sequences and containers, the sum of the members. */
  size?: number;
  /** Sequences only: digits of the frame index, 0 = unpadded. */
  padding?: number;
  container?: ComponentRecord | null;
  version?: VersionContext | null;
}

/** A component as the session builds it: a record plus its members. */
export interface Component extends ComponentRecord {
  size: number;
  members?: Component[];
}

export function isSequenceComponent(component: ComponentRecord): boolean {
  return component.kind === 'sequence';
}

export function isContainerComponent(component: ComponentRecord): boolean {
  return component.kind === 'container' || component.kind === 'sequence';
}

/** Members of a component (empty for a file). */
export function getMembers(component: Component): Component[] {
  return component.members ?? [];
}

/** The component and all its descendants, members before their container. */
export function flattenComponents(components: Iterable<Component>): Component[] {
  const result: Component[] = [];
  const visit = (component: Component) => {
    for (const member of getMembers(component)) visit(member);
    result.push(component);
  };
  for (const component of components) visit(component);
  return result;
}

import type { ComponentRecord } from './component.js';
import { StructureError } from './errors.js';

/** What a structure may be told besides the component. */
export interface StructureContext {
  /** Resource identifier of the component in the source location, when adding. */
  sourceResourceIdentifier?: string;
  [key: string]: unknown;
}

/**
 * Decides where a component goes (ftrack's `Structure`). Plain records in, a
 * resource identifier out, so structures need no server.
 */
export interface Structure {
  getResourceIdentifier(component: ComponentRecord, context?: StructureContext): string | Promise<string>;
}

/** Uses the source location's resource identifier unchanged (ftrack's OriginStructure). */
export class OriginStructure implements Structure {
  getResourceIdentifier(component: ComponentRecord, context: StructureContext = {}): string {
    if (context.sourceResourceIdentifier === undefined) {
      throw new StructureError('Missing resource identifier in supplied context.', {
        details: { component: component.id },
      });
    }
    return context.sourceResourceIdentifier;
  }
}

/**
 * Changes resource identifiers on their way into and out of the registry
 * (ftrack's `ResourceIdentifierTransformer`). The default passes them through.
 */
export class ResourceIdentifierTransformer {
  encode(
    resourceIdentifier: string,
    _context: { component?: ComponentRecord } = {},
  ): string | Promise<string> {
    return resourceIdentifier;
  }

  decode(
    resourceIdentifier: string,
    _context: { component?: ComponentRecord } = {},
  ): string | Promise<string> {
    return resourceIdentifier;
  }
}

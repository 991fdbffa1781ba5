/**
 * A small synchronous-or-async event hub (ftrack's EventHub, local only).
 * Topics used by core:
 * - `stowage.location.component-added`   {componentId, locationId}
 * - `stowage.location.component-removed` {componentId, locationId}
 * - `stowage.api.session.configure-location` {session}
 */

export const EVENT_COMPONENT_ADDED = 'stowage.location.component-added';
export const EVENT_COMPONENT_REMOVED = 'stowage.location.component-removed';
export const EVENT_CONFIGURE_LOCATION = 'stowage.api.session.configure-location';

export interface StowageEvent<T = Record<string, unknown>> {
  topic: string;
  data: T;
}

export type EventHandler<T = Record<string, unknown>> = (event: StowageEvent<T>) => void | Promise<void>;

export class EventHub {
  private readonly handlers = new Map<string, Set<EventHandler<never>>>();

  /** Subscribe to a topic ('*' for every topic); returns the unsubscribe function. */
  subscribe<T = Record<string, unknown>>(topic: string, handler: EventHandler<T>): () => void {
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    set.add(handler as EventHandler<never>);
    return () => set.delete(handler as EventHandler<never>);
  }

  /** Publish an event and wait for every handler; a failing handler fails the publish. */
  async publish<T = Record<string, unknown>>(topic: string, data: T): Promise<void> {
    const event: StowageEvent<T> = { topic, data };
    const handlers = [...(this.handlers.get(topic) ?? []), ...(this.handlers.get('*') ?? [])];
    for (const handler of handlers) await (handler as EventHandler<T>)(event);
  }
}

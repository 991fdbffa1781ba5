/**
 * Containers an object-store accessor saw exist, each trusted for `ttlMs`:
 * writes into one folder then skip the parent-exists listing. The
 * accessor's own removals forget a container and everything below it at
 * once; another client's removal is noticed when the entry expires (a write
 * meanwhile only makes the implicit folder reappear around the new object).
 * Keys are container resource identifiers ('' is the root).
 */
export class ContainerCache {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs = 10_000,
    private readonly maxEntries = 10_000,
  ) {}

  has(resourceIdentifier: string): boolean {
    return (this.expiries.get(resourceIdentifier) ?? 0) > Date.now();
  }

  remember(resourceIdentifier: string): void {
    if (this.expiries.size >= this.maxEntries) this.expiries.clear();
    this.expiries.set(resourceIdentifier, Date.now() + this.ttlMs);
  }

  /** Forget `resourceIdentifier` and every container below it (all of them for the root). */
  forget(resourceIdentifier: string): void {
    if (resourceIdentifier === '') {
      this.expiries.clear();
      return;
    }
    for (const known of this.expiries.keys())
      if (known === resourceIdentifier || known.startsWith(`${resourceIdentifier}/`))
        this.expiries.delete(known);
  }
}

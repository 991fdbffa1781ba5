// Types for index.mjs, for TypeScript test setups that import it.
export declare const kinds: string[];
export interface BackendHandle {
  kind: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}
export declare function install(kind: string): Promise<void>;
export declare function start(kind: string, options?: Record<string, unknown>): Promise<BackendHandle>;
export declare function stop(): Promise<void>;
export declare function setupBackends(...names: string[]): Promise<() => Promise<void>>;

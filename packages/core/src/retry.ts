import { isTransientError, OperationAbortedError } from './errors.js';

export interface RetryOptions {
  /** Attempts after the first one (default 3). */
  retries?: number;
  /** First delay in ms (default 200); doubles each attempt, with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  /** Which errors to retry (default: transient Stowage errors). */
  shouldRetry?: (error: unknown) => boolean;
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Run `operation` again on transient errors, with exponential backoff and full jitter. */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const retries = options.retries ?? 3;
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 10_000;
  const shouldRetry = options.shouldRetry ?? isTransientError;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.signal?.aborted || attempt >= retries || !shouldRetry(error)) throw error;
      options.onRetry?.(error, attempt + 1);
      await sleep(Math.random() * Math.min(max, base * 2 ** attempt), options.signal);
    }
  }
}

/** Resolve after `ms`, or reject with OperationAbortedError when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new OperationAbortedError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new OperationAbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

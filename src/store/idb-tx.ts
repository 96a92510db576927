/** Helpers for the IndexedDB stores' transactions and the errors the browser fails them with. */

/** The `name` of a DOMException (or any error that has one). */
export function errorName(e: unknown): unknown {
  return typeof e === 'object' && e !== null && 'name' in e ? e.name : undefined;
}

/**
 * `tx` with its `done` promise observed, so that a transaction this code aborts (or that fails
 * while nothing awaits `done`) is not reported as an unhandled rejection. Awaiting `tx.done` still
 * throws as before.
 */
export function observed<T extends { readonly done: Promise<void> }>(tx: T): T {
  tx.done.catch(() => {});
  return tx;
}

export function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // already finished or aborted
  }
}

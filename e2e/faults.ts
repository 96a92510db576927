/**
 * Faults a test switches on in the page, for the screens that only show when something fails: init
 * scripts (add them with `context.addInitScript` before the page loads) that break one browser
 * built-in while the tab's sessionStorage holds a flag, and `setFault` to raise or lower the flag.
 * The same faults as in screen-errors.spec.ts, storage-retry.spec.ts and unreadable-identity.spec.ts.
 */
import type { Page } from '@playwright/test';

/** The sessionStorage flags the scripts below look at. */
export type Fault = 'e2e.breakTextarea' | 'e2e.failOpen' | 'e2e.failIdentityRead';

/** Raises (or lowers) a fault's flag in the page's tab. */
export async function setFault(page: Page, fault: Fault, on: boolean): Promise<void> {
  await page.evaluate(
    ([flag, raise]) => {
      if (raise) sessionStorage.setItem(flag, '1');
      else sessionStorage.removeItem(flag);
    },
    [fault, on] as const,
  );
}

/**
 * Every `textarea.value = …` throws while 'e2e.breakTextarea' is set: a screen that sets one as it
 * is drawn (pairing, the chat) fails, and its error boundary shows.
 */
export function breakTextareas(): void {
  const native = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!;
  Object.defineProperty(HTMLTextAreaElement.prototype, 'value', {
    ...native,
    set(this: HTMLTextAreaElement, value: string) {
      if (sessionStorage.getItem('e2e.breakTextarea') !== null)
        throw new TypeError('textarea broken by this test');
      native.set!.call(this, value);
    },
  });
}

/** `indexedDB.open` throws while 'e2e.failOpen' is set: the storage would not open. */
export function failOpenWhileFlagged(): void {
  const native = Object.getOwnPropertyDescriptor(IDBFactory.prototype, 'open')!.value as (
    this: IDBFactory,
    name: string,
    version?: number,
  ) => IDBOpenDBRequest;
  IDBFactory.prototype.open = function (this: IDBFactory, name: string, version?: number) {
    if (sessionStorage.getItem('e2e.failOpen') !== null) {
      throw new DOMException('The storage is busy (this test).', 'UnknownError');
    }
    return native.call(this, name, version);
  };
}

/** Reads of the `identity` object store throw while 'e2e.failIdentityRead' is set: it is unreadable. */
export function failIdentityReads(): void {
  const native = Object.getOwnPropertyDescriptor(IDBObjectStore.prototype, 'get')!;
  const get = native.value as (this: IDBObjectStore, query: IDBValidKey | IDBKeyRange) => IDBRequest;
  Object.defineProperty(IDBObjectStore.prototype, 'get', {
    ...native,
    value(this: IDBObjectStore, query: IDBValidKey | IDBKeyRange) {
      if (this.name === 'identity' && sessionStorage.getItem('e2e.failIdentityRead') !== null)
        throw new DOMException('The read failed (this test).', 'UnknownError');
      return get.call(this, query);
    },
  });
}

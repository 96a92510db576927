/**
 * Faults a test switches on in the page, for the screens that only show when something fails: init
 * scripts (add them with `context.addInitScript` before the page loads) that break one browser
 * built-in while the tab's sessionStorage holds a flag, and `setFault` to raise or lower the flag.
 * The same faults as in screen-errors.spec.ts, storage-retry.spec.ts and unreadable-identity.spec.ts.
 */
import type { Page } from '@playwright/test';

/** The sessionStorage flags the scripts below look at. */
export type Fault =
  'e2e.breakTextarea' | 'e2e.failOpen' | 'e2e.failIdentityRead' | 'e2e.tamperChunks' | 'e2e.wrongLeaf';

/** Raises (or lowers) a fault's flag in the page's tab; a number sets a count (the file faults). */
export async function setFault(page: Page, fault: Fault, on: boolean | number): Promise<void> {
  await page.evaluate(
    ([flag, raise]) => {
      if (raise === false) sessionStorage.removeItem(flag);
      else sessionStorage.setItem(flag, raise === true ? '1' : String(raise));
    },
    [fault, on] as const,
  );
}

/** A fault's flag as it stands now (the file faults count down to '0'). */
export async function faultFlag(page: Page, fault: Fault): Promise<string | null> {
  return page.evaluate((flag) => sessionStorage.getItem(flag), fault);
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

/**
 * While 'e2e.tamperChunks' holds a count n > 0, the next n file chunks this page seals under their
 * file key come out with one bit flipped (the count goes down by one each). That is the per-file
 * layer, inside the frame: the frame is sealed over the changed bytes, so its MAC holds and only
 * the receiver's chunk check can refuse it. Chunks are told apart by their associated data, which
 * begins "SecMsg/0.1 file chunk" (src/protocol/file-chunk.ts).
 */
export function tamperFileChunks(): void {
  const native = Object.getOwnPropertyDescriptor(SubtleCrypto.prototype, 'encrypt')!
    .value as SubtleCrypto['encrypt'];
  const label = new TextEncoder().encode('SecMsg/0.1 file chunk');
  SubtleCrypto.prototype.encrypt = async function (
    this: SubtleCrypto,
    algorithm: AlgorithmIdentifier | AesGcmParams,
    key: CryptoKey,
    data: BufferSource,
  ): Promise<ArrayBuffer> {
    const out = await native.call(this, algorithm, key, data);
    const left = Number(sessionStorage.getItem('e2e.tamperChunks') ?? '0');
    const ad = typeof algorithm === 'object' ? (algorithm as AesGcmParams).additionalData : undefined;
    if (left > 0 && ad && ArrayBuffer.isView(ad)) {
      const bytes = new Uint8Array(ad.buffer, ad.byteOffset, ad.byteLength);
      if (label.every((b, i) => bytes[i] === b)) {
        sessionStorage.setItem('e2e.tamperChunks', String(left - 1));
        new Uint8Array(out)[7]! ^= 0x10;
      }
    }
    return out;
  };
}

/**
 * While 'e2e.wrongLeaf' holds a count n > 0, the n-th SHA-256 this page takes of a whole 64 KiB
 * chunk's Merkle leaf (0x00 ‖ 64 KiB) comes out with one bit flipped: the sender's root then
 * describes another file, as a wrong hash list would.
 */
export function corruptLeafHash(): void {
  const native = Object.getOwnPropertyDescriptor(SubtleCrypto.prototype, 'digest')!
    .value as SubtleCrypto['digest'];
  SubtleCrypto.prototype.digest = async function (
    this: SubtleCrypto,
    algorithm: AlgorithmIdentifier,
    data: BufferSource,
  ): Promise<ArrayBuffer> {
    const out = await native.call(this, algorithm, data);
    const left = Number(sessionStorage.getItem('e2e.wrongLeaf') ?? '0');
    if (left > 0 && data.byteLength === 64 * 1024 + 1) {
      sessionStorage.setItem('e2e.wrongLeaf', String(left - 1));
      if (left === 1) new Uint8Array(out)[0]! ^= 1;
    }
    return out;
  };
}

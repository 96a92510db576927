/**
 * Persistent storage: without it the browser may evict IndexedDB (and so the identity key) under
 * storage pressure. `navigator.storage.persist()` asks; browsers grant it by their own rules
 * (an installed app, site engagement, or a prompt).
 */
export type PersistenceStatus = 'persisted' | 'not-persisted' | 'unsupported';

/** The part of `StorageManager` this module uses. */
export interface PersistentStorage {
  persisted(): Promise<boolean>;
  persist(): Promise<boolean>;
}

function storageManager(): PersistentStorage | undefined {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage as
    Partial<StorageManager> | undefined;
  return typeof storage?.persist === 'function' && typeof storage.persisted === 'function'
    ? (storage as PersistentStorage)
    : undefined;
}

/** Asks for persistent storage unless it is already granted; says what the browser decided. */
export async function requestPersistence(
  storage: PersistentStorage | undefined = storageManager(),
): Promise<PersistenceStatus> {
  if (!storage) return 'unsupported';
  try {
    if (await storage.persisted()) return 'persisted';
    return (await storage.persist()) ? 'persisted' : 'not-persisted';
  } catch {
    return 'not-persisted';
  }
}

/** What each status means, in a sentence for the settings screen. */
export function persistenceText(status: PersistenceStatus): string {
  switch (status) {
    case 'persisted':
      return 'Storage is persistent: the browser will not clear your identity and messages to free space.';
    case 'not-persisted':
      return 'Storage is not persistent: the browser may clear your identity and messages when space runs low. Installing the app usually helps.';
    case 'unsupported':
      return 'This browser cannot promise to keep the saved data; it may clear it when space runs low.';
  }
}

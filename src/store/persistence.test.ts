import { describe, expect, it } from 'vitest';
import { persistenceText, requestPersistence, type PersistentStorage } from './persistence';

function fake(persisted: boolean, grant: boolean): PersistentStorage & { asked: number } {
  const s = {
    asked: 0,
    persisted: async () => Promise.resolve(persisted),
    persist: async () => {
      s.asked++;
      return Promise.resolve(grant);
    },
  };
  return s;
}

describe('requestPersistence', () => {
  it('does not ask again when storage is already persistent', async () => {
    const s = fake(true, false);
    expect(await requestPersistence(s)).toBe('persisted');
    expect(s.asked).toBe(0);
  });

  it('asks, and reports what the browser decided', async () => {
    const yes = fake(false, true);
    expect(await requestPersistence(yes)).toBe('persisted');
    expect(yes.asked).toBe(1);
    expect(await requestPersistence(fake(false, false))).toBe('not-persisted');
  });

  it('reports a browser without the API, and one whose call fails', async () => {
    expect(await requestPersistence(undefined)).toBe('unsupported');
    const broken: PersistentStorage = {
      persisted: async () => Promise.reject(new Error('no')),
      persist: async () => Promise.resolve(true),
    };
    expect(await requestPersistence(broken)).toBe('not-persisted');
  });

  it('has a sentence for every status', () => {
    for (const s of ['persisted', 'not-persisted', 'unsupported'] as const) {
      expect(persistenceText(s)).toMatch(/^[A-Z].+\.$/);
    }
  });
});

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openMemoryStore } from '../../store/memory-store';
import type { StoredMessage } from '../../store/message-types';
import type { Stores } from '../../store/stores';
import { createHistoryWindow, type HistoryWindowState, type WindowChange } from './history-window';

const BOB = 'bob';

const message = (i: number, direction: 'in' | 'out' = i % 2 ? 'in' : 'out'): StoredMessage => ({
  contactId: BOB,
  messageId: randomBytes(16),
  direction,
  body: String(i),
  sentAt: 1_000 + i * 10,
  state: 'delivered',
  ...(direction === 'in' ? { receivedAt: 1_000 + i * 10 } : {}),
});

async function seeded(n: number): Promise<Stores> {
  const stores = openMemoryStore();
  for (let i = 0; i < n; i++) await stores.messages.add(message(i));
  return stores;
}

/** A window over Bob's history with small pages, and what it showed and announced. */
function windowOver(stores: Stores, follows = true) {
  const shown: { state: HistoryWindowState; change: WindowChange }[] = [];
  const arrivals: string[][] = [];
  const errors: unknown[] = [];
  const w = createHistoryWindow({
    page: async (r) => stores.conversations.page(BOB, r),
    show: (state, change) => shown.push({ state, change }),
    onArrivals: (ms) => arrivals.push(ms.map((m) => m.body)),
    followsNewest: () => follows,
    onError: (e) => errors.push(e),
    firstPage: 5,
    scrollPage: 10,
    maxMessages: 20,
  });
  const bodies = () => w.state().messages.map((m) => Number(m.body));
  return { w, shown, arrivals, errors, bodies };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

describe('createHistoryWindow', () => {
  it('opens on the newest page, and scrolling up reads older pages, dropping the newest past the bound', async () => {
    const { w, bodies, shown } = windowOver(await seeded(100));
    await w.openNewest();
    expect(bodies()).toEqual(range(95, 99));
    expect(w.state()).toMatchObject({ olderMore: true, newerMore: false, loaded: true });
    await w.loadOlder();
    expect(bodies()).toEqual(range(85, 99));
    await w.loadOlder();
    expect(bodies()).toEqual(range(75, 94)); // 20 at most: the newest went
    expect(w.state()).toMatchObject({ olderMore: true, newerMore: true });
    for (let i = 0; i < 10; i++) await w.loadOlder();
    expect(bodies()).toEqual(range(0, 19));
    expect(w.state()).toMatchObject({ olderMore: false, newerMore: true });
    expect(shown.map((s) => s.change).slice(0, 3)).toEqual(['newest', 'older', 'older']);
    // Back down: newer pages, dropping the oldest; at the end the window is at the newest again.
    await w.loadNewer();
    expect(bodies()).toEqual(range(10, 29));
    for (let i = 0; i < 10; i++) await w.loadNewer();
    expect(bodies()).toEqual(range(80, 99));
    expect(w.state()).toMatchObject({ olderMore: true, newerMore: false });
  });

  it('reads again on a change: arrivals at the newest are added and announced, edits show in place', async () => {
    const stores = await seeded(30);
    const { w, bodies, arrivals } = windowOver(stores);
    await w.openNewest();
    await stores.messages.add(message(30, 'in'));
    await stores.messages.add(message(31, 'out'));
    await w.refresh();
    expect(bodies()).toEqual(range(25, 31));
    expect(arrivals).toEqual([['30', '31']]);
    const m27 = w.state().messages[2]!;
    await stores.messages.remove(BOB, m27.messageId); // deleted for me
    await w.refresh();
    expect(bodies()).toEqual([25, 26, 28, 29, 30, 31]);
    expect(arrivals).toHaveLength(1); // nothing new
  });

  it('following the newest, arrivals drop the oldest past the bound; reading higher up, they do not', async () => {
    for (const follows of [true, false]) {
      const stores = await seeded(40);
      const { w, bodies } = windowOver(stores, follows);
      await w.openNewest();
      await w.loadOlder();
      for (let i = 40; i < 50; i++) await stores.messages.add(message(i));
      await w.refresh();
      expect(bodies()).toEqual(follows ? range(30, 49) : range(25, 49));
      expect(w.state().olderMore).toBe(true);
    }
  });

  it('far up, an arrival leaves the window as it is, is announced, and "newest" reads the end again', async () => {
    const stores = await seeded(100);
    const { w, bodies, arrivals } = windowOver(stores);
    await w.openNewest();
    for (let i = 0; i < 4; i++) await w.loadOlder();
    const before = bodies();
    expect(w.state().newerMore).toBe(true);
    await stores.messages.add(message(100, 'in'));
    await w.refresh();
    expect(bodies()).toEqual(before);
    expect(arrivals).toEqual([['100']]);
    await w.openNewest();
    expect(bodies()).toEqual(range(96, 100));
    expect(w.state().newerMore).toBe(false);
  });

  it('a conversation deleted while open empties the window; the first message after it is announced', async () => {
    const stores = await seeded(12);
    const { w, bodies, arrivals } = windowOver(stores);
    await w.openNewest();
    await stores.conversations.clear(BOB);
    await w.refresh();
    expect(bodies()).toEqual([]);
    expect(w.state().olderMore).toBe(false);
    await stores.messages.add(message(50, 'in'));
    await w.refresh();
    expect(bodies()).toEqual([50]);
    expect(arrivals).toEqual([['50']]);
  });

  it('one read at a time; the same request asked for while it waits is that one; nothing after dispose', async () => {
    const stores = await seeded(100);
    let reads = 0;
    const shown: HistoryWindowState[] = [];
    const w = createHistoryWindow({
      page: async (r) => {
        reads++;
        return stores.conversations.page(BOB, r);
      },
      show: (s) => shown.push(s),
      firstPage: 5,
      scrollPage: 10,
      maxMessages: 20,
    });
    await Promise.all([w.openNewest(), w.loadOlder(), w.loadOlder(), w.loadOlder()]);
    expect(reads).toBe(2); // the newest, then one older page (asked three times while waiting)
    expect(w.state().messages).toHaveLength(15);
    w.dispose();
    await w.loadOlder();
    expect(reads).toBe(2);
    expect(shown).toHaveLength(2);
  });

  it('a read that fails is reported, and the window stays as it was', async () => {
    const stores = await seeded(20);
    const { w, bodies, errors } = windowOver(stores);
    await w.openNewest();
    const failing = createHistoryWindow({
      page: async () => Promise.reject(new Error('The store is gone.')),
      show: () => undefined,
      onError: (e) => errors.push(e),
    });
    await failing.openNewest();
    expect(errors).toHaveLength(1);
    expect(failing.state().loaded).toBe(false);
    expect(bodies()).toEqual(range(15, 19));
  });
});

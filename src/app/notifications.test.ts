import { describe, expect, it } from 'vitest';
import type { Contact } from '../store/contact-types';
import type { ConversationSummary, LastMessage } from './conversation-list';
import {
  clearNotificationSettings,
  loadNotificationSettings,
  saveNotificationSettings,
  type NotificationSettings,
} from './feature-settings';
import {
  type ArrivalContext,
  type ArrivalNotice,
  arrivals,
  conversationTag,
  createNotifier,
  notificationState,
} from './notifications';

function contact(id: string, extra: Partial<Contact> = {}): Contact {
  return {
    id,
    identityKey: new Uint8Array(32),
    userId: new Uint8Array(16),
    announcedName: `${id} announced`,
    verified: false,
    firstSeen: 1,
    lastSeen: 1,
    ...extra,
  };
}

function last(id: number, extra: Partial<LastMessage> = {}): LastMessage {
  return {
    messageId: Uint8Array.of(id),
    direction: 'in',
    state: 'delivered',
    at: 1000 + id,
    preview: `Text ${id}`,
    deleted: false,
    edited: false,
    ...extra,
  };
}

function summary(c: Contact, unread: number, l?: LastMessage): ConversationSummary {
  return { contact: c, unread, archived: false, activityAt: l?.at ?? 1, ...(l ? { last: l } : {}) };
}

const ON: NotificationSettings = { enabled: true, previews: false };
const context = (extra: Partial<ArrivalContext> = {}): ArrivalContext => ({
  hidden: true,
  permission: 'granted',
  settings: ON,
  nameOf: (c) => c.localName ?? c.announcedName,
  ...extra,
});

const bob = contact('bob', { localName: 'Bob' });
const carol = contact('carol', {
  mailboxes: {
    own: [
      { id: 'old-mailbox', token: 't', createdAt: 1 },
      { id: 'new-mailbox', token: 't', createdAt: 2 },
    ],
  },
});

/** The decision for one step from `before` to `after` (the first look being `before`). */
function step(before: ConversationSummary[], after: ConversationSummary[], ctx = context()) {
  const first = arrivals(undefined, before, ctx);
  return arrivals(first.seen, after, ctx);
}

describe('arrivals', () => {
  it('says nothing on the first look: what is there when the page opens is not new', () => {
    const d = arrivals(undefined, [summary(bob, 3, last(1))], context());
    expect(d.show).toEqual([]);
    expect(d.close).toEqual([]);
    expect([...d.seen.keys()]).toEqual(['bob']);
  });

  it('notifies a new incoming message with the contact’s name and no text when previews are off', () => {
    const d = step([summary(bob, 0, last(1))], [summary(bob, 1, last(2))]);
    expect(d.show).toEqual([
      { tag: conversationTag('bob'), title: 'Bob', body: 'New message', contactId: 'bob' },
    ]);
    expect(JSON.stringify(d.show)).not.toContain('Text 2');
  });

  it('says how many, never what, when several are unread and previews are off', () => {
    const d = step([summary(bob, 1, last(1))], [summary(bob, 3, last(3))]);
    expect(d.show.map((n) => n.body)).toEqual(['3 new messages']);
  });

  it('puts the text in the body only when previews are on', () => {
    const d = step(
      [summary(bob, 0, last(1))],
      [summary(bob, 1, last(2))],
      context({ settings: { enabled: true, previews: true } }),
    );
    expect(d.show.map((n) => n.body)).toEqual(['Text 2']);
  });

  it('names the contact’s newest mailbox, for the tap to open the conversation by', () => {
    const d = step([summary(carol, 0)], [summary(carol, 1, last(1))]);
    expect(d.show).toEqual([
      {
        tag: conversationTag('carol'),
        title: 'carol announced',
        body: 'New message',
        contactId: 'carol',
        mailbox: 'new-mailbox',
      },
    ]);
  });

  it('notifies a conversation that was not there before (a new contact wrote)', () => {
    const d = step([summary(bob, 0)], [summary(bob, 0), summary(carol, 1, last(4))]);
    expect(d.show.map((n) => n.contactId)).toEqual(['carol']);
  });

  it('shows nothing while the page is visible, notifications are off, or the browser does not permit them', () => {
    const before = [summary(bob, 0, last(1))];
    const after = [summary(bob, 1, last(2))];
    expect(step(before, after, context({ hidden: false })).show).toEqual([]);
    expect(step(before, after, context({ settings: { enabled: false, previews: true } })).show).toEqual([]);
    for (const permission of ['default', 'denied', 'unsupported'] as const) {
      expect(step(before, after, context({ permission })).show).toEqual([]);
    }
  });

  it('does not notify my own messages, edits, deletes, receipts or a deleted-for-me message uncovering an older one', () => {
    const mine = step([summary(bob, 0, last(1))], [summary(bob, 0, last(2, { direction: 'out' }))]);
    expect(mine.show).toEqual([]);
    // An edit or a reaction keeps the newest message's id (and the unread count).
    const edited = step(
      [summary(bob, 1, last(1))],
      [summary(bob, 1, last(1, { edited: true, preview: 'New words' }))],
    );
    expect(edited.show).toEqual([]);
    const deleted = step(
      [summary(bob, 1, last(1))],
      [summary(bob, 1, last(1, { deleted: true, preview: '' }))],
    );
    expect(deleted.show).toEqual([]);
    const receipt = step(
      [summary(bob, 0, last(1, { direction: 'out' }))],
      [summary(bob, 0, last(1, { direction: 'out', state: 'delivered', at: 2000 }))],
    );
    expect(receipt.show).toEqual([]);
    // My newest deleted for me: an older incoming message is the newest again, nothing arrived.
    const uncovered = step([summary(bob, 1, last(5, { direction: 'out' }))], [summary(bob, 1, last(2))]);
    expect(uncovered.show).toEqual([]);
  });

  it('does not notify an incoming message that arrived deleted, or when the count did not go up', () => {
    expect(step([summary(bob, 0, last(1))], [summary(bob, 1, last(2, { deleted: true }))]).show).toEqual([]);
    expect(step([summary(bob, 2, last(1))], [summary(bob, 2, last(2))]).show).toEqual([]);
  });

  it('closes a conversation’s notifications once it was read, or when it is gone', () => {
    const read = step([summary(bob, 2, last(1)), summary(carol, 1, last(2))], [summary(bob, 0, last(1))]);
    expect(read.close.sort()).toEqual([conversationTag('bob'), conversationTag('carol')]);
    expect(read.show).toEqual([]);
    const stillUnread = step([summary(bob, 2, last(1))], [summary(bob, 2, last(1))]);
    expect(stillUnread.close).toEqual([]);
  });
});

describe('createNotifier', () => {
  it('remembers each look, shows and closes through its dependencies, and reports failures', async () => {
    const shown: ArrivalNotice[] = [];
    const closed: string[] = [];
    const failures: unknown[] = [];
    let hidden = true;
    let fail = false;
    const notifier = createNotifier({
      hidden: () => hidden,
      permission: () => 'granted',
      settings: () => ON,
      nameOf: (c) => c.localName ?? '',
      show: async (n) => {
        await Promise.resolve();
        if (fail) throw new Error('The browser refused.');
        shown.push(n);
      },
      close: async (tag) => {
        await Promise.resolve();
        closed.push(tag);
      },
      failed: (e) => failures.push(e),
    });
    await notifier.notice([summary(bob, 0)]);
    await notifier.notice([summary(bob, 1, last(1))]);
    await notifier.notice([summary(bob, 1, last(1))]); // the same list again: nothing new
    expect(shown.map((n) => n.title)).toEqual(['Bob']);
    hidden = false;
    await notifier.notice([summary(bob, 2, last(2))]);
    expect(shown).toHaveLength(1);
    await notifier.notice([summary(bob, 0, last(2))]);
    expect(closed).toEqual([conversationTag('bob')]);
    hidden = true;
    fail = true;
    await notifier.notice([summary(bob, 1, last(3))]);
    expect(failures).toHaveLength(1);
  });
});

describe('notification settings', () => {
  it('are off by default, round-trip through storage, and are forgotten on clear', () => {
    const data = new Map<string, string>();
    const storage = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
    expect(loadNotificationSettings(storage)).toEqual({ enabled: false, previews: false });
    saveNotificationSettings({ enabled: true, previews: true }, storage);
    expect(loadNotificationSettings(storage)).toEqual({ enabled: true, previews: true });
    saveNotificationSettings({ enabled: true, previews: false }, storage);
    expect(loadNotificationSettings(storage)).toEqual({ enabled: true, previews: false });
    clearNotificationSettings(storage);
    expect(data.size).toBe(0);
  });

  it('show as on only when chosen and permitted, and as blocked whatever was chosen', () => {
    expect(notificationState('granted', ON)).toBe('on');
    expect(notificationState('default', ON)).toBe('off');
    expect(notificationState('granted', { enabled: false, previews: false })).toBe('off');
    expect(notificationState('denied', ON)).toBe('blocked');
    expect(notificationState('unsupported', ON)).toBe('unsupported');
  });
});

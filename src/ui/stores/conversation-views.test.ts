import { afterEach, describe, expect, it, vi } from 'vitest';
import { AVATAR_COLOURS } from '../../app/avatar';
import type { ConversationSummary } from '../../app/conversation-list';
import type { Contact } from '../../store/contact-types';
import { conversationViews, showUnreadTotal } from './conversation-views';

function contact(id: string, userId: number[]): Contact {
  return {
    id,
    identityKey: new Uint8Array(32),
    userId: Uint8Array.from([...userId, ...new Array<number>(16 - userId.length).fill(0)]),
    announcedName: id,
    verified: false,
    firstSeen: 1,
    lastSeen: 1,
  };
}

describe('conversationViews', () => {
  it('keeps the order, the last message and the counts, and derives the avatar colour from the user id', () => {
    const summaries: ConversationSummary[] = [
      {
        contact: contact('bob', [0, 1]),
        last: {
          messageId: new Uint8Array(16),
          direction: 'in',
          state: 'delivered',
          at: 50,
          preview: 'Bring bananas',
          deleted: false,
          edited: true,
        },
        unread: 2,
        archived: false,
        activityAt: 50,
      },
      { contact: contact('carol', [0, 13]), unread: 0, archived: true, activityAt: 1 },
    ];
    const views = conversationViews(summaries);
    expect(views.map((v) => v.id)).toEqual(['bob', 'carol']);
    expect(views[0]).toMatchObject({
      unread: 2,
      archived: false,
      last: { preview: 'Bring bananas', edited: true, deleted: false, direction: 'in', at: 50 },
    });
    expect(views[0]!.avatar.background).toBe(AVATAR_COLOURS[1]);
    expect(views[1]!.avatar.background).toBe(AVATAR_COLOURS[1]); // 13 % 12
    expect(views[1]!.last).toBeUndefined();
    expect(views[1]!.archived).toBe(true);
  });
});

describe('conversationViews of a file message', () => {
  const withFile = (media: 'file' | 'image' | 'video' | 'voice', deleted = false): ConversationSummary => ({
    contact: contact('bob', [0, 1]),
    last: {
      messageId: new Uint8Array(16),
      direction: 'out',
      state: 'sent',
      at: 50,
      preview: '',
      deleted,
      edited: false,
      // conversation-list.ts's LastMessage: the kind and name of its file.
      ...{ file: { media, name: 'report.pdf' } },
    },
    unread: 0,
    archived: false,
    activityAt: 50,
  });

  it('previews it by what it is, or by its name for a plain file', () => {
    const previews = (['image', 'video', 'voice', 'file'] as const).map(
      (media) => conversationViews([withFile(media)])[0]!.last!.preview,
    );
    expect(previews).toEqual(['Photo', 'Video', 'Voice note', 'File: report.pdf']);
  });

  it('keeps a deleted one a tombstone', () => {
    expect(conversationViews([withFile('image', true)])[0]!.last).toMatchObject({
      preview: '',
      deleted: true,
    });
  });
});

describe('showUnreadTotal', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('puts the count in the title and on the app badge, and takes both away at zero', () => {
    const doc = { title: 'SecMsg' };
    const setAppBadge = vi.fn(async (_n?: number) => {
      await Promise.resolve();
    });
    const clearAppBadge = vi.fn(async () => {
      await Promise.resolve();
    });
    vi.stubGlobal('document', doc);
    vi.stubGlobal('navigator', { setAppBadge, clearAppBadge });
    showUnreadTotal(3);
    expect(doc.title).toBe('(3) SecMsg');
    expect(setAppBadge).toHaveBeenCalledWith(3);
    showUnreadTotal(0);
    expect(doc.title).toBe('SecMsg');
    expect(clearAppBadge).toHaveBeenCalledTimes(1);
  });

  it('still sets the title where there is no Badging API', () => {
    const doc = { title: 'SecMsg' };
    vi.stubGlobal('document', doc);
    vi.stubGlobal('navigator', {});
    showUnreadTotal(1);
    expect(doc.title).toBe('(1) SecMsg');
  });
});

import { describe, expect, it } from 'vitest';
import { toHex } from '../../crypto/bytes';
import type { StoredFile } from '../../store/file-types';
import type { StoredMessage } from '../../store/message-types';
import { withFiles } from './chat-history';
import type { HistoryWindowState } from './history-window';

const file = (state: StoredFile['state'], have: StoredFile['have'] = []): StoredFile => ({
  name: 'big.bin',
  mime: 'application/octet-stream',
  size: 10 * 65_536,
  chunkSize: 65_536,
  media: 'file',
  key: new Uint8Array(32),
  root: new Uint8Array(32),
  state,
  have,
});

const message = (id: number, f?: StoredFile): StoredMessage => ({
  contactId: 'bob',
  messageId: new Uint8Array(16).fill(id),
  direction: 'out',
  body: f ? '' : `text ${id}`,
  sentAt: 1_000 + id,
  state: 'sent',
  ...(f ? { file: f } : {}),
});

const windowOf = (...messages: StoredMessage[]): HistoryWindowState => ({
  messages,
  olderMore: false,
  newerMore: false,
  loaded: true,
});

const key = (id: number) => toHex(new Uint8Array(16).fill(id));

describe('withFiles', () => {
  it('puts the file part heard of into its message and leaves the others as they are', () => {
    const text = message(1);
    const state = windowOf(text, message(2, file('offered')));
    const heard = file('sending', [[0, 3]]);
    const files = new Map([[key(2), heard]]);
    const shown = withFiles(state, files, false);
    expect(shown.messages[0]).toBe(text);
    expect(shown.messages[1]!.file).toBe(heard);
    expect(shown.messages[1]!.body).toBe('');
    expect(state.messages[1]!.file!.state).toBe('offered'); // the window's own state is not changed
    expect(files.size).toBe(1);
  });

  it('keeps what was heard over an older read, and forgets it once a read is as far along', () => {
    const heard = file('sending', [[0, 5]]);
    const files = new Map([[key(2), heard]]);
    // A read that started before the event: behind it, so the event's part is shown.
    expect(withFiles(windowOf(message(2, file('sending', [[0, 3]]))), files, true).messages[0]!.file).toBe(
      heard,
    );
    expect(files.has(key(2))).toBe(true);
    // A later read, as far along or further: shown as read, and the event is forgotten.
    const read = file('done', [[0, 10]]);
    expect(withFiles(windowOf(message(2, read)), files, true).messages[0]!.file).toBe(read);
    expect(files.size).toBe(0);
  });

  it('forgets, on a read, the parts of messages the window no longer holds', () => {
    const files = new Map([
      [key(2), file('receiving', [[0, 1]])],
      [key(9), file('receiving', [[0, 1]])],
    ]);
    withFiles(windowOf(message(2, file('receiving'))), files, false);
    expect(files.size).toBe(2); // not a read: nothing is known of message 9
    withFiles(windowOf(message(2, file('receiving'))), files, true);
    expect([...files.keys()]).toEqual([key(2)]);
  });
});

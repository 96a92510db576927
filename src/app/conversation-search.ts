/**
 * Search over this device's contacts and messages (nothing leaves it): contact names (the one set
 * here and the one announced) and message bodies, matched without regard to case, both sides in
 * Unicode NFC so that a letter typed composed finds it stored decomposed.
 *
 * The work of one call is bounded: it reads at most SEARCH_SCAN_BUDGET messages (a page at a time,
 * newest first, conversation by conversation in the list's order) and stops at `limit` hits; when
 * it stops before the end it returns `next`, to pass back as `after` for more. An AbortSignal stops
 * it between pages (the call then rejects with the signal's reason). Loaded on first search.
 */
import type { HistoryCursor, StoredMessage } from '../store/message-types';
import type { Stores } from '../store/stores';

/** The most messages one call reads. */
export const SEARCH_SCAN_BUDGET = 2_000;
/** The most message hits one call returns, unless `limit` says fewer. */
export const MAX_SEARCH_HITS = 50;
/** A longer query is cut to this many code units. */
export const MAX_QUERY_LENGTH = 200;
const PAGE = 200;
/** Characters of context a snippet shows before and after the match. */
const BEFORE = 30;
const AFTER = 60;

export interface SearchCursor {
  /** The conversations still to search, the one under way first. */
  readonly contactIds: readonly string[];
  /** Where the one under way stopped (its oldest message read). */
  readonly before?: HistoryCursor;
}

export interface SearchOptions {
  /** The `next` of the previous call: go on from there (contacts are matched on the first call only). */
  readonly after?: SearchCursor;
  readonly signal?: AbortSignal;
  /** At most this many message hits (1 … MAX_SEARCH_HITS). */
  readonly limit?: number;
}

export interface ContactHit {
  readonly contactId: string;
  /** Which of its names matched. */
  readonly field: 'localName' | 'announcedName';
}

export interface MessageHit {
  readonly contactId: string;
  readonly messageId: Uint8Array;
  readonly direction: StoredMessage['direction'];
  readonly sentAt: number;
  /** Some of the body around the match, on one line, with '…' where it was cut. */
  readonly snippet: string;
  /** Where the match is in `snippet`, in UTF-16 code units (for highlighting). */
  readonly match: { readonly start: number; readonly length: number };
}

export interface SearchResult {
  readonly contacts: ContactHit[];
  /** Newest first within a conversation; conversations in the list's order. */
  readonly messages: MessageHit[];
  /** Set when there may be more: pass it as `after`. */
  readonly next?: SearchCursor;
  /** How many messages this call read. */
  readonly scanned: number;
}

export interface SearchDeps {
  readonly stores: Stores;
  /** Contact ids in the conversation list's order. */
  order(): Promise<string[]>;
}

/** What a query and a text are compared as. */
export function fold(text: string): string {
  return text.normalize('NFC').toLowerCase();
}

/**
 * Where `q` (folded) is in `text`: the range in `text` (NFC) that folds to it, or undefined. The
 * fold is made a code point at a time, so that a character whose lower case is longer (İ) still
 * maps back to where it is.
 */
export function findFolded(
  text: string,
  q: string,
): { text: string; start: number; end: number } | undefined {
  const nfc = text.normalize('NFC');
  const quick = nfc.toLowerCase();
  if (quick.length === nfc.length) {
    const at = quick.indexOf(q);
    return at < 0 ? undefined : { text: nfc, start: at, end: at + q.length };
  }
  let folded = '';
  const origin: number[] = [];
  let i = 0;
  for (const cp of nfc) {
    const lower = cp.toLowerCase();
    for (let k = 0; k < lower.length; k++) origin.push(i);
    folded += lower;
    i += cp.length;
  }
  origin.push(nfc.length);
  const at = folded.indexOf(q);
  if (at < 0) return undefined;
  const last = origin[at + q.length - 1]!;
  const end = last + (nfc.codePointAt(last)! > 0xffff ? 2 : 1);
  return { text: nfc, start: origin[at]!, end };
}

/** A code unit index moved off the second half of a surrogate pair. */
function onCodePoint(text: string, i: number, back: boolean): number {
  const c = text.charCodeAt(i);
  if (i > 0 && i < text.length && c >= 0xdc00 && c <= 0xdfff) return back ? i - 1 : i + 1;
  return i;
}

export function snippet(found: {
  text: string;
  start: number;
  end: number;
}): Pick<MessageHit, 'snippet' | 'match'> {
  const { text, start, end } = found;
  const from = onCodePoint(text, Math.max(0, start - BEFORE), true);
  const to = onCodePoint(text, Math.min(text.length, end + AFTER), false);
  // Whitespace made spaces one for one, so that the match keeps its place.
  const line = text.slice(from, to).replace(/\s/gu, ' ');
  const head = from > 0 ? '…' : '';
  return {
    snippet: `${head}${line}${to < text.length ? '…' : ''}`,
    match: { start: head.length + start - from, length: end - start },
  };
}

export async function searchConversations(
  deps: SearchDeps,
  query: string,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const { stores } = deps;
  const { signal } = options;
  const limit = Math.max(1, Math.min(MAX_SEARCH_HITS, Math.floor(options.limit ?? MAX_SEARCH_HITS)));
  const q = fold(query.trim()).slice(0, MAX_QUERY_LENGTH);
  if (q === '') return { contacts: [], messages: [], scanned: 0 };
  signal?.throwIfAborted();

  const contacts: ContactHit[] = [];
  if (!options.after) {
    for (const c of await stores.contacts.list()) {
      if (c.localName !== undefined && fold(c.localName).includes(q)) {
        contacts.push({ contactId: c.id, field: 'localName' });
      } else if (fold(c.announcedName).includes(q)) {
        contacts.push({ contactId: c.id, field: 'announcedName' });
      }
    }
  }

  const queue = [...(options.after?.contactIds ?? (await deps.order()))];
  let before = options.after?.before;
  const messages: MessageHit[] = [];
  let scanned = 0;
  while (queue.length > 0) {
    signal?.throwIfAborted();
    if (scanned >= SEARCH_SCAN_BUDGET || messages.length >= limit) {
      return { contacts, messages, next: { contactIds: queue, ...(before ? { before } : {}) }, scanned };
    }
    const contactId = queue[0]!;
    const room = Math.min(PAGE, SEARCH_SCAN_BUDGET - scanned);
    const page = await stores.conversations.page(contactId, { limit: room, ...(before ? { before } : {}) });
    // Newest first; stops at the hit that fills the limit, so that `next` goes on just after it.
    const read = [...page.messages].reverse();
    let taken = 0;
    for (const m of read) {
      taken++;
      const found = m.deletedAt === undefined ? findFolded(m.body, q) : undefined;
      if (found) {
        messages.push({
          contactId,
          messageId: m.messageId,
          direction: m.direction,
          sentAt: m.sentAt,
          ...snippet(found),
        });
        if (messages.length >= limit) break;
      }
    }
    scanned += taken;
    const lastRead = read[taken - 1];
    if (taken < read.length || page.more) {
      before = lastRead && { sentAt: lastRead.sentAt, messageId: lastRead.messageId };
    } else {
      queue.shift();
      before = undefined;
    }
  }
  return { contacts, messages, scanned };
}

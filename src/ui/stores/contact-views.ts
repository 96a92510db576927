/**
 * What the screens show of each contact, names first (DESIGN.md, Identity and trust):
 *
 * - The name shown is the one the user kept or set (`localName`). Until then it is the name the
 *   contact announced, shown as such ("calls themselves …"), with every suspicious character
 *   made visible (names.ts, after UTS #39) and a sentence per problem.
 * - Two contacts whose shown names a reader could mistake for each other (equal UTS #39
 *   skeletons) are told apart by a short tag from their user ids.
 * - A contact with no name of the user's whose announced name looks like another contact's shown
 *   name says so: it is someone new who merely claims a known name.
 */
import { toHex } from '../../crypto/bytes';
import type { Reach } from '../../app/reconnector';
import type { Contact } from '../../store/contact-types';
import * as text from '../strings/list';

type Names = typeof import('../../app/names');

export interface ContactView {
  id: string;
  /** The name to show: the local name, or the announced one with suspicious characters made visible. */
  name: string;
  /** True while `name` is only what the contact announced (not kept or set by the user). */
  nameIsAnnounced: boolean;
  /** The announced name, made visible. */
  announcedName: string;
  /** A sentence per problem of the announced name (invisible, bidi, mixed-script characters…). */
  nameWarnings: string[];
  /** Set when another contact's shown name is confusable with this one's: e.g. "id 3f9a". */
  tellApart?: string;
  /** For a contact shown by its announced name: the shown name of the other contact it looks like. */
  looksLike?: string;
  verified: boolean;
  keyChangePending: boolean;
  /** The name the holder of the pending key announced, made visible. */
  pendingAnnouncedName?: string;
  /** Why reconnecting is paused (our sentence), while it is. */
  reconnectPaused?: string;
  lastSeen: number;
  connected: boolean;
  /** Where reconnecting stands. */
  reach: Reach;
}

export interface LiveStatus {
  connected: boolean;
  reach: Reach;
}

/** The tag that tells two contacts apart: the first 4 hex digits of the user id (2 bytes). */
export function tellApartTag(userId: Uint8Array): string {
  return text.idTag(toHex(userId.subarray(0, 2)));
}

export function contactViews(
  contacts: readonly Contact[],
  names: Names,
  status: (c: Contact) => LiveStatus,
): ContactView[] {
  const base = contacts.map((c) => {
    const announced = names.checkName(c.announcedName);
    const shown = c.localName ?? c.announcedName;
    return {
      c,
      announced,
      shown,
      visibleShown: c.localName !== undefined ? names.checkName(c.localName).visible : announced.visible,
    };
  });
  return base.map(({ c, announced, shown, visibleShown }) => {
    const confusable = base.filter((o) => o.c.id !== c.id && names.confusableNames(o.shown, shown));
    // Someone shown only by the name it announced, that looks like a contact known longer or named by the user.
    const lookalike =
      c.localName === undefined
        ? confusable.find((o) => o.c.localName !== undefined || o.c.firstSeen < c.firstSeen)
        : undefined;
    const pending = c.pendingKey && names.checkName(c.pendingKey.announcedName).visible;
    return {
      id: c.id,
      name: visibleShown === '' ? text.noName : visibleShown,
      nameIsAnnounced: c.localName === undefined,
      announcedName: announced.visible,
      nameWarnings: names.nameIssueSentences(announced),
      ...(confusable.length > 0 ? { tellApart: tellApartTag(c.userId) } : {}),
      ...(lookalike ? { looksLike: lookalike.visibleShown } : {}),
      verified: c.verified,
      keyChangePending: c.pendingKey !== undefined,
      ...(pending === undefined ? {} : { pendingAnnouncedName: pending }),
      ...(c.reconnectPaused ? { reconnectPaused: c.reconnectPaused.reason } : {}),
      lastSeen: c.lastSeen,
      ...status(c),
    };
  });
}

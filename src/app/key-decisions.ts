/**
 * The user's decision about a contact's new identity key (DESIGN.md, Identity and trust): accepted,
 * the contact takes the new key (unverified; a verified mark is cleared and both are logged), and
 * the messages held while the decision waited are read in order through the new ratchet; refused,
 * the old key stays, and the session with the new key is closed with what it sent unread.
 * The messenger (messenger.ts) delegates to these; trust.ts says what the contact becomes.
 */
import { constantTimeEqual } from '../crypto/bytes';
import type { Contact } from '../store/contact-types';
import type { SecurityEventKind } from '../store/security-event-types';
import type { LiveSessions } from './live-sessions';
import type { TrustDeps } from './trust';

export interface KeyDecisionDeps {
  readonly serial: <T>(contactId: string, task: () => Promise<T>) => Promise<T>;
  readonly mustGet: (contactId: string) => Promise<Contact>;
  readonly put: (contact: Contact) => Promise<void>;
  readonly log: (contactId: string, kind: SecurityEventKind, detail: string) => Promise<void>;
  readonly sessions: LiveSessions;
  readonly trustDeps: TrustDeps;
  /** trust.ts, loaded on first use. */
  readonly trust: () => Promise<typeof import('./trust')>;
}

export function createKeyDecisions(deps: KeyDecisionDeps): {
  accept(contactId: string): Promise<void>;
  refuse(contactId: string): Promise<void>;
} {
  const { serial, mustGet, put, log, sessions, trustDeps, trust } = deps;
  return {
    async accept(contactId) {
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (!contact.pendingKey) return;
        await put(await (await trust()).acceptedKey(trustDeps, contact));
        await log(
          contactId,
          'key-change-accepted',
          'You accepted the new identity key. It is not verified: compare safety numbers to verify it.',
        );
        if (contact.verified) {
          await log(
            contactId,
            'verification-cleared',
            'No longer verified, because the identity key changed.',
          );
        }
        const live = sessions.get(contactId);
        if (live && constantTimeEqual(live.connected.peer.staticKey, contact.pendingKey.identityKey)) {
          await sessions.startRatchet(contactId, live);
          const held = live.held.messages;
          live.held = { messages: [], bytes: 0 };
          for (const m of held) await sessions.receive(contactId, live, m);
        }
      });
      await serial(contactId, async () => sessions.flush(contactId));
      sessions.filesReady(contactId);
    },

    async refuse(contactId) {
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        const pending = contact.pendingKey;
        if (!pending) return;
        await put((await trust()).refusedKey(contact));
        await log(
          contactId,
          'key-refused',
          'You refused the new identity key. The key you had stays; sessions with the new one are closed.',
        );
        const live = sessions.get(contactId);
        if (live && constantTimeEqual(live.connected.peer.staticKey, pending.identityKey)) {
          live.held = { messages: [], bytes: 0 };
          await live.connected.session.close('identity key refused');
        }
      });
    },
  };
}

/**
 * Taking over a ready session (the messenger's `adopt`, messenger-api.ts): trust.ts says which
 * contact the session's keys belong to and what changes; the contact is stored and its log
 * written; then the session is attached (live-sessions.ts), unless it would displace the session
 * of the pinned key or speaks for a refused key, and, with no key change waiting, the contact's
 * ratchet starts, its outbox goes and its mailbox is announced. Loaded with the first session (it
 * brings trust.ts and the inspector's parsers), not with the page.
 */
import { constantTimeEqual } from '../crypto/bytes';
import type { Contact } from '../store/contact-types';
import type { Connected } from './connect';
import type { ContactOps } from './contact-ops';
import { createInspector } from './inspector';
import type { LiveSessions } from './live-sessions';
import type { OfflineDelivery } from './offline-delivery';
import { type AdoptOutcome, type Arrival, type TrustDeps, decideArrival } from './trust';

export interface AdoptionDeps extends Pick<ContactOps, 'serial' | 'mustGet' | 'log'> {
  readonly trustDeps: TrustDeps;
  readonly sessions: LiveSessions;
  /** Stores the contact; `quiet`: without telling the list yet. */
  readonly put: (contact: Contact, quiet?: boolean) => Promise<void>;
  /** The contact list changed. */
  readonly contactsChanged: () => void;
  /** The security log's sentence for a contact that announced a new name (contact-names.ts). */
  readonly renameDetail: (renamed: readonly [string, string], localName?: string) => Promise<string>;
  readonly offline: () => Promise<OfflineDelivery | undefined>;
  /** A mailbox request that failed (what it carried waits). */
  readonly mailboxTrouble: (e: unknown) => void;
}

export type Adopt = (
  connected: Connected,
  arrival: Arrival,
) => Promise<{ contact: Contact; outcome: AdoptOutcome }>;

export function createAdoption(deps: AdoptionDeps): Adopt {
  const { serial, mustGet, log, put, sessions } = deps;
  return async (connected, arrival) => {
    const decision = await decideArrival(
      deps.trustDeps,
      connected.peer,
      connected.keyProvenByInvite,
      arrival,
    );
    const id = decision.contactId;
    return serial(id, async () => {
      // The list hears of the contact once its session is attached (below), so that the reconnector
      // does not start a second session for a contact that has one.
      if (decision.contact) await put(decision.contact, true);
      const contact = decision.contact ?? (await mustGet(id));
      for (const [kind, detail] of decision.log) await log(id, kind, detail);
      if (decision.renamed) {
        await log(id, 'name-announced', await deps.renameDetail(decision.renamed, contact.localName));
      }
      const current = sessions.get(id);
      const realOneOpen =
        current?.state === 'open' && constantTimeEqual(current.connected.peer.staticKey, contact.identityKey);
      if (decision.outcome === 'refused' || (decision.outcome === 'key-changed' && realOneOpen)) {
        // Never displaces the session of the pinned key; a refused key is not heard again.
        await connected.session.close(
          decision.outcome === 'refused' ? 'identity key refused' : 'key change pending',
        );
        if (decision.contact) deps.contactsChanged();
        return { contact, outcome: decision.outcome };
      }
      const live = sessions.attach(id, connected, createInspector);
      if (decision.contact) deps.contactsChanged();
      if (decision.outcome !== 'key-changed') {
        await sessions.startRatchet(id, live);
        await sessions.flush(id);
        sessions.filesReady(id);
        await (await deps.offline())?.announce(id, live).catch(deps.mailboxTrouble);
      }
      return { contact, outcome: decision.outcome };
    });
  };
}

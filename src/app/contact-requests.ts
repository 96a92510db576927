/**
 * Contact requests that arrive for this device's username (issue 15, item 3; usernames.ts claims
 * it): read from the request mailbox its card names, opened (contact-request.ts checks the seal,
 * the requester's signature over this card and derives its user id), shown with the safety number
 * the two would compare, then accepted or ignored by the person.
 *
 * - A request stays in the mailbox until the person decides (the worker deletes it after 14 days
 *   anyway); one that cannot be opened is deleted at once. Of several from the same keys, the
 *   newest is shown and the others deleted.
 * - Accept: the contact is stored with the requester's keys, unverified, and the pair secret from
 *   the request as its rendezvous (roles from the two keys' order, bound to them, as rendezvous.ts
 *   derives them); the reconnector then meets them in the pair's room as any known contact, and the
 *   handshake there must present exactly these keys (trust.ts: another key is a key change, never
 *   this contact). Ignore: the request is deleted, nothing is stored.
 * - The requester's name is a suggestion: stored as the announced name, checked by names.ts.
 */
import { identityKeyBytes, safetyNumber } from '../crypto/fingerprint';
import { constantTimeEqual } from '../crypto/bytes';
import { mlKem1024KeyPair } from '../crypto/ml-kem';
import {
  type CardBinding,
  type ContactRequest,
  openContactRequest,
  sameRequester,
} from '../protocol/contact-request';
import { displayHandle } from '../protocol/directory';
import { type RendezvousPair, rendezvousKeys } from '../protocol/rendezvous';
import type { Contact } from '../store/contact-types';
import { newContactId } from '../store/records';
import type { UsernameClaim } from '../store/username-types';
import type { ContactOps } from './contact-ops';
import type { MailboxAccess, MailboxClient } from './mailbox-client';
import { UsernameError } from './username-errors';

export const REQUEST_ACCEPTED_DETAIL = (handle: string): string =>
  `You accepted their contact request, sent to your username ${displayHandle(handle)}. Not verified yet: the keys came through the directory, so compare safety numbers to know it is them.`;

/** At most this many new requests are opened per read; the rest wait for the next ones. */
export const MAX_OPENED_PER_READ = 20;

export interface IncomingRequest {
  /** The mailbox blob it came in: what accept and ignore name. */
  readonly id: string;
  readonly request: ContactRequest;
  /** The 60 digits the two would compare, computed over this device's key and the requester's. */
  readonly safetyNumber: string;
  /** When the worker took it, ms since the epoch. */
  readonly at: number;
  /** The contact this device already has with these keys, if any. */
  readonly knownContactId?: string;
}

export interface ContactRequestsDeps {
  readonly ops: Pick<ContactOps, 'put' | 'log' | 'identity' | 'serial'>;
  readonly byKey: (identityKey: Uint8Array) => Promise<Contact | undefined>;
  readonly claim: () => Promise<UsernameClaim | undefined>;
  readonly mailbox: () => Promise<MailboxClient>;
  readonly now: () => number;
}

export interface ContactRequests {
  /** Reads the request mailbox: the requests waiting for a decision, oldest first. */
  read(): Promise<IncomingRequest[]>;
  /** The requests the last read found and no decision took since (no I/O). */
  waiting(): IncomingRequest[];
  /** Stores the requester as an unverified contact; the reconnector meets them. */
  accept(id: string): Promise<Contact>;
  /** Deletes the request. */
  ignore(id: string): Promise<void>;
}

/** Unsigned lexicographic order of two 32-byte keys: negative when `a` sorts first. */
function compareKeys(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The rendezvous pair for a pair secret chosen by the requester: both sides compute the same roles
 * (the key that sorts first offers) and bind it to the two keys, as rendezvousPair does.
 */
export async function pairFromSecret(
  secret: Uint8Array,
  myPublicKey: Uint8Array,
  theirPublicKey: Uint8Array,
): Promise<RendezvousPair> {
  return {
    secret: Uint8Array.from(secret),
    offerer: compareKeys(myPublicKey, theirPublicKey) < 0,
    keys: await rendezvousKeys(myPublicKey, theirPublicKey),
  };
}

/** The card fields this device's requests are bound to: its handle and current keys. */
export function ownBinding(
  claim: UsernameClaim,
  identity: ContactOps['identity'],
): CardBinding & { kemSecretKey: Uint8Array } {
  const kem = mlKem1024KeyPair(claim.kemSeed);
  return {
    handle: claim.handle,
    identityKey: identity.keyPair.publicKey,
    signingKey: identity.signing.publicKey,
    kemKey: kem.publicKey,
    kemSecretKey: kem.secretKey,
  };
}

export function createContactRequests(deps: ContactRequestsDeps): ContactRequests {
  const { ops, now } = deps;
  /** The requests read last, by blob id. */
  let waiting = new Map<string, IncomingRequest>();
  let reading: Promise<IncomingRequest[]> | undefined;

  const access = (claim: UsernameClaim): MailboxAccess => claim.mailbox;

  const readOnce = async (): Promise<IncomingRequest[]> => {
    const claim = await deps.claim();
    if (!claim) {
      waiting = new Map();
      return [];
    }
    const client = await deps.mailbox();
    const [listed] = await client.list([access(claim)]);
    if (!listed || 'error' in listed) {
      // Gone after a long idle time: claimed again under the id the card names.
      if (listed?.error.code === 'NO_MAILBOX') await client.claim(access(claim));
      waiting = new Map();
      return [];
    }
    const known = new Set(waiting.keys());
    // Opening one costs a signature check and a safety number: a flood is read a few at a time.
    const fresh = listed.blobs
      .filter((b) => !known.has(b.id))
      .map((b) => b.id)
      .slice(0, MAX_OPENED_PER_READ);
    const fetched = fresh.length > 0 ? await client.fetch(access(claim), fresh) : [];
    const identity = ops.identity;
    const binding = ownBinding(claim, identity);
    const keys = { identityPrivateKey: identity.keyPair.privateKey, kemSecretKey: binding.kemSecretKey };
    const next = new Map<string, IncomingRequest>();
    for (const b of listed.blobs) {
      const kept = waiting.get(b.id);
      if (kept) next.set(b.id, kept);
    }
    const unreadable: string[] = [];
    for (const blob of fetched) {
      let request: ContactRequest;
      try {
        request = await openContactRequest(blob.data, keys, binding, now());
      } catch {
        unreadable.push(blob.id); // not for these keys, changed, or malformed: never readable
        continue;
      }
      if (constantTimeEqual(request.identityKey, identity.keyPair.publicKey)) {
        unreadable.push(blob.id);
        continue;
      }
      const known = await deps.byKey(request.identityKey);
      const number = await safetyNumber(
        { id: identity.userId, key: identityKeyBytes(identity.keyPair.publicKey) },
        { id: request.userId, key: identityKeyBytes(request.identityKey) },
      );
      next.set(blob.id, {
        id: blob.id,
        request,
        safetyNumber: number,
        at: blob.at,
        ...(known ? { knownContactId: known.id } : {}),
      });
    }
    // Of several requests from the same keys, the newest stays.
    const list = [...next.values()].sort((a, b) => a.at - b.at);
    const shown: IncomingRequest[] = [];
    for (const r of list) {
      const older = shown.findIndex((s) => sameRequester(s.request, r.request));
      if (older >= 0) unreadable.push(...shown.splice(older, 1).map((s) => s.id));
      shown.push(r);
    }
    if (unreadable.length > 0) await client.remove(access(claim), unreadable);
    waiting = new Map(shown.map((r) => [r.id, r]));
    return shown;
  };

  const mustFind = (id: string): IncomingRequest => {
    const r = waiting.get(id);
    if (!r) throw new UsernameError('NO_REQUEST', 'This contact request is no longer waiting.');
    return r;
  };

  const remove = async (id: string): Promise<void> => {
    const claim = await deps.claim();
    waiting.delete(id);
    if (claim) await (await deps.mailbox()).remove(access(claim), [id]);
  };

  return {
    waiting: () => [...waiting.values()],

    async read() {
      // Calls made while one runs share it.
      reading ??= readOnce().finally(() => (reading = undefined));
      return reading;
    },

    async accept(id) {
      const { request } = mustFind(id);
      const claim = await deps.claim();
      if (!claim) throw new UsernameError('NO_USERNAME', 'This device no longer has a username.');
      const identity = ops.identity;
      const pair = await pairFromSecret(request.pairSecret, identity.keyPair.publicKey, request.identityKey);
      const at = now();
      const known = await deps.byKey(request.identityKey);
      if (known?.signingKey && !constantTimeEqual(known.signingKey, request.signingKey)) {
        throw new UsernameError(
          'KEY_MISMATCH',
          'This request names the identity key of one of your contacts with another post-quantum key. It was not accepted.',
        );
      }
      const contact: Contact = known
        ? { ...known, rendezvous: pair }
        : {
            id: newContactId(),
            identityKey: Uint8Array.from(request.identityKey),
            signingKey: Uint8Array.from(request.signingKey),
            // Recomputed from the keys when the request was opened, never taken from it.
            userId: request.userId,
            announcedName: request.displayName,
            verified: false,
            firstSeen: at,
            lastSeen: at,
            rendezvous: pair,
          };
      await ops.serial(contact.id, async () => {
        await ops.put(contact);
        await ops.log(contact.id, 'paired', REQUEST_ACCEPTED_DETAIL(claim.handle));
      });
      await remove(id);
      return contact;
    },

    async ignore(id) {
      mustFind(id);
      await remove(id);
    },
  };
}

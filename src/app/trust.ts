/**
 * Trust decisions (DESIGN.md, Identity and trust): which contact a ready session belongs to, and
 * what a person's decisions about keys do. A contact **is** its keys:
 *
 * - A session whose key is pinned by a contact is that contact, however it arrived.
 * - A key no contact pins belongs to a contact when the session announced a key rotation that the
 *   contact's pinned ML-DSA key signed (key-rotation.ts): the new keys are pinned at once, the
 *   verified mark stays, and the log says so (a notice, not the blocking warning).
 * - A known X25519 key with another ML-DSA key than the one pinned is refused: a contact is both
 *   its keys. A contact pinned before identities had ML-DSA keys gets the first one it presents.
 * - Otherwise a key no contact pins is a key change only when it arrived through a contact's own rendezvous
 *   room (the reconnector names it; only the pair secret leads there). The conversation then
 *   blocks behind the warning until the user accepts or refuses; the verified mark, the names and
 *   any open session of the real key stay as they are until then.
 * - Anything else (a new pairing, whatever name it announces) is a new contact, shown as such.
 * - A key the user refused for a contact is not asked about again: its sessions close.
 *
 * Nothing the peer says (its name, capabilities) selects or changes a contact; its announced name
 * is recorded as a suggestion, and a change of it is logged. Pure decisions over the stores: the
 * messenger applies them, in its per-contact order.
 */
import { constantTimeEqual } from '../crypto/bytes';
import type { X25519KeyPair } from '../crypto/x25519';
import type { KeyRotation } from '../protocol/key-rotation';
import { verifyKeyRotation } from '../protocol/key-rotation-proof';
import type { RendezvousPair } from '../protocol/rendezvous';
import type { PeerInfo } from '../protocol/session';
import { deriveUserId } from '../protocol/user-id';
import { newContactId } from '../store/records';
import { type Contact, MAX_REFUSED_KEYS } from '../store/contact-types';
import type { SecurityEventKind } from '../store/security-event-types';
import type { Stores } from '../store/stores';

/** How a pairing came about: what the log says, and whether it may mark the contact verified. */
export type PairingMethod =
  /** An invite QR code scanned with the camera, naming the inviter's key: in person. */
  | 'camera-invite'
  /** An invite QR code read from a picture file: it proves the code, not the channel it came by. */
  | 'photo-invite'
  | 'invite-link'
  | 'invite-code'
  /** A short code read aloud: CPace's result was in the handshake, so the code proves the key. */
  | 'short-code';

/** Where a ready session came from. */
export type Arrival =
  | { readonly kind: 'pairing'; readonly method: PairingMethod }
  /** Met in this contact's rendezvous room (only the pair secret leads there). */
  | { readonly kind: 'rendezvous'; readonly contactId: string };

export type AdoptOutcome = 'new-contact' | 'known-contact' | 'key-changed' | 'refused';

export type LogEntry = readonly [SecurityEventKind, string];

export interface ArrivalDecision {
  readonly outcome: AdoptOutcome;
  /** The contact the session belongs to. */
  readonly contactId: string;
  /** What to store for it (undefined: nothing changes). */
  readonly contact?: Contact;
  readonly log: readonly LogEntry[];
  /** The announced name changed: [before, now], for the log entry (worded with names.ts). */
  readonly renamed?: readonly [string, string];
}

const PAIRED_DETAIL: Record<PairingMethod, string> = {
  'camera-invite': 'Paired by scanning their invite code with the camera.',
  'photo-invite':
    'Paired through an invite code read from a picture. A picture proves the code, not who sent it: compare safety numbers to verify.',
  'invite-link': 'Paired through an invite link.',
  'invite-code': 'Paired with invite and answer codes, without a server.',
  'short-code': 'Paired by a short code read aloud.',
};

export const KEY_CHANGED_DETAIL =
  'A new identity key arrived through your usual connection with this contact. This happens when they reinstall or reset the app — or when someone else has their device or their connection secret. Nothing is shown or sent until you accept or refuse it.';

export const ROTATED_DETAIL =
  'They replaced their identity keys, and their old post-quantum key signed the new ones, so they are still the person you knew. The new keys are pinned.';

export const SIGNING_KEY_PINNED_DETAIL =
  'Their app now has a post-quantum signing key (ML-DSA-87). It arrived in a session secured by the identity key you had for them and is now pinned with it; the safety number includes it.';

export const SIGNING_KEY_MISMATCH_DETAIL =
  'A connection presented this contact’s identity key with another post-quantum signing key than the one you have for them. It was refused: a contact is both keys, and only someone holding their old keys could have made the one without the other.';

export const VERIFIED_BY_INVITE_DETAIL =
  'Verified: the invite you scanned with the camera named exactly this key.';

export const VERIFIED_BY_CODE_DETAIL =
  'Verified: you both typed the same short code, and the secure connection was made with the key only the two of you could derive from it.';

/** The log entry that marks a contact verified by how it was paired, if that pairing proves the key. */
function verifiedByPairing(
  method: PairingMethod | undefined,
  keyProvenByInvite: boolean,
): LogEntry | undefined {
  if (!keyProvenByInvite) return undefined;
  if (method === 'camera-invite') return ['verified-by-scan', VERIFIED_BY_INVITE_DETAIL];
  if (method === 'short-code') return ['verified-by-code', VERIFIED_BY_CODE_DETAIL];
  return undefined;
}

export interface TrustDeps {
  readonly stores: Stores;
  readonly identity: { readonly keyPair: X25519KeyPair };
  readonly now: () => number;
}

/** Loaded with the first session (it brings the signaling cipher), not with the page. */
const rendezvous = async () => import('../protocol/rendezvous');

/** The pair to keep with a contact whose key is `theirKey`: the kept one, rotated or made if needed. */
async function currentPair(
  kept: RendezvousPair | undefined,
  myKeyPair: X25519KeyPair,
  theirKey: Uint8Array,
  how: 'rotate' | 'fresh',
): Promise<RendezvousPair> {
  const r = await rendezvous();
  if (kept === undefined) return r.rendezvousPair(myKeyPair, theirKey);
  if (!(await r.needsRotation(kept, myKeyPair, theirKey))) return kept;
  return how === 'rotate'
    ? r.rotateRendezvous(kept, myKeyPair, theirKey)
    : r.rendezvousPair(myKeyPair, theirKey);
}

function isRefused(contact: Contact, key: Uint8Array): boolean {
  return (contact.refusedKeys ?? []).some((k) => constantTimeEqual(k, key));
}

/** Which contact a ready session belongs to, and what changes (see the header). */
export async function decideArrival(
  deps: TrustDeps,
  peer: PeerInfo,
  keyProvenByInvite: boolean,
  arrival: Arrival,
): Promise<ArrivalDecision> {
  const { stores, identity } = deps;
  const at = deps.now();
  const known = await stores.contacts.byKey(peer.staticKey);
  if (known) {
    if (known.signingKey && !constantTimeEqual(known.signingKey, peer.signingKey)) {
      return {
        outcome: 'refused',
        contactId: known.id,
        log: [['possible-interception', SIGNING_KEY_MISMATCH_DETAIL]],
      };
    }
    return knownArrival(deps, known, peer, keyProvenByInvite, arrival, at);
  }
  const rotated = await rotatedContact(stores, peer);
  if (rotated) {
    const contact: Contact = {
      ...rotated,
      identityKey: Uint8Array.from(peer.staticKey),
      signingKey: Uint8Array.from(peer.signingKey),
      userId: deriveUserId(peer.staticKey, peer.signingKey),
    };
    const decision = await knownArrival(deps, contact, peer, keyProvenByInvite, arrival, at);
    return { ...decision, log: [['key-rotated', ROTATED_DETAIL], ...decision.log] };
  }

  if (arrival.kind === 'rendezvous') {
    const owner = await stores.contacts.get(arrival.contactId);
    if (owner) {
      if (isRefused(owner, peer.staticKey)) return { outcome: 'refused', contactId: owner.id, log: [] };
      if (owner.pendingKey && constantTimeEqual(owner.pendingKey.identityKey, peer.staticKey)) {
        // The same new key again, still waiting for the user's decision: nothing new to log.
        return { outcome: 'key-changed', contactId: owner.id, log: [] };
      }
      return {
        outcome: 'key-changed',
        contactId: owner.id,
        contact: {
          ...owner,
          pendingKey: {
            identityKey: Uint8Array.from(peer.staticKey),
            signingKey: Uint8Array.from(peer.signingKey),
            evidence: 'rendezvous',
            at,
            announcedName: peer.displayName,
          },
        },
        log: [['key-changed', KEY_CHANGED_DETAIL]],
      };
    }
    // The contact was deleted while its reconnect ran: treat it as any stranger.
  }

  const method = arrival.kind === 'pairing' ? arrival.method : 'invite-code';
  const proof = verifiedByPairing(method, keyProvenByInvite);
  const verified = proof !== undefined;
  const contact: Contact = {
    id: newContactId(),
    identityKey: Uint8Array.from(peer.staticKey),
    signingKey: Uint8Array.from(peer.signingKey),
    // Recomputed here from the keys, never taken from the peer.
    userId: deriveUserId(peer.staticKey, peer.signingKey),
    announcedName: peer.displayName,
    verified,
    firstSeen: at,
    lastSeen: at,
    rendezvous: await currentPair(undefined, identity.keyPair, peer.staticKey, 'fresh'),
  };
  const log: LogEntry[] = [['paired', PAIRED_DETAIL[method]]];
  if (proof) log.push(proof);
  return { outcome: 'new-contact', contactId: contact.id, contact, log };
}

async function knownArrival(
  deps: TrustDeps,
  known: Contact,
  peer: PeerInfo,
  keyProvenByInvite: boolean,
  arrival: Arrival,
  at: number,
): Promise<ArrivalDecision> {
  // Through its rendezvous the pair may rotate (this side's own key changed: trusted here); a new
  // pairing with a known key starts the pair afresh, as the other side does for a new contact.
  const pair = await currentPair(
    known.rendezvous,
    deps.identity.keyPair,
    peer.staticKey,
    arrival.kind === 'rendezvous' ? 'rotate' : 'fresh',
  );
  const log: LogEntry[] = [];
  let pinned = known;
  if (!known.signingKey) {
    pinned = {
      ...known,
      signingKey: Uint8Array.from(peer.signingKey),
      userId: deriveUserId(known.identityKey, peer.signingKey),
    };
    log.push(['signing-key-pinned', SIGNING_KEY_PINNED_DETAIL]);
  }
  let verified = known.verified;
  const proof = arrival.kind === 'pairing' ? verifiedByPairing(arrival.method, keyProvenByInvite) : undefined;
  if (proof && !verified) {
    verified = true;
    log.push(proof);
  }
  const renamed = peer.displayName !== known.announcedName;
  return {
    outcome: 'known-contact',
    contactId: known.id,
    contact: { ...pinned, announcedName: peer.displayName, verified, lastSeen: at, rendezvous: pair },
    log,
    ...(renamed ? { renamed: [known.announcedName, peer.displayName] as const } : {}),
  };
}

/**
 * The contact whose pinned keys the announced rotations lead away from, each signed by the keys
 * before it, ending at the session's keys; undefined when there is none (then it is no rotation).
 */
async function rotatedContact(stores: Stores, peer: PeerInfo): Promise<Contact | undefined> {
  const chain = peer.rotations;
  for (let start = 0; start < chain.length; start++) {
    const first = chain[start]!;
    const owner = await stores.contacts.byKey(first.old.identityKey);
    if (!owner?.signingKey) continue;
    if (await followsChain(chain.slice(start), owner.signingKey, peer)) return owner;
  }
  return undefined;
}

/** Whether `chain` starts at `pinnedSigningKey`, each link signed by the one before, and ends at `peer`'s keys. */
export async function followsChain(
  chain: readonly KeyRotation[],
  pinnedSigningKey: Uint8Array,
  peer: { readonly staticKey: Uint8Array; readonly signingKey: Uint8Array },
): Promise<boolean> {
  let signing = pinnedSigningKey;
  let previous: KeyRotation | undefined;
  for (const r of chain) {
    if (previous && !constantTimeEqual(previous.next.identityKey, r.old.identityKey)) return false;
    if (!(await verifyKeyRotation(r, signing))) return false;
    signing = r.next.signingKey;
    previous = r;
  }
  return (
    previous !== undefined &&
    constantTimeEqual(previous.next.identityKey, peer.staticKey) &&
    constantTimeEqual(previous.next.signingKey, peer.signingKey)
  );
}

/** The contact after the user accepted its pending key: pinned, unverified, the pair rotated. */
export async function acceptedKey(deps: TrustDeps, contact: Contact): Promise<Contact> {
  const pending = contact.pendingKey;
  if (!pending) return contact;
  const { pendingKey: _, ...rest } = contact;
  return {
    ...rest,
    identityKey: pending.identityKey,
    ...(pending.signingKey === undefined ? {} : { signingKey: pending.signingKey }),
    userId: deriveUserId(pending.identityKey, pending.signingKey),
    announcedName: pending.announcedName,
    verified: false,
    rendezvous: await currentPair(contact.rendezvous, deps.identity.keyPair, pending.identityKey, 'rotate'),
  };
}

/** The contact after the user refused its pending key: the old key stays, the new one is remembered. */
export function refusedKey(contact: Contact): Contact {
  const pending = contact.pendingKey;
  if (!pending) return contact;
  const { pendingKey: _, ...rest } = contact;
  return {
    ...rest,
    refusedKeys: [...(contact.refusedKeys ?? []), pending.identityKey].slice(-MAX_REFUSED_KEYS),
  };
}

/**
 * Database step 2 → 3: a contact is its keys (DESIGN.md, Identity and trust).
 *
 * - Every user id (the identity's, each contact's) is recomputed from its X25519 key
 *   (src/protocol/user-id.ts); version 2 kept random ids that peers announced.
 * - A contact's `name` (what the peer announced, applied silently) becomes `announcedName`, a
 *   suggestion the user keeps or replaces; no local name is set for them.
 * - A key change waiting for a decision is dropped: in version 2 it was recognised by the user id
 *   the peer claimed, which proves nothing, so it is no evidence that the key is the contact's.
 * - A contact key with bit 255 set is stored canonical (the same X25519 key, RFC 7748 §5); one that
 *   is still not canonical, or that then equals another contact's key, is removed (its history stays).
 * - Message times from the peer are bounded to a year around when they were received.
 * Each contact gets an `upgrade` event saying what changed for it.
 *
 * Runs inside the versionchange transaction, with IndexedDB requests only between its awaits (a
 * transaction closes when it waits on anything else), so it all happens or none of it does.
 */
import type { IDBPTransaction, StoreNames } from 'idb';
import { toHex } from '../crypto/bytes';
import { isCanonicalX25519PublicKey } from '../crypto/x25519-public-key';
import { deriveUserId } from '../protocol/user-id';
import { boundPeerTime } from './peer-time';
import type { SecMsgSchema } from './idb-schema';
import { IDENTITY_KEY } from './identity-records';

type UpgradeTx = IDBPTransaction<SecMsgSchema, StoreNames<SecMsgSchema>[], 'versionchange'>;

/** What step 3 writes into each migrated contact's security log. */
export const UPGRADE_NAMES_DETAIL =
  'SecMsg now shows the name you keep or set for each contact. The name here is the one they announced for themselves; keep it or set your own.';
export const UPGRADE_PENDING_DETAIL =
  'A key change that was waiting for your decision was dropped: it was recognised only by an id the other side claimed, which proves nothing. If it was really them, they will show up again through your usual connection.';

type Raw = Record<string, unknown>;

function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null;
}

/** The canonical form of a stored key: bit 255 cleared; undefined when still not canonical. */
function canonical(key: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(key);
  out[31] = out[31]! & 0x7f;
  return isCanonicalX25519PublicKey(out) ? out : undefined;
}

export async function upgradeToV3(tx: UpgradeTx, now: number): Promise<void> {
  const identities = tx.objectStore('identity');
  const self: unknown = await identities.get(IDENTITY_KEY);
  if (
    isRecord(self) &&
    self['publicKey'] instanceof Uint8Array &&
    isCanonicalX25519PublicKey(self['publicKey'])
  ) {
    await identities.put({ ...self, userId: deriveUserId(self['publicKey']) } as never);
  }

  const contacts = tx.objectStore('contacts');
  const events = tx.objectStore('events');
  const seen = new Set<string>();
  const removed: string[] = [];
  let cursor = await contacts.openCursor();
  while (cursor) {
    const raw: unknown = cursor.value;
    const old = isRecord(raw) ? raw : {};
    const key = old['identityKey'] instanceof Uint8Array ? canonical(old['identityKey']) : undefined;
    const id = typeof old['id'] === 'string' ? old['id'] : undefined;
    if (!key || !id || seen.has(toHex(key))) {
      if (id) removed.push(id);
      await cursor.delete();
      cursor = await cursor.continue();
      continue;
    }
    seen.add(toHex(key));
    const { name, pendingKey, ...rest } = old;
    const next = {
      ...rest,
      identityKey: key,
      identityKeyHex: toHex(key),
      userId: deriveUserId(key),
      announcedName: typeof name === 'string' ? name : '',
    };
    await cursor.update(next as never);
    await events.add({ contactId: id, at: now, kind: 'upgrade', detail: UPGRADE_NAMES_DETAIL });
    if (pendingKey !== undefined) {
      await events.add({ contactId: id, at: now, kind: 'upgrade', detail: UPGRADE_PENDING_DETAIL });
    }
    cursor = await cursor.continue();
  }
  for (const id of removed) {
    await events.add({
      contactId: id,
      at: now,
      kind: 'upgrade',
      detail:
        'This contact was removed: its stored identity key was not a valid key, or another contact has the same key. Its messages stay.',
    });
  }

  let messages = await tx.objectStore('messages').openCursor();
  while (messages) {
    const m: unknown = messages.value;
    if (isRecord(m) && m['direction'] === 'in' && typeof m['sentAt'] === 'number') {
      const reference = typeof m['receivedAt'] === 'number' ? m['receivedAt'] : now;
      const bounded = boundPeerTime(m['sentAt'], reference);
      if (bounded !== m['sentAt']) await messages.update({ ...m, sentAt: bounded } as never);
    }
    messages = await messages.continue();
  }
}

/**
 * The messenger: what happens between "a session is ready" and "the history on screen". It owns
 * the rules a person relies on:
 *
 * - Contacts are pinned to the identity key first seen. A handshake from a known user id with
 *   another key is a key change: the conversation is blocked (nothing sent, nothing received
 *   shown) until the user accepts the new key, and the verified mark is cleared.
 * - A contact becomes verified only through a scan (their safety-number code, or an invite
 *   scanned with the camera that named their key) or the user's explicit "the numbers match".
 * - A message is stored before it is sent and stays not-delivered until the peer's ack for its id
 *   arrives; a received message is stored (deduplicated by id) before it is acknowledged. Messages
 *   not yet acknowledged are sent again, with the same id, on the next session.
 * - Every security-relevant event goes into the contact's log.
 *
 * No Solid, no DOM: the UI subscribes with `on(...)` and reads through the async getters.
 */
import { constantTimeEqual } from '../crypto/bytes';
import {
  SCANNABLE_FINGERPRINT_VERSION,
  compareScannable,
  identityKeyBytes,
  safetyNumber,
  scannableFingerprint,
} from '../crypto/fingerprint';
import { randomBytes } from '../crypto/random';
import { ProtocolError } from '../protocol/errors';
import { createEmitter } from '../protocol/events';
import { MAX_TEXT_BODY_BYTES, MESSAGE_ID_LENGTH, type AppRecord, type TextRecord } from '../protocol/records';
import type { SessionClose } from '../protocol/session';
import { newContactId } from '../store/records';
import type {
  Contact,
  SecurityEvent,
  SecurityEventKind,
  StoredIdentity,
  StoredMessage,
  Stores,
} from '../store/types';
import type { Connected } from './connect';
import { AppError } from './errors';
import { createInspector, type Inspector } from './inspector';

/** How a session came about, for the log and for verification by a scanned invite. */
export type PairingMethod = 'scanned-invite' | 'invite-link' | 'invite-code' | 'reconnect';

export type AdoptOutcome = 'new-contact' | 'known-contact' | 'key-changed';

export type LiveState = 'open' | 'closed';

export interface LiveConversation {
  readonly connected: Connected;
  /** Every frame of this session both ways, from the handshake on, for the protocol inspector. */
  readonly inspector: Inspector;
  readonly state: LiveState;
  /** Why the session ended, as a sentence, once it has. */
  readonly closeReason?: string;
}

export interface SafetyNumberView {
  /** 60 digits. */
  digits: string;
  /** Our 74-byte CombinedFingerprints code (Signal-compatible), to show as a QR code. */
  scannable: Uint8Array;
}

export type MessengerEvents = {
  /** The contact list, or one contact, changed. */
  contacts: () => void;
  /** The contact's history changed. */
  messages: (contactId: string) => void;
  /** The contact's security log changed. */
  events: (contactId: string) => void;
  /** The contact's live session changed (opened, closed). */
  connection: (contactId: string) => void;
};

export interface Messenger {
  readonly identity: StoredIdentity;
  contacts(): Promise<Contact[]>;
  contact(contactId: string): Promise<Contact | undefined>;
  history(contactId: string): Promise<StoredMessage[]>;
  securityLog(contactId: string): Promise<SecurityEvent[]>;
  live(contactId: string): LiveConversation | undefined;
  /** Takes over a ready session: finds or makes the contact, and starts delivering. */
  adopt(connected: Connected, method: PairingMethod): Promise<{ contact: Contact; outcome: AdoptOutcome }>;
  /** Stores the message, then sends it if the contact is connected. */
  send(contactId: string, body: string): Promise<StoredMessage>;
  /** Pins the key the contact presented; the verified mark stays cleared. */
  acceptKeyChange(contactId: string): Promise<void>;
  /** Refuses the new key: the session closes and the old key stays pinned. */
  refuseKeyChange(contactId: string): Promise<void>;
  safetyNumber(contactId: string): Promise<SafetyNumberView>;
  /** Compares their scanned code with ours; a match marks the contact verified. */
  verifyByScan(contactId: string, scanned: Uint8Array): Promise<'verified' | 'mismatch'>;
  /** The user's explicit "the numbers match". */
  markVerified(contactId: string): Promise<void>;
  clearVerified(contactId: string): Promise<void>;
  rename(displayName: string): Promise<void>;
  disconnect(contactId: string): Promise<void>;
  on<K extends keyof MessengerEvents>(event: K, fn: MessengerEvents[K]): () => void;
  dispose(): void;
}

export interface MessengerDeps {
  stores: Stores;
  identity: StoredIdentity;
  now?: () => number;
}

interface Live {
  connected: Connected;
  inspector: Inspector;
  state: LiveState;
  closeReason?: string;
  /** Records that arrived while a key change was pending; handled once it is accepted. */
  held: AppRecord[];
  unsubscribe: (() => void)[];
}

const PAIRED_DETAIL: Record<PairingMethod, string> = {
  'scanned-invite': 'Paired by scanning their invite code with the camera.',
  'invite-link': 'Paired through an invite link.',
  'invite-code': 'Paired with invite and answer codes, without a server.',
  reconnect: 'Connected again.',
};

/** The contact as it is with no key change waiting (every other field kept as it is). */
function withoutPendingKey(c: Contact): Contact {
  const { pendingKey, ...rest } = c;
  return rest;
}

function frameEventKind(e: ProtocolError): SecurityEventKind {
  if (e.code === 'BAD_MAC') return 'mac-failed';
  if (e.code === 'DECRYPT_FAILED') return 'decrypt-failed';
  return 'frame-refused';
}

export function createMessenger(deps: MessengerDeps): Messenger {
  const { stores } = deps;
  const now = deps.now ?? Date.now;
  let identity = deps.identity;
  const emitter = createEmitter<MessengerEvents>();
  const lives = new Map<string, Live>();
  /** One chain per contact so that read-modify-write of a contact never interleaves. */
  const chains = new Map<string, Promise<unknown>>();

  const serial = async <T>(contactId: string, task: () => Promise<T>): Promise<T> => {
    const run = (chains.get(contactId) ?? Promise.resolve()).then(task);
    chains.set(
      contactId,
      run.catch(() => undefined),
    );
    return run;
  };

  /**
   * The history is ordered by sentAt: a message written in the same millisecond as the one before
   * still sorts after it, so sentAt goes strictly up per contact (from what is stored).
   */
  const lastSentAt = new Map<string, number>();
  const nextSentAt = async (contactId: string): Promise<number> => {
    let last = lastSentAt.get(contactId);
    if (last === undefined) {
      const history = await stores.messages.list(contactId);
      last = history.reduce((max, m) => (m.direction === 'out' ? Math.max(max, m.sentAt) : max), 0);
    }
    const at = Math.max(now(), last + 1);
    lastSentAt.set(contactId, at);
    return at;
  };

  const mustGet = async (contactId: string): Promise<Contact> => {
    const c = await stores.contacts.get(contactId);
    if (!c) throw new AppError('UNKNOWN_CONTACT', 'This contact no longer exists on this device.');
    return c;
  };

  const log = async (contactId: string, kind: SecurityEventKind, detail: string): Promise<void> => {
    await stores.events.add({ contactId, at: now(), kind, detail });
    emitter.emit('events', contactId);
  };

  const report = (e: unknown): void => {
    // Storage failing under a live session: nothing else to tell the person than the console.
    console.error('SecMsg:', e);
  };

  /** Sends every outgoing message the peer has not acknowledged, oldest first, with its own id. */
  const flushOutbox = async (contactId: string): Promise<void> => {
    const live = lives.get(contactId);
    if (!live || live.state !== 'open') return;
    const pending = (await stores.messages.list(contactId)).filter(
      (m) => m.direction === 'out' && m.state !== 'delivered',
    );
    for (const m of pending) {
      if (live.state !== 'open') return;
      await live.connected.session.send({ kind: 'text', id: m.messageId, sentAt: m.sentAt, body: m.body });
      if ((await stores.messages.updateState(contactId, m.messageId, 'sent')) === 'updated') {
        emitter.emit('messages', contactId);
      }
    }
  };

  const receiveText = async (contactId: string, live: Live, r: TextRecord): Promise<void> => {
    const added = await stores.messages.add({
      contactId,
      messageId: r.id,
      direction: 'in',
      body: r.body,
      sentAt: r.sentAt,
      receivedAt: now(),
      state: 'delivered',
    });
    if (added === 'added') emitter.emit('messages', contactId);
    // Stored (or already stored): now it may be acknowledged.
    if (live.state === 'open') await live.connected.session.send({ kind: 'ack', ids: [r.id] });
  };

  const receive = async (contactId: string, live: Live, r: AppRecord): Promise<void> => {
    const contact = await mustGet(contactId);
    if (contact.pendingKey) {
      live.held.push(r);
      return;
    }
    if (r.kind === 'text') {
      await receiveText(contactId, live, r);
      return;
    }
    let changed = false;
    for (const id of r.ids) {
      if ((await stores.messages.updateState(contactId, id, 'delivered')) === 'updated') changed = true;
    }
    if (changed) emitter.emit('messages', contactId);
  };

  const attach = (contactId: string, connected: Connected): Live => {
    const previous = lives.get(contactId);
    if (previous) {
      for (const u of previous.unsubscribe) u();
      previous.inspector.dispose();
      void previous.connected.session.close('replaced by a newer connection');
    }
    // Created first, so that it is the session's first `frame` listener and gets the queued
    // handshake frames too.
    const inspector = createInspector({
      session: connected.session,
      transport: connected.transport,
      peer: connected.peer,
    });
    const live: Live = { connected, inspector, state: 'open', held: [], unsubscribe: [] };
    lives.set(contactId, live);
    const { session } = connected;
    live.unsubscribe.push(
      session.on('record', (r) => {
        serial(contactId, async () => receive(contactId, live, r)).catch(report);
      }),
      session.on('error', (e) => {
        serial(contactId, async () => log(contactId, frameEventKind(e), e.message)).catch(report);
      }),
      session.on('close', (info: SessionClose) => {
        live.state = 'closed';
        live.closeReason = info.message;
        emitter.emit('connection', contactId);
        if (info.code === 'TOO_MANY_ERRORS') {
          serial(contactId, async () => log(contactId, 'session-closed', info.message)).catch(report);
        }
      }),
    );
    emitter.emit('connection', contactId);
    return live;
  };

  /** Loaded with the first session (it brings the signaling cipher), not with the page. */
  const pairSecret = async (theirKey: Uint8Array) =>
    (await import('../protocol/rendezvous')).rendezvousPair(identity.keyPair, theirKey);

  const contactFor = async (
    connected: Connected,
    method: PairingMethod,
  ): Promise<{ contact: Contact; outcome: AdoptOutcome; log: [SecurityEventKind, string][] }> => {
    const { peer } = connected;
    const at = now();
    const known = await stores.contacts.byKey(peer.staticKey);
    if (known) {
      const contact: Contact = {
        ...known,
        name: peer.displayName || known.name,
        lastSeen: at,
        rendezvous: known.rendezvous ?? (await pairSecret(peer.staticKey)),
      };
      const entries: [SecurityEventKind, string][] = [];
      if (method === 'scanned-invite' && connected.keyProvenByInvite && !known.verified) {
        entries.push(['verified-by-scan', 'Verified: the invite you scanned named exactly this key.']);
        return { contact: { ...contact, verified: true }, outcome: 'known-contact', log: entries };
      }
      return { contact, outcome: 'known-contact', log: entries };
    }
    const sameUser = (await stores.contacts.list()).find((c) => constantTimeEqual(c.userId, peer.userId));
    if (sameUser?.pendingKey && constantTimeEqual(sameUser.pendingKey, peer.staticKey)) {
      // The same new key again, still waiting for the user's decision: nothing new to log.
      return { contact: { ...sameUser, lastSeen: at }, outcome: 'key-changed', log: [] };
    }
    if (sameUser) {
      const entries: [SecurityEventKind, string][] = [
        [
          'key-changed',
          `${sameUser.name}'s identity key changed. This happens when they reinstall or reset the app — or when someone sits in the middle. Compare safety numbers again.`,
        ],
      ];
      if (sameUser.verified) {
        entries.push(['verification-cleared', 'No longer verified, because the identity key changed.']);
      }
      return {
        contact: {
          ...sameUser,
          verified: false,
          pendingKey: Uint8Array.from(peer.staticKey),
          name: peer.displayName || sameUser.name,
          lastSeen: at,
        },
        outcome: 'key-changed',
        log: entries,
      };
    }
    const proven = method === 'scanned-invite' && connected.keyProvenByInvite;
    const contact: Contact = {
      id: newContactId(),
      identityKey: Uint8Array.from(peer.staticKey),
      userId: Uint8Array.from(peer.userId),
      name: peer.displayName,
      verified: proven,
      firstSeen: at,
      lastSeen: at,
      // Kept for good: the pair meets again in rooms derived from it, even after a key change.
      rendezvous: await pairSecret(peer.staticKey),
    };
    const entries: [SecurityEventKind, string][] = [['paired', PAIRED_DETAIL[method]]];
    if (proven)
      entries.push(['verified-by-scan', 'Verified: the invite you scanned named exactly this key.']);
    return { contact, outcome: 'new-contact', log: entries };
  };

  const messenger: Messenger = {
    get identity() {
      return identity;
    },
    contacts: async () => stores.contacts.list(),
    contact: async (id) => stores.contacts.get(id),
    history: async (id) => stores.messages.list(id),
    securityLog: async (id) => stores.events.list(id),
    live(contactId) {
      const l = lives.get(contactId);
      if (!l) return undefined;
      return {
        connected: l.connected,
        inspector: l.inspector,
        state: l.state,
        ...(l.closeReason === undefined ? {} : { closeReason: l.closeReason }),
      };
    },

    async adopt(connected, method) {
      const found = await contactFor(connected, method);
      await stores.contacts.put(found.contact);
      const id = found.contact.id;
      return serial(id, async () => {
        for (const [kind, detail] of found.log) await log(id, kind, detail);
        emitter.emit('contacts');
        attach(id, connected);
        if (found.outcome !== 'key-changed') await flushOutbox(id);
        return { contact: found.contact, outcome: found.outcome };
      });
    },

    async send(contactId, body) {
      if (body.trim() === '') throw new AppError('EMPTY_MESSAGE', 'Write something to send.');
      if (new TextEncoder().encode(body).length > MAX_TEXT_BODY_BYTES) {
        throw new AppError(
          'MESSAGE_TOO_LONG',
          `This message is too long: at most ${MAX_TEXT_BODY_BYTES / 1024} KiB of text fits in one message.`,
        );
      }
      return serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (contact.pendingKey) {
          throw new AppError(
            'KEY_CHANGE_PENDING',
            `${contact.name}'s identity key changed. Accept or refuse the new key before sending.`,
          );
        }
        const message: StoredMessage = {
          contactId,
          messageId: randomBytes(MESSAGE_ID_LENGTH),
          direction: 'out',
          body,
          sentAt: await nextSentAt(contactId),
          state: 'queued',
        };
        await stores.messages.add(message);
        emitter.emit('messages', contactId);
        const live = lives.get(contactId);
        if (live?.state === 'open') {
          try {
            await live.connected.session.send({
              kind: 'text',
              id: message.messageId,
              sentAt: message.sentAt,
              body,
            });
            await stores.messages.updateState(contactId, message.messageId, 'sent');
            emitter.emit('messages', contactId);
            return { ...message, state: 'sent' as const };
          } catch {
            // The session ended under us: the message waits, queued, for the next one.
          }
        }
        return message;
      });
    },

    async acceptKeyChange(contactId) {
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (!contact.pendingKey) return;
        await stores.contacts.put({
          ...withoutPendingKey(contact),
          identityKey: contact.pendingKey,
          verified: false,
        });
        await log(
          contactId,
          'key-change-accepted',
          'You accepted the new identity key. Compare safety numbers to verify it.',
        );
        emitter.emit('contacts');
        const live = lives.get(contactId);
        if (live) {
          const held = live.held.splice(0);
          for (const r of held) await receive(contactId, live, r);
        }
      });
      await serial(contactId, async () => flushOutbox(contactId));
    },

    async refuseKeyChange(contactId) {
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (!contact.pendingKey) return;
        await stores.contacts.put(withoutPendingKey(contact));
        emitter.emit('contacts');
        const live = lives.get(contactId);
        if (live) {
          live.held = [];
          await live.connected.session.close('identity key refused');
        }
      });
    },

    async safetyNumber(contactId) {
      const contact = await mustGet(contactId);
      const me = { id: identity.userId, key: identityKeyBytes(identity.keyPair.publicKey) };
      const them = { id: contact.userId, key: identityKeyBytes(contact.identityKey) };
      const digits = await safetyNumber(me, them);
      const scannable = await scannableFingerprint(SCANNABLE_FINGERPRINT_VERSION, me, them);
      return { digits, scannable };
    },

    async verifyByScan(contactId, scanned) {
      const { scannable } = await messenger.safetyNumber(contactId);
      const match = compareScannable(scannable, scanned);
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (contact.pendingKey) {
          throw new AppError('KEY_CHANGE_PENDING', 'Accept or refuse the new identity key first.');
        }
        if (match) {
          await stores.contacts.put({ ...contact, verified: true });
          await log(contactId, 'verified-by-scan', 'Verified: their safety-number code matched yours.');
          emitter.emit('contacts');
        } else {
          await log(
            contactId,
            'verification-failed',
            'The scanned safety-number code did not match. This is not the person you paired with, or someone sits in the middle.',
          );
        }
      });
      return match ? 'verified' : 'mismatch';
    },

    async markVerified(contactId) {
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (contact.pendingKey) {
          throw new AppError('KEY_CHANGE_PENDING', 'Accept or refuse the new identity key first.');
        }
        await stores.contacts.put({ ...contact, verified: true });
        await log(
          contactId,
          'verified-by-comparison',
          'Verified: you confirmed that the safety numbers match.',
        );
        emitter.emit('contacts');
      });
    },

    async clearVerified(contactId) {
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (!contact.verified) return;
        await stores.contacts.put({ ...contact, verified: false });
        await log(contactId, 'verification-cleared', 'You removed the verified mark.');
        emitter.emit('contacts');
      });
    },

    async rename(displayName) {
      if ((await stores.identity.rename(displayName)) === 'renamed') identity = { ...identity, displayName };
    },

    async disconnect(contactId) {
      await lives.get(contactId)?.connected.session.close('closed by the user');
    },

    on: (event, fn) => emitter.on(event, fn),

    dispose() {
      for (const live of lives.values()) {
        for (const u of live.unsubscribe) u();
        void live.connected.session.close('the app closed');
      }
      lives.clear();
      emitter.clear();
    },
  };
  return messenger;
}

/** True when `e` says a handshake failed as it would under interception. */
export function isInterception(e: unknown): boolean {
  return ProtocolError.is(e, 'POSSIBLE_INTERCEPTION') || ProtocolError.is(e, 'WRONG_PEER_KEY');
}

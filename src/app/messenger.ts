/**
 * The messenger: what happens between "a session is ready" and "the history on screen". It
 * composes the rules a person relies on, each in its own module:
 *
 * - trust.ts: which contact a session belongs to (a contact is its keys), key changes and the
 *   user's decisions about them;
 * - delivery.ts: the outbox, receiving, acks, held records for an undecided key;
 * - verification.ts: safety numbers and what marks a contact verified;
 * - names: a peer's announced name is a suggestion; the user keeps it or sets a local name
 *   (checked by names.ts, loaded when needed).
 * Every security-relevant event goes into the contact's log.
 *
 * No Solid, no DOM: the UI subscribes with `on(...)` and reads through the async getters.
 */
import { constantTimeEqual } from '../crypto/bytes';
import { ProtocolError } from '../protocol/errors';
import { createEmitter } from '../protocol/events';
import { MAX_TEXT_BODY_BYTES, type AppRecord } from '../protocol/records';
import type { SessionClose } from '../protocol/session';
import {
  type Contact,
  type SecurityEvent,
  type SecurityEventKind,
  type StoredIdentity,
  type StoredMessage,
  StoreError,
  type Stores,
} from '../store/types';
import type { Connected } from './connect';
import { HELD_OVERFLOW_DETAIL, createDelivery, type DeliveryLive, type Held } from './delivery';
import { AppError } from './errors';
import type { Inspector, createInspector } from './inspector';
import type { AdoptOutcome, Arrival } from './trust';
import {
  createPhotoMatches,
  type SafetyNumberView,
  type ScanResult,
  type ScanSource,
} from './verification-state';

export type { AdoptOutcome, Arrival, PairingMethod } from './trust';
export type { SafetyNumberView, ScanResult, ScanSource } from './verification-state';

export type LiveState = 'open' | 'closed';

export interface LiveConversation {
  readonly connected: Connected;
  /** Every frame of this session both ways, from the handshake on, for the protocol inspector. */
  readonly inspector: Inspector;
  readonly state: LiveState;
  /** Why the session ended, as our own sentence (never the peer's words), once it has. */
  readonly closeReason?: string;
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
  /**
   * Takes over a ready session: finds or makes its contact by its key (trust.ts) and starts
   * delivering. 'refused': a key the user refused for that contact; the session is closed.
   */
  adopt(connected: Connected, arrival: Arrival): Promise<{ contact: Contact; outcome: AdoptOutcome }>;
  /** Stores the message, then sends it if the contact is connected. */
  send(contactId: string, body: string): Promise<StoredMessage>;
  /** Pins the key the contact presented (the pair secret rotates); the verified mark is cleared. */
  acceptKeyChange(contactId: string): Promise<void>;
  /** Refuses the new key: its session closes, the old key stays pinned and verified as it was. */
  refuseKeyChange(contactId: string): Promise<void>;
  safetyNumber(contactId: string): Promise<SafetyNumberView>;
  /** Compares their scanned code with ours (verification.ts says what a match from a picture means). */
  verifyByScan(contactId: string, scanned: Uint8Array, source: ScanSource): Promise<ScanResult>;
  /** After 'matched-photo': the user says they got the picture in person. */
  confirmPhotoInPerson(contactId: string): Promise<void>;
  /** The user's explicit "the numbers match". */
  markVerified(contactId: string): Promise<void>;
  clearVerified(contactId: string): Promise<void>;
  /** Names the contact for this device (checked by names.ts; refused with a sentence). */
  setLocalName(contactId: string, name: string): Promise<void>;
  /** Keeps the name the contact announced as the one shown (refused if it is not a clean name). */
  keepAnnouncedName(contactId: string): Promise<void>;
  /** Changes this device's own display name (checked as a local name). */
  rename(displayName: string): Promise<void>;
  /** Stops reconnecting to the contact until `resumeReconnect`, and logs why. */
  pauseReconnect(contactId: string, reason: string): Promise<void>;
  resumeReconnect(contactId: string): Promise<void>;
  disconnect(contactId: string): Promise<void>;
  on<K extends keyof MessengerEvents>(event: K, fn: MessengerEvents[K]): () => void;
  dispose(): void;
}

export interface MessengerDeps {
  stores: Stores;
  identity: StoredIdentity;
  now?: () => number;
}

interface Live extends DeliveryLive {
  connected: Connected;
  inspector: Inspector;
  state: LiveState;
  closeReason?: string;
  /** Records that arrived while a key change was pending; handled once it is accepted. */
  held: Held;
  unsubscribe: (() => void)[];
}

function frameEventKind(e: ProtocolError): SecurityEventKind {
  if (e.code === 'BAD_MAC') return 'mac-failed';
  if (e.code === 'DECRYPT_FAILED') return 'decrypt-failed';
  return 'frame-refused';
}

const sameKey = constantTimeEqual;

/** names.ts carries Unicode's confusables data (28 KB gzip): loaded when a name is checked. */
const names = async () => import('./names');
/** Loaded with the first session or scan, not with the page (the conversation list shows first). */
const trust = async () => import('./trust');
const verification = async () => import('./verification');

const quoted = (visible: string): string => `“${visible}”`;

export function createMessenger(deps: MessengerDeps): Messenger {
  const { stores } = deps;
  const now = deps.now ?? Date.now;
  let identity = deps.identity;
  const emitter = createEmitter<MessengerEvents>();
  const lives = new Map<string, Live>();
  const photoMatches = createPhotoMatches(now);
  /** One chain per contact so that read-modify-write of a contact never interleaves. */
  const chains = new Map<string, Promise<unknown>>();
  const trustDeps = {
    stores,
    now,
    get identity() {
      return identity;
    },
  };
  const delivery = createDelivery({ stores, now, changed: (id) => emitter.emit('messages', id) });

  const serial = async <T>(contactId: string, task: () => Promise<T>): Promise<T> => {
    const run = (chains.get(contactId) ?? Promise.resolve()).then(task);
    chains.set(
      contactId,
      run.catch(() => undefined),
    );
    return run;
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

  const put = async (contact: Contact): Promise<void> => {
    try {
      await stores.contacts.put(contact);
    } catch (e) {
      if (StoreError.is(e, 'CONFLICT')) {
        throw new AppError('CONFLICT', 'Another contact on this device already has this identity key.', {
          cause: e,
        });
      }
      throw e;
    }
    emitter.emit('contacts');
  };

  /** Whether this session speaks for the key pinned now, with no decision waiting. */
  const trusted = (contact: Contact, live: Live): boolean =>
    !contact.pendingKey && sameKey(live.connected.peer.staticKey, contact.identityKey);

  const receive = async (contactId: string, live: Live, r: AppRecord): Promise<void> => {
    const contact = await mustGet(contactId);
    if (trusted(contact, live)) return delivery.receive(contactId, live, r);
    if (delivery.hold(live.held, r)) return;
    live.held = { records: [], bytes: 0 };
    await log(contactId, 'session-closed', HELD_OVERFLOW_DETAIL);
    await live.connected.session.close('too much held for an undecided key');
  };

  const attach = (contactId: string, connected: Connected, inspect: typeof createInspector): Live => {
    const previous = lives.get(contactId);
    if (previous) {
      for (const u of previous.unsubscribe) u();
      previous.inspector.dispose();
      void previous.connected.session.close('replaced by a newer connection');
    }
    // Created first, so that it is the session's first `frame` listener and gets the queued
    // handshake frames too.
    const inspector = inspect({
      session: connected.session,
      transport: connected.transport,
      peer: connected.peer,
    });
    const live: Live = {
      connected,
      session: connected.session,
      open: () => live.state === 'open',
      inspector,
      state: 'open',
      held: { records: [], bytes: 0 },
      unsubscribe: [],
    };
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

  const flush = async (contactId: string): Promise<void> => {
    const live = lives.get(contactId);
    const contact = await stores.contacts.get(contactId);
    if (live && contact && trusted(contact, live)) await delivery.flushOutbox(contactId, live);
  };

  const renameDetail = async ([before, after]: readonly [string, string], kept?: string): Promise<string> => {
    const { checkName } = await names();
    const shown = kept === undefined ? 'Keep the new name or set your own.' : 'The name you set stays.';
    return `They now call themselves ${quoted(checkName(after).visible)} (before: ${quoted(checkName(before).visible)}). ${shown}`;
  };

  const checkedName = async (name: string): Promise<string> => {
    const problem = (await names()).localNameProblem(name);
    if (problem !== undefined) throw new AppError('BAD_NAME', `This name cannot be used. ${problem}`);
    return name;
  };

  const withVerifiable = async (contactId: string, task: (c: Contact) => Promise<void>): Promise<void> =>
    serial(contactId, async () => {
      const contact = await mustGet(contactId);
      if (contact.pendingKey) {
        throw new AppError('KEY_CHANGE_PENDING', 'Accept or refuse the new identity key first.');
      }
      await task(contact);
    });

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

    async adopt(connected, arrival) {
      const decision = await (
        await trust()
      ).decideArrival(trustDeps, connected.peer, connected.keyProvenByInvite, arrival);
      const id = decision.contactId;
      // Loaded with the first session (it brings the SDP and frame parsers), not with the page; and
      // before the contact is stored, so that the session is attached as soon as the list shows it.
      const { createInspector } = await import('./inspector');
      return serial(id, async () => {
        if (decision.contact) await put(decision.contact);
        const contact = decision.contact ?? (await mustGet(id));
        for (const [kind, detail] of decision.log) await log(id, kind, detail);
        if (decision.renamed)
          await log(id, 'name-announced', await renameDetail(decision.renamed, contact.localName));
        const current = lives.get(id);
        const realOneOpen =
          current?.state === 'open' && sameKey(current.connected.peer.staticKey, contact.identityKey);
        if (decision.outcome === 'refused' || (decision.outcome === 'key-changed' && realOneOpen)) {
          // Never displaces the session of the pinned key; a refused key is not heard again.
          await connected.session.close(
            decision.outcome === 'refused' ? 'identity key refused' : 'key change pending',
          );
          return { contact, outcome: decision.outcome };
        }
        attach(id, connected, createInspector);
        if (decision.outcome !== 'key-changed') await flush(id);
        return { contact, outcome: decision.outcome };
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
            'This contact’s identity key changed. Accept or refuse the new key before sending.',
          );
        }
        const live = lives.get(contactId);
        return delivery.send(contactId, body, live && trusted(contact, live) ? live : undefined);
      });
    },

    async acceptKeyChange(contactId) {
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
        const live = lives.get(contactId);
        if (live) {
          const held = live.held.records;
          live.held = { records: [], bytes: 0 };
          for (const r of held) await receive(contactId, live, r);
        }
      });
      await serial(contactId, async () => flush(contactId));
    },

    async refuseKeyChange(contactId) {
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
        const live = lives.get(contactId);
        if (live && sameKey(live.connected.peer.staticKey, pending.identityKey)) {
          live.held = { records: [], bytes: 0 };
          await live.connected.session.close('identity key refused');
        }
      });
    },

    async safetyNumber(contactId) {
      return (await verification()).safetyNumberOf(identity, await mustGet(contactId));
    },

    async verifyByScan(contactId, scanned, source) {
      let result: ScanResult = 'mismatch';
      const { SCAN_DETAIL, judgeScan } = await verification();
      await withVerifiable(contactId, async (contact) => {
        result = await judgeScan(identity, contact, scanned, source);
        if (result === 'verified') {
          await put({ ...contact, verified: true });
          await log(contactId, 'verified-by-scan', SCAN_DETAIL.camera);
        } else if (result === 'matched-photo') {
          photoMatches.add(contact);
          await log(contactId, 'photo-matched', SCAN_DETAIL.photo);
        } else {
          await log(contactId, 'verification-failed', SCAN_DETAIL.mismatch);
        }
      });
      return result;
    },

    async confirmPhotoInPerson(contactId) {
      const { SCAN_DETAIL } = await verification();
      await withVerifiable(contactId, async (contact) => {
        if (!photoMatches.take(contact)) {
          throw new AppError(
            'NOTHING_TO_CONFIRM',
            'There is no matching picture to confirm (it is confirmed within 10 minutes of reading it). Read the code again.',
          );
        }
        await put({ ...contact, verified: true });
        await log(contactId, 'verified-by-photo', SCAN_DETAIL.confirmed);
      });
    },

    async markVerified(contactId) {
      const { SCAN_DETAIL } = await verification();
      await withVerifiable(contactId, async (contact) => {
        await put({ ...contact, verified: true });
        await log(contactId, 'verified-by-comparison', SCAN_DETAIL.compared);
      });
    },

    async clearVerified(contactId) {
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (!contact.verified) return;
        await put({ ...contact, verified: false });
        await log(contactId, 'verification-cleared', 'You removed the verified mark.');
      });
    },

    async setLocalName(contactId, name) {
      const checked = await checkedName(name);
      const { checkName } = await names();
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (contact.localName === checked) return;
        await put({ ...contact, localName: checked });
        await log(contactId, 'name-set', `You named this contact ${quoted(checkName(checked).visible)}.`);
      });
    },

    async keepAnnouncedName(contactId) {
      const contact = await mustGet(contactId);
      const problem = (await names()).localNameProblem(contact.announcedName);
      if (problem !== undefined) {
        throw new AppError(
          'BAD_NAME',
          `The name they announced cannot be kept as it is. ${problem} Set a name of your own instead.`,
        );
      }
      await messenger.setLocalName(contactId, contact.announcedName);
    },

    async rename(displayName) {
      const checked = await checkedName(displayName);
      if ((await stores.identity.rename(checked)) === 'renamed')
        identity = { ...identity, displayName: checked };
    },

    async pauseReconnect(contactId, reason) {
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (contact.reconnectPaused) return;
        await put({ ...contact, reconnectPaused: { at: now(), reason } });
        await log(
          contactId,
          'possible-interception',
          `${reason} Reconnecting is paused until you try again.`,
        );
      });
    },

    async resumeReconnect(contactId) {
      await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (!contact.reconnectPaused) return;
        const { reconnectPaused: _, ...rest } = contact;
        await put(rest);
        await log(contactId, 'reconnect-resumed', 'You chose to try connecting again.');
      });
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

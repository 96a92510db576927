/**
 * The messenger: what happens between "a session is ready" and "the history on screen". It
 * composes the rules a person relies on, each in its own module:
 *
 * - trust.ts: which contact a session belongs to (a contact is its keys), key changes and the
 *   user's decisions about them;
 * - conversation.ts: the contact's Double Ratchet, through which every record passes;
 * - delivery.ts: the outbox, receiving, acks, held messages for an undecided key;
 * - verification.ts: safety numbers and what marks a contact verified;
 * - contact-names.ts: a peer's announced name is a suggestion; the user keeps it or sets a local
 *   name (checked by names.ts);
 * - offline-delivery.ts: messages through the worker's mailboxes when no session is open.
 * The last three load on first use, with the code they bring.
 * Every security-relevant event goes into the contact's log.
 *
 * No Solid, no DOM: the UI subscribes with `on(...)` and reads through the async getters.
 */
import { constantTimeEqual } from '../crypto/bytes';
import { ProtocolError } from '../protocol/errors';
import { createEmitter } from '../protocol/events';
import { MAX_TEXT_BODY_BYTES } from '../protocol/record-limits';
import type { AppRecord } from '../protocol/records';
import type { RatchetStart, SessionClose } from '../protocol/session';
import { type Contact, type SecurityEventKind, StoreError } from '../store/types';
import type { Connected } from './connect';
import type { Conversations, Opened, RatchetStartOutcome } from './conversation';
import { HELD_OVERFLOW_DETAIL, createDelivery, type DeliveryLive, type Held } from './delivery';
import { AppError } from './errors';
import { frameEventKind } from './security-events';
import type { Inspector, createInspector } from './inspector';
import type { ContactOps } from './contact-ops';
import type { OfflineDelivery } from './offline-delivery';
import type { LiveState, Messenger, MessengerDeps, MessengerEvents } from './messenger-api';

export type { AdoptOutcome, Arrival, PairingMethod } from './trust';
export type { SafetyNumberView, ScanResult, ScanSource } from './verification-state';

export type { LiveConversation, LiveState, Messenger, MessengerDeps, MessengerEvents } from './messenger-api';

interface Live extends DeliveryLive {
  connected: Connected;
  inspector: Inspector;
  state: LiveState;
  closeReason?: string;
  /** Messages that arrived while a key change was pending; read once it is accepted. */
  held: Held;
  /** This session's ratchet material, until the contact's ratchet is continued or started from it. */
  ratchetStart?: RatchetStart;
  unsubscribe: (() => void)[];
}

const RESTART_DETAIL =
  'The message keys of this conversation started afresh with this connection, because the other device did not have the earlier ones (a reinstall or lost storage does that). Messages not yet delivered are sent again.';

const sameKey = constantTimeEqual;

/** Loaded with the first session or scan, not with the page (the conversation list shows first). */
const trust = async () => import('./trust');

/** The first call's promise, shared by every later call (a module loaded once, on first use). */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return async () => (loaded ??= load());
}

export function createMessenger(deps: MessengerDeps): Messenger {
  const { stores } = deps;
  const now = deps.now ?? Date.now;
  let identity = deps.identity;
  const emitter = createEmitter<MessengerEvents>();
  const lives = new Map<string, Live>();
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
  /** The ratchet code (and the post-quantum code it brings) loads with the first session. */
  let loadedConversations: Conversations | undefined;
  let conversationsLoading: Promise<Conversations> | undefined;
  const conversations = async (): Promise<Conversations> =>
    (conversationsLoading ??= import('./conversation').then((m) => {
      loadedConversations = m.createConversations({ stores, now });
      return loadedConversations;
    }));

  /** Offline delivery loads with its first use, and only when a worker is configured. */
  const mailbox = deps.mailbox;
  const offline: () => Promise<OfflineDelivery | undefined> = !mailbox
    ? async () => Promise.resolve(undefined)
    : once(async () => {
        const [m, client] = await Promise.all([import('./offline-delivery'), mailbox()]);
        return m.createOfflineDelivery({
          stores,
          now,
          client,
          conversations,
          serial,
          live: (contactId) => {
            const l = lives.get(contactId);
            return l?.state === 'open' ? l : undefined;
          },
          log,
          changed: (contactId) => emitter.emit('messages', contactId),
          ...(deps.pushSubscription ? { pushSubscription: deps.pushSubscription } : {}),
          rotation: async (contactId, opened) =>
            receiveRotation(contactId, opened, async () =>
              lives.get(contactId)?.connected.session.close('the contact replaced its keys'),
            ),
        });
      });

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

  /** A mailbox request that failed: the worker unreachable or refusing; messages wait here. */
  const mailboxTrouble = (e: unknown): void => {
    if (e instanceof Error && (e.name === 'MailboxError' || e.name === 'MailboxUnreachableError')) return;
    report(e);
  };

  const put = async (contact: Contact, quiet = false): Promise<void> => {
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
    if (!quiet) emitter.emit('contacts');
  };

  /** Whether this session speaks for the key pinned now, with no decision waiting. */
  const trusted = (contact: Contact, live: Live): boolean =>
    !contact.pendingKey && sameKey(live.connected.peer.staticKey, contact.identityKey);

  /** Continues or starts the contact's ratchet from the live session's material (once). */
  const startRatchet = async (contactId: string, live: Live): Promise<void> => {
    const start = live.ratchetStart;
    if (!start) return;
    delete live.ratchetStart;
    const outcome: RatchetStartOutcome = await (
      await conversations()
    ).start(contactId, start, identity.keyPair.publicKey, live.connected.peer.staticKey);
    if (outcome === 'restarted') await log(contactId, 'ratchet-restarted', RESTART_DETAIL);
  };

  /** A key-rotation record, read live or from a mailbox: committed, then the rotation use case. */
  const receiveRotation = async (
    contactId: string,
    opened: Opened,
    closeSession: () => Promise<void>,
  ): Promise<void> => {
    const r = opened.record;
    if (r.kind !== 'key-rotation') return;
    await opened.commit({});
    await (await rotations()).receivedRotation(contactId, r.rotation, closeSession);
  };

  const handle = async (contactId: string, live: Live, opened: Opened): Promise<void> => {
    const r = opened.record;
    if (r.kind === 'key-rotation') {
      await receiveRotation(contactId, opened, async () =>
        live.connected.session.close('the contact replaced its keys'),
      );
      return;
    }
    if (r.kind === 'mailbox') {
      const o = await offline();
      if (o) await o.receivedAnnouncement(contactId, { ...opened, record: r });
      else await opened.commit({});
      return;
    }
    await delivery.receive(contactId, live, { ...opened, record: r });
  };

  const receive = async (contactId: string, live: Live, message: Uint8Array): Promise<void> => {
    const contact = await mustGet(contactId);
    if (!trusted(contact, live)) {
      if (delivery.hold(live.held, message)) return;
      live.held = { messages: [], bytes: 0 };
      await log(contactId, 'session-closed', HELD_OVERFLOW_DETAIL);
      await live.connected.session.close('too much held for an undecided key');
      return;
    }
    let opened: Opened;
    try {
      opened = await (await conversations()).open(contactId, message);
    } catch (e) {
      if (!ProtocolError.is(e)) throw e;
      // Refused: nothing changed. The sender keeps an unacknowledged message and sends it again.
      await log(contactId, 'ratchet-refused', e.message);
      return;
    }
    await handle(contactId, live, opened);
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
      ratchet: () => loadedConversations?.view(contactId),
    });
    const start = connected.session.takeRatchetStart();
    const live: Live = {
      connected,
      open: () => live.state === 'open',
      // The worker relay is known from the transport; a TURN-relayed DataChannel from its stats
      // (the route shown in the chat's header reads them).
      route: connected.transport.info.relayRoomId ? 'relayed' : 'direct',
      send: async (record: AppRecord, sent?: readonly Uint8Array[]) => {
        const bytes = await (await conversations()).seal(contactId, record, sent, live.route);
        await connected.session.send(bytes);
      },
      inspector,
      state: 'open',
      held: { messages: [], bytes: 0 },
      ...(start ? { ratchetStart: start } : {}),
      unsubscribe: [],
    };
    lives.set(contactId, live);
    const { session } = connected;
    live.unsubscribe.push(
      session.on('message', (m) => {
        serial(contactId, async () => receive(contactId, live, m)).catch(report);
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

  /** What the contact use cases of other modules (names, verification) work with. */
  const ops: ContactOps = {
    serial,
    mustGet,
    put,
    log,
    contacts: async () => stores.contacts.list(),
    get identity() {
      return identity;
    },
  };
  /** Loaded on first use: names.ts brings Unicode's confusables data, verification the fingerprints. */
  const naming = once(async () => (await import('./contact-names')).createNameOps(ops));
  const verifying = once(async () => (await import('./verification')).createVerificationOps(ops, now));
  const rotations = once(async () => (await import('./rotation')).createRotationOps(ops));

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
        // The list hears of the contact once its session is attached (below), so that the reconnector
        // does not start a second session for a contact that has one.
        if (decision.contact) await put(decision.contact, true);
        const contact = decision.contact ?? (await mustGet(id));
        for (const [kind, detail] of decision.log) await log(id, kind, detail);
        if (decision.renamed) {
          await log(id, 'name-announced', (await naming()).renameDetail(decision.renamed, contact.localName));
        }
        const current = lives.get(id);
        const realOneOpen =
          current?.state === 'open' && sameKey(current.connected.peer.staticKey, contact.identityKey);
        if (decision.outcome === 'refused' || (decision.outcome === 'key-changed' && realOneOpen)) {
          // Never displaces the session of the pinned key; a refused key is not heard again.
          await connected.session.close(
            decision.outcome === 'refused' ? 'identity key refused' : 'key change pending',
          );
          if (decision.contact) emitter.emit('contacts');
          return { contact, outcome: decision.outcome };
        }
        const live = attach(id, connected, createInspector);
        if (decision.contact) emitter.emit('contacts');
        if (decision.outcome !== 'key-changed') {
          await startRatchet(id, live);
          await flush(id);
          await (await offline())?.announce(id, live).catch(mailboxTrouble);
        }
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
      const stored = await serial(contactId, async () => {
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
      if (stored.state === 'queued') {
        // No session took it: the contact's mailbox may (marked 'sent' by mailbox when it did).
        void offline()
          .then(async (o) => o?.depositOutbox(contactId))
          .catch(mailboxTrouble);
      }
      return stored;
    },

    async setWakeUps(subscription) {
      const o = await offline();
      if (!o) throw new AppError('NO_WORKER', 'Notifications need a signaling server; none is set.');
      await o.setWakeUps(subscription);
    },

    async contactForMailbox(mailboxId) {
      const contacts = await stores.contacts.list();
      return contacts.find((c) => c.mailboxes?.own.some((m) => m.id === mailboxId))?.id;
    },

    async checkMailboxes() {
      const o = await offline();
      if (!o) return undefined;
      const report = await o.fetchAll();
      await o.depositAll();
      return report;
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
        if (live && sameKey(live.connected.peer.staticKey, contact.pendingKey.identityKey)) {
          await startRatchet(contactId, live);
          const held = live.held.messages;
          live.held = { messages: [], bytes: 0 };
          for (const m of held) await receive(contactId, live, m);
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
          live.held = { messages: [], bytes: 0 };
          await live.connected.session.close('identity key refused');
        }
      });
    },

    safetyNumber: async (contactId) => (await verifying()).safetyNumber(contactId),
    verifyByScan: async (contactId, scanned, source) =>
      (await verifying()).verifyByScan(contactId, scanned, source),
    confirmPhotoInPerson: async (contactId) => (await verifying()).confirmPhotoInPerson(contactId),
    markVerified: async (contactId) => (await verifying()).markVerified(contactId),
    clearVerified: async (contactId) => (await verifying()).clearVerified(contactId),
    setLocalName: async (contactId, name) => (await naming()).setLocalName(contactId, name),
    keepAnnouncedName: async (contactId) => (await naming()).keepAnnouncedName(contactId),

    async rename(displayName) {
      const checked = (await naming()).checkedName(displayName);
      if ((await stores.identity.rename(checked)) === 'renamed')
        identity = { ...identity, displayName: checked };
    },

    async rotateKeys() {
      identity = await stores.identity.rotateKeys();
      await (
        await rotations()
      ).announceOwnRotation(identity, (contact) => {
        const live = lives.get(contact.id);
        return live && { live, trusted: trusted(contact, live) };
      });
      emitter.emit('contacts');
    },

    ratchetId: async (contactId) => (await conversations()).id(contactId),
    ratchetView: (contactId) => loadedConversations?.view(contactId),

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

export { isInterception } from './security-events';

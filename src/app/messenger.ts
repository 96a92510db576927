/**
 * The messenger: what happens between "a session is ready" and "the history on screen". It
 * composes the rules a person relies on, each in its own module:
 *
 * - trust.ts: which contact a session belongs to (a contact is its keys), key changes and the
 *   user's decisions about them;
 * - adopt.ts: taking over a ready session, with trust.ts's decision;
 * - conversation.ts: the contact's Double Ratchet, through which every record passes;
 * - live-sessions.ts: each contact's live session, what it carries read through the ratchet, or
 *   held while a key change waits;
 * - delivery.ts: the outbox, receiving, acks, held messages for an undecided key;
 * - key-decisions.ts: the user's decision about a contact's new key;
 * - verification.ts: safety numbers and what marks a contact verified;
 * - contact-names.ts: a peer's announced name is a suggestion; the user keeps it or sets a local
 *   name (checked by names.ts);
 * - offline-delivery.ts: messages through the worker's mailboxes when no session is open;
 * - usernames.ts: a handle in the worker's directory, contact requests by username.
 * Each loads on first use, with the code it brings, not with the page (the conversation list
 * shows first): live sessions, delivery and the typing state (messaging.ts) with the first session
 * or message; trust and the ratchets with the first session; the others with their first call.
 * Every security-relevant event goes into the contact's log.
 *
 * No Solid, no DOM: the UI subscribes with `on(...)` and reads through the async getters.
 */
import { createEmitter } from '../protocol/events';
import { MAX_TEXT_BODY_BYTES } from '../protocol/record-limits';
import type { Contact } from '../store/contact-types';
import type { SecurityEventKind } from '../store/security-event-types';
import { StoreError } from '../store/store-error';
import type { Conversations, Opened } from './conversation';
import { createConversationList } from './conversation-list';
import { featureCalls } from './feature-calls';
import { fileCalls, forgettingFiles } from './transfers/file-calls';
import { DEFAULT_FEATURE_SETTINGS } from './feature-settings';
import { AppError } from './errors';
import { usernameCalls } from './username-calls';
import type { ContactOps } from './contact-ops';
import type { Messaging } from './messaging';
import type { OfflineDelivery } from './offline-delivery';
import type { Messenger, MessengerDeps, MessengerEvents } from './messenger-api';

export type { AdoptOutcome, Arrival, PairingMethod } from './trust';
export type { SafetyNumberView, ScanResult, ScanSource } from './verification-state';

export type { LiveConversation, LiveState, Messenger, MessengerDeps, MessengerEvents } from './messenger-api';

/** trust.ts for the key decisions (adopt.ts brings it too): loaded on first use, not with the page. */
const trust = async () => import('./trust');

/**
 * The first call's promise, shared by every later call (a module loaded once, on first use). A load
 * that fails (the code could not be fetched) is tried again on the next call.
 */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return async () =>
    (loaded ??= load().catch((e: unknown) => {
      loaded = undefined;
      throw e;
    }));
}

export function createMessenger(deps: MessengerDeps): Messenger {
  const { stores } = deps;
  const now = deps.now ?? Date.now;
  let identity = deps.identity;
  const emitter = createEmitter<MessengerEvents>();
  /** One chain per contact so that read-modify-write of a contact never interleaves. */
  const chains = new Map<string, Promise<unknown>>();
  const trustDeps = {
    stores,
    now,
    get identity() {
      return identity;
    },
  };
  const settings = deps.settings ?? (() => DEFAULT_FEATURE_SETTINGS);
  /** Where files are kept: loaded with the first file (the OPFS code is not part of the page). */
  const fileStorage = once(
    async () => deps.fileStorage?.() ?? (await import('../store/opfs-file-storage')).createOpfsFileStorage(),
  );
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
            const l = loaded?.sessions.get(contactId);
            return l?.state === 'open' ? l : undefined;
          },
          log,
          changed: (contactId) => emitter.emit('messages', contactId),
          ...(deps.pushSubscription ? { pushSubscription: deps.pushSubscription } : {}),
          settings,
          rotation: async (contactId, opened) =>
            receiveRotation(contactId, opened, async () =>
              loaded?.sessions.get(contactId)?.connected.session.close('the contact replaced its keys'),
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

  /**
   * The live sessions, delivery and the typing state, loaded with the first session or message;
   * `loaded` once they are (until then no contact has a session).
   */
  let loaded: Messaging | undefined;
  const messaging = once(
    async () =>
      (loaded ??= (await import('./messaging')).createMessaging({
        stores,
        now,
        settings,
        changed: (id) => emitter.emit('messages', id),
        typing: (id, typing) => emitter.emit('typing', id, typing),
        conversations,
        loadedConversations: () => loadedConversations,
        identity: () => identity,
        serial,
        mustGet,
        log,
        report,
        offline,
        receiveRotation,
        connectionChanged: (contactId) => emitter.emit('connection', contactId),
        fileStorage,
        fileChanged: (contactId, messageId, file) => emitter.emit('file', contactId, messageId, file),
      })),
  );

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
  const keyDecisions = once(async () => {
    const [m, { sessions }] = await Promise.all([import('./key-decisions'), messaging()]);
    return m.createKeyDecisions({ serial, mustGet, put, log, sessions, trustDeps, trust });
  });
  const naming = once(async () => (await import('./contact-names')).createNameOps(ops));
  const verifying = once(async () => (await import('./verification')).createVerificationOps(ops, now));
  const rotations = once(async () => (await import('./rotation')).createRotationOps(ops));
  const requestsRead = (n: number) => emitter.emit('requests', n);
  const names = usernameCalls({ ...deps, ops, now, mailbox, requestsRead });
  /** Taking over a session: loaded with the first one, with trust.ts and the inspector. */
  const adoption = once(async () => {
    const [m, { sessions }] = await Promise.all([import('./adopt'), messaging()]);
    return m.createAdoption({
      serial,
      mustGet,
      log,
      put,
      sessions,
      trustDeps,
      contactsChanged: () => emitter.emit('contacts'),
      renameDetail: async (renamed, localName) => (await naming()).renameDetail(renamed, localName),
      offline,
      mailboxTrouble,
    });
  });

  const messenger: Messenger = {
    ...forgettingFiles(
      featureCalls(
        async () => {
          const { delivery, sessions } = await messaging();
          return {
            stores,
            now,
            delivery,
            settings,
            serial,
            mustGet,
            sessions,
            offline,
            mailboxTrouble,
            emitter,
          };
        },
        (contactId) => loaded?.peerTyping.typing(contactId) ?? false,
      ),
      stores,
      async () => (await messaging()).files(),
    ),
    ...createConversationList({ stores, now, mustGet, serial, emitter }),
    ...fileCalls({
      files: async () => (await messaging()).files(),
      mustGet,
      offline,
      mailboxTrouble,
      storageEstimate: async () => (await fileStorage()).estimate(),
      forgetFiles: async () => (await fileStorage()).destroy(),
    }),
    get identity() {
      return identity;
    },
    contacts: async () => stores.contacts.list(),
    contact: async (id) => stores.contacts.get(id),
    history: async (id) => stores.messages.list(id),
    securityLog: async (id) => stores.events.list(id),
    live: (contactId) => loaded?.sessions.view(contactId),

    adopt: async (connected, arrival) => (await adoption())(connected, arrival),

    async send(contactId, body) {
      if (body.trim() === '') throw new AppError('EMPTY_MESSAGE', 'Write something to send.');
      if (new TextEncoder().encode(body).length > MAX_TEXT_BODY_BYTES) {
        throw new AppError(
          'MESSAGE_TOO_LONG',
          `This message is too long: at most ${MAX_TEXT_BODY_BYTES / 1024} KiB of text fits in one message.`,
        );
      }
      const { sessions, delivery } = await messaging();
      const stored = await serial(contactId, async () => {
        const contact = await mustGet(contactId);
        if (contact.pendingKey) {
          throw new AppError(
            'KEY_CHANGE_PENDING',
            'This contact’s identity key changed. Accept or refuse the new key before sending.',
          );
        }
        const live = sessions.get(contactId);
        return delivery.send(contactId, body, live && sessions.trusted(contact, live) ? live : undefined);
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
      await names.wakeUps(subscription);
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
      void names.checkRequests().catch(mailboxTrouble);
      return report;
    },

    usernames: names.usernames,

    acceptKeyChange: async (contactId) => (await keyDecisions()).accept(contactId),
    refuseKeyChange: async (contactId) => (await keyDecisions()).refuse(contactId),

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
        const sessions = loaded?.sessions;
        const live = sessions?.get(contact.id);
        return sessions && live && { live, trusted: sessions.trusted(contact, live) };
      });
      emitter.emit('contacts');
      void names.keysReplaced().catch(report);
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
      await loaded?.sessions.get(contactId)?.connected.session.close('closed by the user');
    },

    on: (event, fn) => emitter.on(event, fn),

    dispose() {
      loaded?.peerTyping.dispose();
      loaded?.sessions.dispose();
      emitter.clear();
    },
  };
  return messenger;
}

export { isInterception } from './security-events';

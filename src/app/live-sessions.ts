/**
 * The messenger's live sessions, one a contact (messenger.ts composes them with trust, delivery
 * and the mailboxes): a ready session attached to its contact (a newer one replaces the older),
 * what it carries read through the contact's ratchet and handed to delivery, offline delivery or
 * key rotation, and held unread while a key change waits for the user's decision.
 *
 * Every session's inspector is created here, first, so that it sees the handshake frames too.
 */
import { constantTimeEqual } from '../crypto/bytes';
import { ProtocolError } from '../protocol/errors';
import type { AppRecord } from '../protocol/records';
import type { RatchetStart, SessionClose } from '../protocol/session';
import { routeOfTransport } from '../rtc/route-kind';
import type { Contact } from '../store/contact-types';
import type { StoredIdentity } from '../store/identity-types';
import type { MessageRoute } from '../store/message-types';
import type { SecurityEventKind } from '../store/security-event-types';
import type { Stores } from '../store/stores';
import { readsFileChunks } from './capabilities';
import type { Connected } from './connect';
import type { ContactOps } from './contact-ops';
import type { Conversations, Opened, RatchetStartOutcome } from './conversation';
import { HELD_OVERFLOW_DETAIL, type Delivery, type DeliveryLive, type Held } from './delivery';
import type { Inspector, createInspector } from './inspector';
import type { LiveConversation, LiveState } from './messenger-api';
import type { OfflineDelivery } from './offline-delivery';
import { frameEventKind } from './security-events';
import type { Transfers } from './transfers/transfers';

export interface Live extends DeliveryLive {
  /** Read again from the connection's stats while it is open (a DataChannel may go through TURN). */
  route: MessageRoute;
  connected: Connected;
  inspector: Inspector;
  state: LiveState;
  closeReason?: string;
  /**
   * Whether this session may carry file chunks and acks (it speaks for the pinned key and the peer
   * reads this version's chunks: `filesReady`).
   */
  carriesFiles: boolean;
  /** Messages that arrived while a key change was pending; read once it is accepted. */
  held: Held;
  /** This session's ratchet material, until the contact's ratchet is continued or started from it. */
  ratchetStart?: RatchetStart;
  unsubscribe: (() => void)[];
}

/** How often an open DataChannel's route is read again from its stats. */
export const ROUTE_REFRESH_MS = 5_000;

export interface LiveSessionsDeps {
  readonly stores: Stores;
  readonly delivery: Delivery;
  /** The contacts' ratchets; loading them brings the ratchet code. */
  readonly conversations: () => Promise<Conversations>;
  /** The ratchets if they are loaded already (the inspector's view never loads them). */
  readonly loadedConversations: () => Conversations | undefined;
  /** This device's identity now (replacing the keys changes it). */
  readonly identity: () => StoredIdentity;
  readonly serial: ContactOps['serial'];
  readonly mustGet: ContactOps['mustGet'];
  readonly log: (contactId: string, kind: SecurityEventKind, detail: string) => Promise<void>;
  /** A failure with nobody to tell but the console. */
  readonly report: (e: unknown) => void;
  readonly offline: () => Promise<OfflineDelivery | undefined>;
  /** A key-rotation record: committed, then the rotation use case. */
  readonly receiveRotation: (
    contactId: string,
    opened: Opened,
    closeSession: () => Promise<void>,
  ) => Promise<void>;
  /** The contact's live session changed (opened, closed). */
  readonly connectionChanged: (contactId: string) => void;
  /** File transfers (transfers/transfers.ts), loaded with the first file record or chunk. */
  readonly files?: () => Promise<Transfers>;
}

export interface LiveSessions {
  /** The contact's latest session, open or closed. */
  get(contactId: string): Live | undefined;
  /** The contact's latest session as the UI sees it. */
  view(contactId: string): LiveConversation | undefined;
  /** Whether this session speaks for the key pinned now, with no decision waiting. */
  trusted(contact: Contact, live: Live): boolean;
  /** Makes `connected` the contact's session, closing the one it replaces. */
  attach(contactId: string, connected: Connected, inspect: typeof createInspector): Live;
  /** Reads one ratchet message of the session (in the contact's chain), or holds it for a decision. */
  receive(contactId: string, live: Live, message: Uint8Array): Promise<void>;
  /** Continues or starts the contact's ratchet from the live session's material (once). */
  startRatchet(contactId: string, live: Live): Promise<void>;
  /** Sends the contact's outbox on its session, when one is open for the pinned key. */
  flush(contactId: string): Promise<void>;
  /**
   * The contact's session speaks for the pinned key: it may carry file chunks from now on, and the
   * transfers still moving continue on it. Not awaited inside the contact's serial chain.
   */
  filesReady(contactId: string): void;
  /** Closes every session (the app closes) and forgets them. */
  dispose(): void;
}

const RESTART_DETAIL =
  'The message keys of this conversation started afresh with this connection, because the other device did not have the earlier ones (a reinstall or lost storage does that). Messages not yet delivered are sent again.';

const sameKey = constantTimeEqual;

export function createLiveSessions(deps: LiveSessionsDeps): LiveSessions {
  const { stores, delivery, conversations, serial, mustGet, log, report } = deps;
  const lives = new Map<string, Live>();

  const trusted = (contact: Contact, live: Live): boolean =>
    !contact.pendingKey && sameKey(live.connected.peer.staticKey, contact.identityKey);

  const startRatchet = async (contactId: string, live: Live): Promise<void> => {
    const start = live.ratchetStart;
    if (!start) return;
    delete live.ratchetStart;
    const outcome: RatchetStartOutcome = await (
      await conversations()
    ).start(contactId, start, deps.identity().keyPair.publicKey, live.connected.peer.staticKey);
    if (outcome === 'restarted') await log(contactId, 'ratchet-restarted', RESTART_DETAIL);
  };

  const handle = async (contactId: string, live: Live, opened: Opened): Promise<void> => {
    const r = opened.record;
    if (r.kind === 'key-rotation') {
      await deps.receiveRotation(contactId, opened, async () =>
        live.connected.session.close('the contact replaced its keys'),
      );
      return;
    }
    if (r.kind === 'mailbox') {
      const o = await deps.offline();
      if (o) await o.receivedAnnouncement(contactId, { ...opened, record: r });
      else await opened.commit({});
      return;
    }
    await delivery.receive(contactId, live, { ...opened, record: r });
    // After the commit, and outside this contact's serial chain (the transfers send acks through it).
    const files = deps.files;
    if (!files) return;
    if (r.kind === 'file-chunk-ack' || r.kind === 'file-cancel') {
      void files()
        .then(async (t) => t.record(contactId, r))
        .catch(report);
    } else if (r.kind === 'file-offer') {
      void files()
        .then(async (t) => t.offered(contactId, r.id))
        .catch(report);
    }
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
      ratchet: () => deps.loadedConversations()?.view(contactId),
    });
    const start = connected.session.takeRatchetStart();
    const live: Live = {
      connected,
      open: () => live.state === 'open',
      // The worker relay is known from the transport; a TURN-relayed DataChannel from its stats (below).
      route: connected.transport.info.relayRoomId ? 'relayed' : 'direct',
      send: async (record: AppRecord, sent?: readonly Uint8Array[]) => {
        const bytes = await (await conversations()).seal(contactId, record, sent, live.route);
        await connected.session.send(bytes);
      },
      inspector,
      state: 'open',
      carriesFiles: false,
      held: { messages: [], bytes: 0 },
      ...(start ? { ratchetStart: start } : {}),
      unsubscribe: [],
    };
    lives.set(contactId, live);
    const { session } = connected;
    // A DataChannel through TURN is relayed too. That shows in its stats (the selected candidate
    // pair), read now and every ROUTE_REFRESH_MS while the session is open, as the chat header
    // reads them (ICE may move to another pair), so that messages are stored with the route they took.
    if (!connected.transport.info.relayRoomId) {
      const readRoute = (): void => {
        routeOfTransport(connected.transport).then(
          (kind) => {
            if (kind && live.state === 'open') live.route = kind === 'direct' ? 'direct' : 'relayed';
          },
          () => undefined,
        );
      };
      readRoute();
      const timer = setInterval(readRoute, ROUTE_REFRESH_MS);
      live.unsubscribe.push(
        () => clearInterval(timer),
        session.on('close', () => clearInterval(timer)),
      );
    }
    live.unsubscribe.push(
      session.on('message', (m) => {
        serial(contactId, async () => receive(contactId, live, m)).catch(report);
      }),
      session.on('chunk', (chunk) => {
        if (!live.carriesFiles || !deps.files) return;
        deps
          .files()
          .then((t) => t.chunk(contactId, chunk))
          .catch(report);
      }),
      session.on('error', (e) => {
        serial(contactId, async () => log(contactId, frameEventKind(e), e.message)).catch(report);
      }),
      session.on('close', (info: SessionClose) => {
        live.state = 'closed';
        live.closeReason = info.message;
        deps.connectionChanged(contactId);
        if (info.code === 'TOO_MANY_ERRORS') {
          serial(contactId, async () => log(contactId, 'session-closed', info.message)).catch(report);
        }
      }),
    );
    deps.connectionChanged(contactId);
    return live;
  };

  const flush = async (contactId: string): Promise<void> => {
    const live = lives.get(contactId);
    const contact = await stores.contacts.get(contactId);
    if (live && contact && trusted(contact, live)) await delivery.flushOutbox(contactId, live);
  };

  return {
    get: (contactId) => lives.get(contactId),
    view(contactId) {
      const l = lives.get(contactId);
      if (!l) return undefined;
      return {
        connected: l.connected,
        inspector: l.inspector,
        state: l.state,
        ...(l.closeReason === undefined ? {} : { closeReason: l.closeReason }),
      };
    },
    trusted,
    attach,
    receive,
    startRatchet,
    flush,
    filesReady(contactId) {
      const live = lives.get(contactId);
      if (!live || live.state !== 'open' || !deps.files) return;
      const files = deps.files;
      void stores.contacts
        .get(contactId)
        .then(async (contact) => {
          if (!contact || !trusted(contact, live)) return;
          // An app from before FILE_CHUNK frames were MAC-only cannot read them (capabilities.ts).
          if (!readsFileChunks(live.connected.peer.capabilities)) return;
          live.carriesFiles = true;
          await (await files()).resume(contactId);
        })
        .catch(report);
    },
    dispose() {
      for (const live of lives.values()) {
        for (const u of live.unsubscribe) u();
        void live.connected.session.close('the app closed');
      }
      lives.clear();
    },
  };
}

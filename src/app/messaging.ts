/**
 * What the messenger (messenger.ts) loads with the first session or the first message, not with
 * the page: the contacts' live sessions (live-sessions.ts), delivery over them (delivery.ts, with
 * record-effects.ts) and the contacts' typing state (typing.ts). The conversation list needs none
 * of it: until it is loaded there is no session, so no contact is live or typing.
 */
import type { SecurityEventKind } from '../store/security-event-types';
import type { Stores } from '../store/stores';
import { type Delivery, createDelivery } from './delivery';
import type { FeatureSettings } from './feature-settings';
import { type LiveSessions, type LiveSessionsDeps, createLiveSessions } from './live-sessions';
import { type PeerTyping, createPeerTyping } from './typing';
import type { FileStorage } from '../store/file-storage';
import type { StoredFile } from '../store/file-types';
import type { Transfers } from './transfers/transfers';

export interface Messaging {
  readonly sessions: LiveSessions;
  readonly delivery: Delivery;
  readonly peerTyping: PeerTyping;
  /** Files, photos and voice notes (transfers/transfers.ts), loaded with the first use. */
  readonly files: () => Promise<Transfers>;
}

export interface MessagingDeps extends Omit<LiveSessionsDeps, 'delivery' | 'files'> {
  /** Where files are kept on this device (file-storage.ts). */
  readonly fileStorage: () => Promise<FileStorage>;
  /** A file message's transfer moved. */
  readonly fileChanged: (contactId: string, messageId: Uint8Array, file: StoredFile) => void;
  readonly stores: Stores;
  readonly now: () => number;
  readonly settings: () => FeatureSettings;
  readonly log: (contactId: string, kind: SecurityEventKind, detail: string) => Promise<void>;
  /** The contact's history changed. */
  readonly changed: (contactId: string) => void;
  /** The contact started or stopped typing. */
  readonly typing: (contactId: string, typing: boolean) => void;
}

export function createMessaging(deps: MessagingDeps): Messaging {
  const { stores, now, settings, log, changed, typing, fileStorage, fileChanged, ...sessionDeps } = deps;
  const peerTyping = createPeerTyping(typing);
  const delivery = createDelivery({
    stores,
    now,
    settings,
    peerTyping: (id, on) => peerTyping.received(id, on),
    changed,
    log,
  });
  let transfers: Promise<Transfers> | undefined;
  const files = async (): Promise<Transfers> =>
    (transfers ??= Promise.all([import('./transfers/transfers'), import('./transfers/keep-awake')]).then(
      ([{ createTransfers }, { createKeepAwake }]) => {
        const awake = createKeepAwake();
        return createTransfers({
          stores,
          storage: fileStorage,
          delivery,
          live: (contactId) => {
            const live = sessions.get(contactId);
            return live?.carriesFiles && live.open() ? live : undefined;
          },
          serial: deps.serial,
          fileChanged: (contactId, messageId, file) => {
            awake.update(`${contactId} ${messageId.join()}`, file);
            fileChanged(contactId, messageId, file);
          },
          refused: (contactId, detail) => {
            void log(contactId, 'ratchet-refused', detail).catch(deps.report);
          },
          report: deps.report,
        });
      },
    ));
  const sessions = createLiveSessions({ ...sessionDeps, stores, log, delivery, files });
  return { sessions, delivery, peerTyping, files };
}

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

export interface Messaging {
  readonly sessions: LiveSessions;
  readonly delivery: Delivery;
  readonly peerTyping: PeerTyping;
}

export interface MessagingDeps extends Omit<LiveSessionsDeps, 'delivery'> {
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
  const { stores, now, settings, log, changed, typing, ...sessionDeps } = deps;
  const peerTyping = createPeerTyping(typing);
  const delivery = createDelivery({
    stores,
    now,
    settings,
    peerTyping: (id, on) => peerTyping.received(id, on),
    changed,
    log,
  });
  const sessions = createLiveSessions({ ...sessionDeps, stores, log, delivery });
  return { sessions, delivery, peerTyping };
}

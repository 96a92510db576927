/**
 * Where this browser keeps its push subscription while wake-ups are on (wake-ups.ts turns them on
 * and off): localStorage, read by the messenger when it makes a new mailbox. The subscription is no
 * secret from this origin: the push service and the signaling worker know it.
 */
import type { PushSubscriptionJson } from '../protocol/mailbox';

const STORAGE_KEY = 'secmsg.wakeUps';

/** The subscription stored when wake-ups are on. */
export function storedPushSubscription(
  storage: Pick<Storage, 'getItem'> = localStorage,
): PushSubscriptionJson | undefined {
  try {
    const text = storage.getItem(STORAGE_KEY);
    if (!text) return undefined;
    const value = JSON.parse(text) as Partial<PushSubscriptionJson>;
    if (
      typeof value.endpoint !== 'string' ||
      typeof value.keys?.p256dh !== 'string' ||
      typeof value.keys.auth !== 'string'
    ) {
      return undefined;
    }
    return { endpoint: value.endpoint, keys: { p256dh: value.keys.p256dh, auth: value.keys.auth } };
  } catch {
    return undefined;
  }
}

export function keepPushSubscription(subscription: PushSubscriptionJson): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(subscription));
}

export function forgetPushSubscription(storage: Pick<Storage, 'removeItem'> = localStorage): void {
  storage.removeItem(STORAGE_KEY);
}

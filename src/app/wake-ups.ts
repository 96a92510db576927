/**
 * Wake-ups (opt-in): the browser's push subscription, registered with every inbound mailbox, so
 * that a deposit makes the signaling worker send a Web Push and the service worker
 * (public/push-sw.js) shows "New message" while SecMsg is closed. The subscription is kept in
 * localStorage (it is no secret from this origin: the push service and the worker know it) so that
 * mailboxes made later are registered too.
 */
import type { PushSubscriptionJson } from '../protocol/mailbox';
import {
  forgetPushSubscription,
  keepPushSubscription,
  storedPushSubscription,
} from './push-subscription-store';
import { AppError } from './errors';
import type { MailboxClient } from './mailbox-client';
import type { Messenger } from './messenger-api';

/** How long to wait for the service worker (there is none under `npm start`'s dev server). */
const SERVICE_WORKER_WAIT_MS = 5_000;

export type WakeUpState = 'unsupported' | 'off' | 'on' | 'blocked';

export function wakeUpState(): WakeUpState {
  if (!('serviceWorker' in navigator) || !('PushManager' in globalThis) || !('Notification' in globalThis)) {
    return 'unsupported';
  }
  if (Notification.permission === 'denied') return 'blocked';
  return storedPushSubscription() ? 'on' : 'off';
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function serviceWorker(): Promise<ServiceWorkerRegistration> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () =>
        reject(
          new AppError(
            'NO_WORKER',
            'Notifications work in the installed app (a build), not in the development server.',
          ),
        ),
      SERVICE_WORKER_WAIT_MS,
    ),
  );
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

/** Asks for permission, subscribes, and registers the subscription with every mailbox. */
export async function enableWakeUps(messenger: Messenger, client: MailboxClient): Promise<void> {
  if (wakeUpState() === 'unsupported') {
    throw new AppError('NO_WORKER', 'This browser cannot show notifications for SecMsg.');
  }
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') {
    throw new AppError('NO_WORKER', 'Notifications are blocked for SecMsg in this browser’s settings.');
  }
  const key = await client.pushKey();
  const registration = await serviceWorker();
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: fromBase64Url(key),
  });
  const json = subscription.toJSON();
  const stored: PushSubscriptionJson = {
    endpoint: json.endpoint ?? subscription.endpoint,
    keys: { p256dh: json.keys?.['p256dh'] ?? '', auth: json.keys?.['auth'] ?? '' },
  };
  keepPushSubscription(stored);
  await messenger.setWakeUps(stored);
}

/** Takes the subscription off every mailbox and unsubscribes. */
export async function disableWakeUps(messenger: Messenger): Promise<void> {
  forgetPushSubscription();
  await messenger.setWakeUps(undefined);
  const registration = await serviceWorker().catch(() => undefined);
  await (await registration?.pushManager.getSubscription())?.unsubscribe();
}

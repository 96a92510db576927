/**
 * The person's choices for the conversation features (src/app/config.ts keeps them), apart from
 * record-effects.ts so that the messenger's default loads with the page and the effects do not;
 * and their choices for notifications while SecMsg is open but hidden (src/app/notifications.ts),
 * kept in localStorage beside them.
 */
export interface FeatureSettings {
  /** Send read receipts, and show the contact's. */
  readonly readReceipts: boolean;
  /** Send the typing indicator, and show the contact's. */
  readonly typingIndicator: boolean;
}

export const DEFAULT_FEATURE_SETTINGS: FeatureSettings = { readReceipts: true, typingIndicator: true };

export interface NotificationSettings {
  /** Notify of messages that arrive while the page is hidden (and the browser allows it). Off unless set. */
  readonly enabled: boolean;
  /** Put the message's text in the notification; otherwise only who wrote. Off unless set. */
  readonly previews: boolean;
}

const NOTIFICATIONS_KEY = 'secmsg.notifications';
const PREVIEWS_KEY = 'secmsg.notificationPreviews';

export function loadNotificationSettings(
  storage: Pick<Storage, 'getItem'> = localStorage,
): NotificationSettings {
  return {
    enabled: storage.getItem(NOTIFICATIONS_KEY) === '1',
    previews: storage.getItem(PREVIEWS_KEY) === '1',
  };
}

export function saveNotificationSettings(
  settings: NotificationSettings,
  storage: Pick<Storage, 'setItem'> = localStorage,
): void {
  storage.setItem(NOTIFICATIONS_KEY, settings.enabled ? '1' : '0');
  storage.setItem(PREVIEWS_KEY, settings.previews ? '1' : '0');
}

/** For "Delete everything": this device forgets the choices too. */
export function clearNotificationSettings(storage: Pick<Storage, 'removeItem'> = localStorage): void {
  storage.removeItem(NOTIFICATIONS_KEY);
  storage.removeItem(PREVIEWS_KEY);
}

/** The words of Settings → Notifications (NotificationSettings.tsx): while open but hidden, and wake-ups. */
export const heading = 'Notifications';
export const about =
  'While SecMsg is open but you are looking at another tab or app, it can show a notification when a message arrives. Tapping it opens that conversation.';
export const unsupported = 'This browser cannot show notifications.';
export const on = 'Notifications are on.';
export const off = 'Notifications are off.';
export const blocked = 'This browser blocks notifications from SecMsg.';
export const whatToDoBlocked =
  'To allow them, open this site’s settings from the icon beside the address, set Notifications to Allow, and come back to this page.';
export const turnOn = 'Turn on notifications';
export const turnOff = 'Turn off notifications';
export const noAnswer = 'Notifications stay off: the browser’s question was closed without an answer.';
export const previews = 'Show message text in notifications';
export const previewsNote =
  'Off: a notification shows only who wrote. On: it shows what they wrote too, where anyone who sees this screen can read it, even when it is locked.';

export const wakeUpsHeading = 'While SecMsg is closed';
export const wakeUpsAbout =
  'When a message waits for you while SecMsg is closed, the signaling server can wake this device with a notification that says only “New message”: no name, no text.';
export const wakeUpsReveals =
  'What it reveals: the signaling server learns this browser’s push address for each of your mailboxes, and your browser’s push service (Google, Mozilla or Apple, depending on the browser) learns when a message waits for you. Neither learns from whom or what.';
export const wakeUpsUnsupported = 'This browser cannot wake SecMsg while it is closed.';
export const wakeUpsOn = 'Wake-ups are on.';
export const wakeUpsOff = 'Wake-ups are off.';
export const wakeUpsBlocked = 'This browser blocks notifications from SecMsg, wake-ups too.';
export const turnOnWakeUps = 'Turn on wake-ups';
export const turnOffWakeUps = 'Turn off wake-ups';

/*
 * SecMsg's wake-up, imported into the generated service worker (vite.config.ts, workbox
 * importScripts). A push from the signaling worker says only that a mailbox has news (its payload,
 * encrypted to this browser by RFC 8291, is {"t":"new-message","mailbox":"<id>"}); it shows
 * "New message" with no name and no text, and a tap opens SecMsg on that conversation.
 */
/* eslint-disable */
self.addEventListener('push', (event) => {
  let mailbox = '';
  try {
    const data = event.data ? event.data.json() : null;
    if (
      data &&
      data.t === 'new-message' &&
      typeof data.mailbox === 'string' &&
      /^[A-Za-z0-9_-]{43}$/.test(data.mailbox)
    ) {
      mailbox = data.mailbox;
    }
  } catch (e) {
    // not ours, or unreadable: still a wake-up, with no conversation to open
  }
  event.waitUntil(
    self.registration
      .showNotification('New message', {
        body: 'Open SecMsg to read it.',
        tag: 'secmsg-new-message',
        renotify: true,
        icon: '/icons/icon-192.png',
        data: { mailbox },
      })
      .catch((error) => {
        // Nothing a person sees can say more; the browser's console for this service worker can.
        console.error('SecMsg could not show the wake-up notification:', error);
        throw error;
      }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const mailbox = typeof data.mailbox === 'string' ? data.mailbox : '';
  // The open app's own notifications (src/app/notification-display.ts) also name the contact.
  const contact = typeof data.contact === 'string' ? data.contact : '';
  const url = contact
    ? `/?contact=${encodeURIComponent(contact)}`
    : mailbox
      ? `/?mailbox=${encodeURIComponent(mailbox)}`
      : '/';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).origin === self.location.origin && 'focus' in client) {
          client.postMessage({ type: 'secmsg-open-mailbox', mailbox, contact });
          return client.focus();
        }
      }
      return self.clients.openWindow(url);
    }),
  );
});

/**
 * Clickjacking, where the host sends no frame-ancestors: public/_headers makes Cloudflare Pages
 * send it, but `vite preview`, another static host or a copy on a file server may not. Inside
 * another page's frame the app does not start, so no button of it (Accept, The numbers match) can
 * sit under someone else's page and take a click meant for that page.
 */
import * as text from './strings/framing';

export class FramedError extends Error {
  override readonly name = 'FramedError';
}

/** Whether this document is in a frame. Comparing window objects is allowed across origins. */
export function isFramed(win: Window): boolean {
  try {
    return win.top !== win.self;
  } catch {
    return true; // a browser that refuses even the comparison: take it as framed
  }
}

/**
 * In a frame, replaces the page with one sentence and a link that opens the app in the top window,
 * then throws, so that main.tsx stops before it opens storage or renders. Outside a frame it does
 * nothing.
 */
export function refuseToRunFramed(win: Window = window): void {
  if (!isFramed(win)) return;
  const doc = win.document;
  // The app's start, not this frame's URL: the framing page chose that (an invite in its #, say).
  const home = new URL(import.meta.env.BASE_URL, win.location.href).href;
  const link = doc.createElement('a');
  link.href = home;
  link.target = '_top';
  link.rel = 'noopener';
  link.textContent = home;
  const sentence = doc.createElement('p');
  sentence.append(text.openDirectly, link);
  (doc.getElementById('root') ?? doc.body).replaceChildren(sentence);
  throw new FramedError('SecMsg was opened inside another page and does not start there.');
}

/**
 * The app's one live region (aria-live="polite"): what a screen reader says without moving focus,
 * such as a message that just arrived. Screens call `announce`; App.tsx shows `announcement()` in
 * a visually hidden element that is always on the page, so that the region exists before it
 * changes (a region added together with its text is not read).
 */
import { createSignal } from 'solid-js';

/** How long the region stays empty before new words go in: the same words twice are read twice. */
const CLEAR_MS = 50;

const [announcement, setAnnouncement] = createSignal('');
let timer: ReturnType<typeof setTimeout> | undefined;

export { announcement };

/** Has `text` read out politely (after whatever the screen reader is saying). */
export function announce(text: string): void {
  setAnnouncement('');
  clearTimeout(timer);
  timer = setTimeout(() => setAnnouncement(text), CLEAR_MS);
}

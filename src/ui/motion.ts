/**
 * What the device and the person asked for, read when needed (they can change while the app is
 * open): reduced motion (no smooth scrolling; styles.css stops animations), and a touch screen as
 * the main pointer (Enter makes a new line there, and opening a chat does not raise the keyboard).
 */

const matches = (query: string): boolean => globalThis.matchMedia?.(query).matches ?? false;

export function reducedMotion(): boolean {
  return matches('(prefers-reduced-motion: reduce)');
}

export function coarsePointer(): boolean {
  return matches('(pointer: coarse)');
}

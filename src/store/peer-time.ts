/**
 * Times a peer states (a message's sentAt) are bounded before they are stored or shown (DESIGN.md,
 * Application records): at most a year either side of the receiver's clock, and a number a Date
 * can hold. A peer's clock is its own business; an absurd one must not break our screens or sort
 * its messages before everything else for good.
 */
export const PEER_TIME_BOUND_MS = 366 * 86_400_000;

/** `at` moved into [reference − a year, reference + a year]; a non-number becomes `reference`. */
export function boundPeerTime(at: number, reference: number): number {
  if (typeof at !== 'number' || !Number.isFinite(at)) return reference;
  return Math.min(reference + PEER_TIME_BOUND_MS, Math.max(reference - PEER_TIME_BOUND_MS, at));
}

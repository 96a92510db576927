/**
 * A contact's security log: what kinds of events it records (pairing, key changes, verification,
 * refused frames, …), one entry, and the store that keeps them, oldest first.
 */

export type SecurityEventKind =
  /** The contact was first paired; `detail` says how (scanned invite, code, link). */
  | 'paired'
  /** A handshake presented another identity key than the pinned one. */
  | 'key-changed'
  /** The user accepted the new key; the old verified mark is gone. */
  | 'key-change-accepted'
  | 'verified-by-scan'
  /** Paired by a short code whose CPace result the first handshake held (short-code.ts). */
  | 'verified-by-code'
  | 'verified-by-comparison'
  | 'verification-cleared'
  /** A scanned safety-number code did not match. */
  | 'verification-failed'
  /** A frame failed its HMAC check. */
  | 'mac-failed'
  /** A frame passed its HMAC but failed AES-GCM. */
  | 'decrypt-failed'
  /** Another frame check failed (replay, order, freshness, length, record shape). */
  | 'frame-refused'
  /** The secure handshake failed as it would under interception; reconnecting paused. */
  | 'possible-interception'
  /** The user let reconnecting start again after it was paused. */
  | 'reconnect-resumed'
  /** A message from the mailbox could not be read and was deleted there. */
  | 'mailbox-refused'
  /** The session was closed (too many bad frames in a row, too much held for a decision). */
  | 'session-closed'
  /** The user refused a new key; the old one stays pinned. */
  | 'key-refused'
  /** The peer announced another name than before. */
  | 'name-announced'
  /** The user set or kept the name shown for this contact. */
  | 'name-set'
  /** A safety-number code read from a picture matched; not verified until confirmed. */
  | 'photo-matched'
  /** The user confirmed they got the matching picture in person. */
  | 'verified-by-photo'
  /** The database was upgraded, and what it changed for this contact. */
  | 'upgrade'
  /** Keys were replaced by a rotation the old ML-DSA key signed (theirs, or ours announced to them). */
  | 'key-rotated'
  /** A key rotation that the pinned ML-DSA key did not sign was refused; nothing changed. */
  | 'rotation-refused'
  /** The contact's ML-DSA key was pinned, the first time they presented one. */
  | 'signing-key-pinned'
  /** The conversation ratchet was started again from a new session (the stored one was dropped). */
  | 'ratchet-restarted'
  /** A ratchet message was refused (malformed, replayed, failed its check); nothing changed. */
  | 'ratchet-refused';

/** One entry in a contact's security log; `detail` is a sentence for people. */
export interface SecurityEvent {
  readonly contactId: string;
  /** ms since the epoch. */
  readonly at: number;
  readonly kind: SecurityEventKind;
  readonly detail: string;
}

export interface SecurityEventStore {
  add(event: SecurityEvent): Promise<void>;
  /** The contact's events, oldest first. */
  list(contactId: string): Promise<SecurityEvent[]>;
}

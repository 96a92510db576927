/** The messenger's interface, as the UI and the reconnector see it (messenger.ts implements it). */
import type { Contact } from '../store/contact-types';
import type { StoredIdentity } from '../store/identity-types';
import type { StoredFile } from '../store/file-types';
import type { StoredMessage } from '../store/message-types';
import type { FileCalls } from './transfers/file-calls';
import type { FileStorage } from '../store/file-storage';
import type { SecurityEvent } from '../store/security-event-types';
import type { Stores } from '../store/stores';
import type { ConversationList } from './conversation-list';
import type { FeatureCalls } from './feature-calls';
import type { FeatureSettings } from './record-effects';
import type { Connected } from './connect';
import type { RatchetView } from './conversation';
import type { Inspector } from './inspector';
import type { MailboxClient } from './mailbox-client';
import type { FetchReport } from './offline-delivery';
import type { PushSubscriptionJson } from '../protocol/mailbox';
import type { AdoptOutcome, Arrival } from './trust';
import type { DirectoryClient } from '../rtc/directory-client';
import type { Usernames } from './usernames';
import type { SafetyNumberView, ScanResult, ScanSource } from './verification-state';

export type LiveState = 'open' | 'closed';

export interface LiveConversation {
  readonly connected: Connected;
  /** Every frame of this session both ways, from the handshake on, for the protocol inspector. */
  readonly inspector: Inspector;
  readonly state: LiveState;
  /** Why the session ended, as our own sentence (never the peer's words), once it has. */
  readonly closeReason?: string;
}

export type MessengerEvents = {
  /** The contact list, or one contact, changed. */
  contacts: () => void;
  /** The contact's history changed. */
  messages: (contactId: string) => void;
  /** The contact's security log changed. */
  events: (contactId: string) => void;
  /** The contact's live session changed (opened, closed). */
  connection: (contactId: string) => void;
  /** The contact started or stopped typing (stopped too when no word came for a few seconds). */
  typing: (contactId: string, typing: boolean) => void;
  /**
   * The contact's conversation summary changed while its history did not (read, archived,
   * deleted). The list listens to this, 'messages' and 'contacts'.
   */
  conversation: (contactId: string) => void;
  /** Contact requests for this device's username were read: how many wait for a decision. */
  requests: (waiting: number) => void;
  /** A file message's transfer moved (progress or state); its history did not otherwise change. */
  file: (contactId: string, messageId: Uint8Array, file: StoredFile) => void;
};

/**
 * The conversation list and long histories (conversation-list.ts says what each means):
 * - `summaries()`: every conversation, archived ones marked, newest activity first: the contact,
 *   its last message's preview and time, its unread count;
 * - `markRead(contactId)`: what arrived up to now counts as read (call it when the chat shows);
 * - `archive(contactId, archived)`; `deleteConversation(contactId)`: its messages go, the contact
 *   (keys, verified mark, ratchet, security log) stays and can still be written to;
 * - `historyPage(contactId, { before?, after?, limit })`: a page of history, oldest first, read
 *   through an index (`history(contactId)` still reads all of it);
 * - `search(query, { after?, signal?, limit? })`: contacts and messages, bounded work a call.
 */
/**
 * And the conversation features (conversation-features.ts): reply, react, edit, deleteForEveryone,
 * deleteForMe, markMessagesRead (read receipts), typing, contactTyping.
 */
export interface Messenger extends ConversationList, FeatureCalls, FileCalls {
  readonly identity: StoredIdentity;
  contacts(): Promise<Contact[]>;
  contact(contactId: string): Promise<Contact | undefined>;
  history(contactId: string): Promise<StoredMessage[]>;
  securityLog(contactId: string): Promise<SecurityEvent[]>;
  live(contactId: string): LiveConversation | undefined;
  /**
   * Takes over a ready session: finds or makes its contact by its key (trust.ts) and starts
   * delivering. 'refused': a key the user refused for that contact; the session is closed.
   */
  adopt(connected: Connected, arrival: Arrival): Promise<{ contact: Contact; outcome: AdoptOutcome }>;
  /**
   * Stores the message, then sends it if the contact is connected, or else deposits it in the
   * contact's mailbox when one is known.
   */
  send(contactId: string, body: string): Promise<StoredMessage>;
  /**
   * Reads every inbound mailbox (stores, deletes, acknowledges what waited), then deposits what is
   * queued for contacts with no session. Undefined without a worker. Throws `MailboxError` or
   * `MailboxUnreachableError` when the worker refuses or cannot be reached.
   */
  checkMailboxes(): Promise<FetchReport | undefined>;
  /** Registers this browser's push subscription with every inbound mailbox, or takes it off them. */
  setWakeUps(subscription: PushSubscriptionJson | undefined): Promise<void>;
  /** The contact an inbound mailbox belongs to (a wake-up names only the mailbox). */
  contactForMailbox(mailboxId: string): Promise<string | undefined>;
  /**
   * This device's username, adding people by theirs, and the contact requests that arrive
   * (usernames.ts); loaded on first use. Rejects with AppError('NO_WORKER') without a worker.
   */
  usernames(): Promise<Usernames>;
  /** Pins the key the contact presented (the pair secret rotates); the verified mark is cleared. */
  acceptKeyChange(contactId: string): Promise<void>;
  /** Refuses the new key: its session closes, the old key stays pinned and verified as it was. */
  refuseKeyChange(contactId: string): Promise<void>;
  safetyNumber(contactId: string): Promise<SafetyNumberView>;
  /** Compares their scanned code with ours (verification.ts says what a match from a picture means). */
  verifyByScan(contactId: string, scanned: Uint8Array, source: ScanSource): Promise<ScanResult>;
  /** After 'matched-photo': the user says they got the picture in person. */
  confirmPhotoInPerson(contactId: string): Promise<void>;
  /** The user's explicit "the numbers match". */
  markVerified(contactId: string): Promise<void>;
  clearVerified(contactId: string): Promise<void>;
  /** Names the contact for this device (checked by names.ts; refused with a sentence). */
  setLocalName(contactId: string, name: string): Promise<void>;
  /** Keeps the name the contact announced as the one shown (refused if it is not a clean name). */
  keepAnnouncedName(contactId: string): Promise<void>;
  /** Changes this device's own display name (checked as a local name). */
  rename(displayName: string): Promise<void>;
  /**
   * Replaces this device's identity keys (X25519 and ML-DSA-87), signing the new ones with the old
   * ML-DSA key; every contact is told (a key-rotation record on open sessions, and every handshake
   * from now on), and sessions of the old keys close so that new ones start.
   */
  rotateKeys(): Promise<void>;
  /** The id of the contact's conversation ratchet, announced when connecting to it. */
  ratchetId(contactId: string): Promise<Uint8Array | undefined>;
  /** The contact's ratchet as the inspector shows it (no keys); undefined before one is read. */
  ratchetView(contactId: string): RatchetView | undefined;
  /** Stops reconnecting to the contact until `resumeReconnect`, and logs why. */
  pauseReconnect(contactId: string, reason: string): Promise<void>;
  resumeReconnect(contactId: string): Promise<void>;
  disconnect(contactId: string): Promise<void>;
  on<K extends keyof MessengerEvents>(event: K, fn: MessengerEvents[K]): () => void;
  dispose(): void;
}

export interface MessengerDeps {
  stores: Stores;
  identity: StoredIdentity;
  now?: () => number;
  /**
   * The worker's mailboxes (offline delivery), loaded on first use; without it, messages wait for a
   * live session.
   */
  mailbox?: () => Promise<MailboxClient>;
  /** The worker's username directory (usernames.ts), loaded on first use. */
  directory?: () => Promise<DirectoryClient>;
  /** This browser's push subscription, when the person turned wake-ups on. */
  pushSubscription?: () => PushSubscriptionJson | undefined;
  /** Read receipts and the typing indicator on or off (config.ts); both on when absent. */
  settings?: () => FeatureSettings;
  /** Where files are kept (file-storage.ts); the Origin Private File System when absent. */
  fileStorage?: () => Promise<FileStorage>;
}

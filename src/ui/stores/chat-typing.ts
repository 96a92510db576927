/**
 * The typing indicator in the open chat, both ways: the contact's (shown under the header; the
 * messenger says nothing when the person turned theirs off, as the setting is mutual), and mine,
 * started with a keystroke (the messenger sends it at most every few seconds) and stopped after a
 * pause, on sending, on clearing the box and on leaving the chat.
 */
import { createSignal, onCleanup } from 'solid-js';
import type { Messenger } from '../../app/messenger-api';

/** Typing stops (for the contact's indicator) after this long without a keystroke. */
const TYPING_IDLE_MS = 5_000;

export interface ChatTyping {
  /** Whether the contact is typing. */
  peerTyping(): boolean;
  /** The composer's text changed. */
  onDraft(text: string): void;
  /** I stopped (sent, or left). */
  stop(): void;
}

export function createChatTyping(messenger: Messenger, contactId: string): ChatTyping {
  const [peerTyping, setPeerTyping] = createSignal(messenger.contactTyping(contactId));
  onCleanup(messenger.on('typing', (id, on) => id === contactId && setPeerTyping(on)));
  let typing = false;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    clearTimeout(idle);
    if (!typing) return;
    typing = false;
    messenger.typing(contactId, false).catch(() => undefined);
  };
  const onDraft = (text: string) => {
    clearTimeout(idle);
    if (text.trim() === '') {
      stop();
      return;
    }
    typing = true;
    messenger.typing(contactId, true).catch(() => undefined);
    idle = setTimeout(stop, TYPING_IDLE_MS);
  };
  onCleanup(stop);
  return { peerTyping, onDraft, stop };
}

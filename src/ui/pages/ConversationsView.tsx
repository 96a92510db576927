import { Match, Suspense, Switch, createEffect, lazy, on } from 'solid-js';
import { useApp } from '../app-context';
import { ScreenBoundary } from '../components/ScreenBoundary';
import * as text from '../strings/list';
import { HomePage } from './HomePage';

// The chat (with its name notices and security log) loads when first shown; its code is fetched
// as soon as the list is up (App.tsx), so opening one does not wait.
const loadChatPage = async () => ({ default: (await import('./ChatPage')).ChatPage });
const ChatPage = lazy(loadChatPage);

/** Fetches the chat's code ahead of the first tap (it is precached for offline use too). */
export function preloadChat(): void {
  void loadChatPage().catch(() => undefined);
}

/** The list entry of a contact (HomePage marks each with its id). */
function listEntry(contactId: string): HTMLElement | null {
  return document.querySelector<HTMLElement>(`.contacts [data-contact-id="${CSS.escape(contactId)}"]`);
}

/**
 * The conversation list and the open chat. On a laptop (≥ 900 px, styles.css) they stand side by
 * side and the list stays while a chat is open; on a phone one fills the screen at a time: the
 * list, then the chat in full with its own way back. Going back from a chat puts the focus on that
 * contact's entry in the list, where the person left it.
 */
export function ConversationsView() {
  const app = useApp();
  const openChat = () => {
    const v = app.state.view;
    return v.name === 'chat' ? v.contactId : undefined;
  };
  createEffect(
    on(openChat, (now, before) => {
      if (now === undefined && before !== undefined) listEntry(before)?.focus();
    }),
  );
  return (
    <div class="split" classList={{ 'has-chat': openChat() !== undefined }}>
      <div class="list-pane">
        <ScreenBoundary>
          <HomePage openContactId={openChat()} />
        </ScreenBoundary>
      </div>
      <div class="chat-pane">
        <Switch fallback={<p class="chat-placeholder">{text.choosePrompt}</p>}>
          <Match when={openChat()} keyed>
            {(id) => (
              <ScreenBoundary>
                <Suspense fallback={<p role="status">{text.loading}</p>}>
                  <ChatPage contactId={id} />
                </Suspense>
              </ScreenBoundary>
            )}
          </Match>
        </Switch>
      </div>
    </div>
  );
}

import { Show, Suspense, createMemo, createSignal, lazy, onCleanup, onMount } from 'solid-js';
import type { StoredMessage } from '../../store/message-types';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import { coarsePointer } from '../motion';
import { ChatHeader } from '../components/ChatHeader';
import { ChatWarnings } from '../components/ChatWarnings';
import { Composer } from '../components/Composer';
import { ContactNameNotice } from '../components/ContactNameNotice';
import { MessageHistory } from '../components/MessageHistory';
import { type MessageActionHandlers, Quote } from '../components/MessageParts';
import { SecurityLog } from '../components/SecurityLog';
import { createChatHistory } from '../stores/chat-history';
import { createChatTyping } from '../stores/chat-typing';
import * as text from '../strings/chat';
import './ChatPage.css';

// The inspector is for those who want to look: it loads when first opened.
const InspectorPanel = lazy(async () => ({
  default: (await import('../components/InspectorPanel')).InspectorPanel,
}));

/**
 * A list loaded now and again on `reload()`; a slower earlier load never overwrites a later one.
 * Plain signals refreshed on the messenger's events, not resources: a refetching resource would
 * suspend the page's Suspense boundary and take the chat (and its text box) out of the page.
 */
function reloading<T>(load: () => Promise<T[]>): { value: () => T[]; reload: () => void } {
  const [value, setValue] = createSignal<T[]>([]);
  let latest = 0;
  const reload = () => {
    const mine = ++latest;
    load().then(
      (v) => {
        if (mine === latest) setValue(() => v);
      },
      (e: unknown) => console.error('SecMsg:', e),
    );
  };
  onMount(reload);
  return { value, reload };
}

/** What the composer is writing: a new message, a reply to one, or a new text for one of mine. */
type Writing = { kind: 'reply' | 'edit'; message: StoredMessage } | undefined;

/**
 * One conversation, filling its pane: a header (ChatHeader: who, verified or not, the connection
 * and its route, the safety number and the inspector), warnings that block it (ChatWarnings), the
 * history scrolling above the composer (a window of pages: stores/chat-history.ts), and the
 * security log at the top of the history. A pending key change blocks the conversation behind a
 * warning until it is accepted or refused. Opening it puts the focus in the composer (on a touch
 * screen: on its heading, so that no keyboard pops up).
 */
export function ChatPage(props: { contactId: string }) {
  const app = useApp();
  const messenger = app.messenger()!;
  const contact = createMemo(() => app.state.contacts.find((c) => c.id === props.contactId));
  const history = createChatHistory({
    messenger,
    contactId: props.contactId,
    name: () => contact()?.name ?? text.yourContact,
    unread: () => app.state.conversations[props.contactId]?.unread ?? 0,
  });
  const events = reloading(async () => messenger.securityLog(props.contactId));
  const [liveVersion, setLiveVersion] = createSignal(0);
  const live = createMemo(() => {
    liveVersion();
    return messenger.live(props.contactId);
  });
  onCleanup(messenger.on('events', (id) => id === props.contactId && events.reload()));
  onCleanup(messenger.on('connection', (id) => id === props.contactId && setLiveVersion((v) => v + 1)));
  const typing = createChatTyping(messenger, props.contactId);

  const [writing, setWriting] = createSignal<Writing>();
  let setDraft: ((draft: string) => void) | undefined;
  const [problem, setProblem] = createSignal('');
  const [showInspector, setShowInspector] = createSignal(false);
  let heading: HTMLHeadingElement | undefined;
  let textarea: HTMLTextAreaElement | undefined;

  onMount(() => {
    const target = !coarsePointer() && textarea && !textarea.disabled ? textarea : heading;
    target?.focus({ preventScroll: true });
  });

  const send = async (body: string) => {
    typing.stop();
    const w = writing();
    if (w?.kind === 'edit') {
      await messenger.edit(props.contactId, w.message.messageId, body);
      setWriting(undefined);
      return;
    }
    history.toNewest(); // what I write shows at the bottom, wherever I had scrolled
    if (w?.kind === 'reply') await messenger.reply(props.contactId, body, w.message.messageId);
    else await messenger.send(props.contactId, body);
    setWriting(undefined);
  };

  const act = async (f: () => Promise<void>) => {
    setProblem('');
    try {
      await f();
    } catch (e) {
      setProblem(errorText(e));
    }
  };
  const focusComposer = () => textarea?.focus();
  const cancelWriting = () => {
    if (!writing()) return;
    if (writing()?.kind === 'edit') setDraft?.('');
    setWriting(undefined);
    focusComposer();
  };
  const handlers: MessageActionHandlers = {
    reply(m) {
      setWriting({ kind: 'reply', message: m });
      focusComposer();
    },
    react: (m, emoji) => void act(async () => messenger.react(props.contactId, m.messageId, emoji)),
    edit(m) {
      setWriting({ kind: 'edit', message: m });
      setDraft?.(m.body);
      focusComposer();
    },
    deleteForEveryone: (m) => void act(async () => messenger.deleteForEveryone(props.contactId, m.messageId)),
    deleteForMe: (m) => void act(async () => messenger.deleteForMe(props.contactId, m.messageId)),
  };

  return (
    <Show when={contact()} fallback={<p role="alert">{text.noConversation}</p>}>
      {(c) => (
        <section aria-labelledby="chat-heading" class="chat">
          <ChatHeader
            contact={c()}
            live={live()}
            peerTyping={typing.peerTyping()}
            inspectorOpen={showInspector()}
            heading={(el) => (heading = el)}
            onBack={() => app.actions.show({ name: 'home' })}
            onSafety={() => app.actions.show({ name: 'safety', contactId: c().id })}
            onInspector={() => setShowInspector((v) => !v)}
          />
          <ChatWarnings
            contact={c()}
            onAccept={() => void act(async () => messenger.acceptKeyChange(c().id))}
            onRefuse={() => void act(async () => messenger.refuseKeyChange(c().id))}
            onResume={() => void act(async () => messenger.resumeReconnect(c().id))}
          />
          <Show when={showInspector()}>
            <div class="inspector-drawer">
              <Suspense fallback={<p role="status">{text.loadingInspector}</p>}>
                <InspectorPanel contactId={c().id} events={events.value()} />
              </Suspense>
            </div>
          </Show>
          <MessageHistory
            source={history}
            contactName={c().name}
            controls={(h) => history.bind(h)}
            actions={handlers}
            top={
              <div class="chat-intro">
                <ContactNameNotice contact={c()} />
                <SecurityLog events={events.value()} />
              </div>
            }
          />
          <Show when={problem()}>
            <p role="alert" class="chat-problem">
              {problem()}
            </p>
          </Show>
          <Composer
            disabled={c().keyChangePending}
            send={send}
            onProblem={setProblem}
            textarea={(el) => (textarea = el)}
            onDraft={(draft) => typing.onDraft(draft)}
            setDraft={(f) => (setDraft = f)}
            onCancel={cancelWriting}
            above={
              <Show when={writing()}>
                {(w) => (
                  <>
                    <span class="visually-hidden">
                      {w().kind === 'reply' ? text.replyingTo : text.editingYourMessage}
                    </span>
                    <Show when={w().kind === 'edit'}>
                      <span aria-hidden="true">{text.editing}</span>
                    </Show>
                    <Quote quoted={w().message} contactName={c().name} />
                    <button type="button" onClick={cancelWriting}>
                      {w().kind === 'reply' ? text.cancelReply : text.cancelEdit}
                    </button>
                  </>
                )}
              </Show>
            }
          />
        </section>
      )}
    </Show>
  );
}

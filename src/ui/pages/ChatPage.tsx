import {
  Show,
  batch,
  Suspense,
  createEffect,
  createMemo,
  createSignal,
  lazy,
  onCleanup,
  onMount,
} from 'solid-js';
import { toHex } from '../../crypto/bytes';
import { ROUTE_EXPLANATIONS, ROUTE_NAMES, routeOfTransport, type RouteKind } from '../../rtc/route-kind';
import type { StoredMessage } from '../../store/types';
import { announce } from '../announcer';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import { coarsePointer } from '../motion';
import { Composer } from '../components/Composer';
import { ContactNameNotice } from '../components/ContactNameNotice';
import { MessageHistory, type HistoryControls } from '../components/MessageHistory';
import { type MessageActionHandlers, Quote } from '../components/MessageParts';
import { SecurityLog } from '../components/SecurityLog';
import './ChatPage.css';

// The inspector is for those who want to look: it loads when first opened.
const InspectorPanel = lazy(async () => ({
  default: (await import('../components/InspectorPanel')).InspectorPanel,
}));

/**
 * A list loaded now and again on `reload()`; a slower earlier load never overwrites a later one.
 * `loaded` turns true with the first list (an empty list before it is not yet known).
 */
function reloading<T>(load: () => Promise<T[]>): {
  value: () => T[];
  loaded: () => boolean;
  reload: () => void;
} {
  const [value, setValue] = createSignal<T[]>([]);
  const [loaded, setLoaded] = createSignal(false);
  let latest = 0;
  const reload = () => {
    const mine = ++latest;
    load().then(
      (v) => {
        if (mine !== latest) return;
        batch(() => {
          setValue(() => v);
          setLoaded(true);
        });
      },
      (e: unknown) => console.error('SecMsg:', e),
    );
  };
  onMount(reload);
  return { value, loaded, reload };
}

/** How often the route of an open connection is read again (ICE may move to another pair). */
const ROUTE_REFRESH_MS = 5_000;
/** The longest message text read out when it arrives; the rest is in the history. */
const ANNOUNCED_CHARS = 300;
/** Typing stops (for the contact's indicator) after this long without a keystroke. */
const TYPING_IDLE_MS = 5_000;

/** What the composer is writing: a new message, a reply to one, or a new text for one of mine. */
type Writing = { kind: 'reply' | 'edit'; message: StoredMessage } | undefined;

/**
 * While the chat is in view (the tab visible): what arrived counts as read for the list, and the
 * incoming messages shown are marked read (with a read receipt when the person has them on).
 */
function markShownRead(
  contactId: string,
  history: { value: () => StoredMessage[]; loaded: () => boolean },
  unread: () => number,
): void {
  const messenger = useApp().messenger()!;
  const [visible, setVisible] = createSignal(document.visibilityState === 'visible');
  const onVisibility = () => setVisible(document.visibilityState === 'visible');
  document.addEventListener('visibilitychange', onVisibility);
  onCleanup(() => document.removeEventListener('visibilitychange', onVisibility));
  const log = (e: unknown) => console.error('SecMsg:', e);
  createEffect(() => {
    if (!visible() || !history.loaded()) return;
    const ids = history
      .value()
      .filter((m) => m.direction === 'in' && m.readAt === undefined && m.deletedAt === undefined)
      .map((m) => m.messageId);
    if (ids.length > 0) messenger.markMessagesRead(contactId, ids).catch(log);
  });
  createEffect(() => {
    if (visible() && unread() > 0) messenger.markRead(contactId).catch(log);
  });
}

/**
 * Announces (through the app's live region) each message that arrives while the chat is open:
 * those already in the first history shown are not new.
 */
function announceArrivals(
  history: { value: () => StoredMessage[]; loaded: () => boolean },
  name: () => string,
): void {
  let known: Set<string> | undefined;
  createEffect(() => {
    const list = history.value();
    if (!history.loaded()) return;
    const incoming = list.filter((m) => m.direction === 'in');
    const ids = incoming.map((m) => toHex(m.messageId));
    if (known) {
      const fresh = incoming.filter((_, i) => !known!.has(ids[i]!));
      const last = fresh[fresh.length - 1];
      if (last) {
        const text =
          last.body.length > ANNOUNCED_CHARS ? `${last.body.slice(0, ANNOUNCED_CHARS)}…` : last.body;
        announce(
          fresh.length === 1
            ? `New message from ${name()}: ${text}`
            : `${fresh.length} new messages from ${name()}. The last: ${text}`,
        );
      }
    }
    known = new Set(ids);
  });
}

/**
 * One conversation, filling its pane: a header (who, verified or not, the connection and its
 * route, the safety number and the inspector), warnings that block it, the history scrolling above
 * the composer, and the security log at the top of the history. A pending key change blocks the
 * conversation behind a warning until it is accepted or refused. Opening it puts the focus in the
 * composer (on a touch screen: on its heading, so that no keyboard pops up).
 */
export function ChatPage(props: { contactId: string }) {
  const app = useApp();
  const messenger = app.messenger()!;
  const contact = createMemo(() => app.state.contacts.find((c) => c.id === props.contactId));
  // Plain signals refreshed on the messenger's events, not resources: a refetching resource would
  // suspend the page's Suspense boundary and take the chat (and its text box) out of the page.
  const history = reloading(async () => messenger.history(props.contactId));
  const events = reloading(async () => messenger.securityLog(props.contactId));
  const [liveVersion, setLiveVersion] = createSignal(0);
  const live = createMemo(() => {
    liveVersion();
    return messenger.live(props.contactId);
  });
  onCleanup(messenger.on('messages', (id) => id === props.contactId && history.reload()));
  onCleanup(messenger.on('events', (id) => id === props.contactId && events.reload()));
  onCleanup(messenger.on('connection', (id) => id === props.contactId && setLiveVersion((v) => v + 1)));
  announceArrivals(history, () => contact()?.name ?? 'your contact');
  markShownRead(props.contactId, history, () => app.state.conversations[props.contactId]?.unread ?? 0);

  // The contact's typing indicator, shown under the header (mutual: the messenger says nothing
  // when the person turned theirs off).
  const [peerTyping, setPeerTyping] = createSignal(messenger.contactTyping(props.contactId));
  onCleanup(messenger.on('typing', (id, on) => id === props.contactId && setPeerTyping(on)));
  // Mine: started with a keystroke (the messenger sends it at most every few seconds), stopped
  // after a pause, on sending, and on leaving the chat.
  let typingSince = false;
  let typingIdle: ReturnType<typeof setTimeout> | undefined;
  const stopTyping = () => {
    clearTimeout(typingIdle);
    if (!typingSince) return;
    typingSince = false;
    messenger.typing(props.contactId, false).catch(() => undefined);
  };
  const onDraft = (text: string) => {
    clearTimeout(typingIdle);
    if (text.trim() === '') {
      stopTyping();
      return;
    }
    typingSince = true;
    messenger.typing(props.contactId, true).catch(() => undefined);
    typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  };
  onCleanup(stopTyping);

  const [writing, setWriting] = createSignal<Writing>();
  let setDraft: ((text: string) => void) | undefined;

  // The route the open connection takes (Direct, Relayed (TURN), Relayed (SecMsg)), from its stats.
  const [route, setRoute] = createSignal<RouteKind | undefined>();
  createEffect(() => {
    const l = live();
    setRoute(undefined);
    if (l?.state !== 'open') return;
    let current = true;
    const read = (): void => {
      routeOfTransport(l.connected.transport).then(
        (r) => current && r !== undefined && setRoute(r),
        () => undefined, // not known this time; the next read may know
      );
    };
    read();
    const timer = setInterval(read, ROUTE_REFRESH_MS);
    onCleanup(() => {
      current = false;
      clearInterval(timer);
    });
  });

  const [problem, setProblem] = createSignal('');
  const [showInspector, setShowInspector] = createSignal(false);
  let heading: HTMLHeadingElement | undefined;
  let textarea: HTMLTextAreaElement | undefined;
  let historyControls: HistoryControls | undefined;

  onMount(() => {
    const target = !coarsePointer() && textarea && !textarea.disabled ? textarea : heading;
    target?.focus({ preventScroll: true });
  });

  const connectionText = () => {
    const l = live();
    if (l?.state === 'open') return 'Connected securely.';
    const reach = contact()?.reach;
    switch (reach?.state) {
      case 'connecting':
        return 'Connecting…';
      case 'waiting':
        return 'Offline: waiting for them to open SecMsg. Messages you write wait on this device until then.';
      case 'retrying':
        return 'Offline, will retry shortly. Messages you write wait on this device.';
      case 'blocked':
        return 'Not connected while the key change waits for your decision.';
      case 'paused':
        return 'Not reconnecting: the last attempt looked like interception. See the warning below.';
      case 'no-server':
        return 'Offline. Without a signaling server, pair again to reconnect; messages you write wait on this device.';
      default:
        // closeReason is always our own sentence (never the peer's words).
        return l
          ? `Disconnected: ${l.closeReason ?? 'the connection ended'} Reconnecting…`
          : 'Offline. Messages you write wait on this device until you are connected again.';
    }
  };

  const send = async (body: string) => {
    stopTyping();
    const w = writing();
    if (w?.kind === 'edit') {
      await messenger.edit(props.contactId, w.message.messageId, body);
      setWriting(undefined);
      return;
    }
    historyControls?.toNewest(); // what I write shows at the bottom, wherever I had scrolled
    if (w?.kind === 'reply') await messenger.reply(props.contactId, body, w.message.messageId);
    else await messenger.send(props.contactId, body);
    setWriting(undefined);
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

  const act = async (f: () => Promise<void>) => {
    setProblem('');
    try {
      await f();
    } catch (e) {
      setProblem(errorText(e));
    }
  };

  return (
    <Show when={contact()} fallback={<p role="alert">This conversation no longer exists.</p>}>
      {(c) => (
        <section aria-labelledby="chat-heading" class="chat">
          <header class="chat-head">
            <button type="button" class="back" onClick={() => app.actions.show({ name: 'home' })}>
              <span aria-hidden="true">‹</span>
              <span class="visually-hidden">Back to conversations</span>
            </button>
            <div class="chat-title">
              <h2 id="chat-heading" tabindex="-1" ref={(el) => (heading = el)}>
                <span class="visually-hidden">Chat with </span>
                {c().name}
                <Show when={c().tellApart}>{(t) => <span class="tell-apart"> ({t()})</span>}</Show>
              </h2>
              <span
                class={c().verified && !c().keyChangePending ? 'badge ok' : 'badge'}
                data-testid="verified-state"
              >
                {c().keyChangePending ? 'New key: not verified' : c().verified ? 'Verified' : 'Not verified'}
              </span>
            </div>
            <div class="chat-actions">
              <button type="button" onClick={() => app.actions.show({ name: 'safety', contactId: c().id })}>
                Safety number
              </button>
              <button
                type="button"
                aria-expanded={showInspector()}
                onClick={() => setShowInspector((v) => !v)}
              >
                Inspector
              </button>
            </div>
            <p role="status" data-testid="connection-state" class="connection">
              {connectionText()}
              <Show when={live()?.state === 'open' && route()}>
                {(r) => (
                  <>
                    {' '}
                    <span class="route-kind" data-testid="route" data-route={r()}>
                      <strong>{ROUTE_NAMES[r()]}</strong>: {ROUTE_EXPLANATIONS[r()]}
                    </span>
                  </>
                )}
              </Show>
            </p>
            {/* Not a live region of its own: the page has one (announcer.ts), for what arrives. */}
            <p class="typing">{peerTyping() ? `${c().name} is typing…` : ''}</p>
          </header>
          <Show when={c().keyChangePending}>
            <div class="key-change" role="alert" aria-labelledby="key-change-heading">
              <h3 id="key-change-heading">{c().name}'s identity key changed</h3>
              <p>
                A new key arrived through your usual connection with {c().name}. This happens when they
                reinstall the app or start a new identity — or when someone else has their device or sits in
                the middle. Nothing is shown or sent until you decide. If you accept, compare safety numbers
                again, in person or on a call you trust; if you refuse, the key you had stays.
              </p>
              <Show when={c().pendingAnnouncedName}>{(n) => <p>The new key calls itself “{n()}”.</p>}</Show>
              <button
                type="button"
                class="primary"
                onClick={() => void act(async () => messenger.acceptKeyChange(c().id))}
              >
                Accept the new key
              </button>{' '}
              <button type="button" onClick={() => void act(async () => messenger.refuseKeyChange(c().id))}>
                Refuse and disconnect
              </button>
            </div>
          </Show>
          <Show when={c().reconnectPaused}>
            {(reason) => (
              <div class="key-change" role="alert" aria-labelledby="paused-heading">
                <h3 id="paused-heading">Possible interception</h3>
                <p>
                  {reason()} SecMsg stopped trying to reconnect. If you expect this (they reset the app, for
                  example), try again; otherwise compare safety numbers with them first, in person or on a
                  call.
                </p>
                <button type="button" onClick={() => void act(async () => messenger.resumeReconnect(c().id))}>
                  Try again
                </button>
              </div>
            )}
          </Show>
          <Show when={showInspector()}>
            <div class="inspector-drawer">
              <Suspense fallback={<p role="status">Loading the inspector…</p>}>
                <InspectorPanel contactId={c().id} events={events.value()} />
              </Suspense>
            </div>
          </Show>
          <MessageHistory
            messages={history.value()}
            contactName={c().name}
            controls={(h) => (historyControls = h)}
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
            onDraft={onDraft}
            setDraft={(f) => (setDraft = f)}
            onCancel={cancelWriting}
            above={
              <Show when={writing()}>
                {(w) => (
                  <>
                    <span class="visually-hidden">
                      {w().kind === 'reply' ? 'Replying to:' : 'Editing your message:'}
                    </span>
                    <Show when={w().kind === 'edit'}>
                      <span aria-hidden="true">Editing</span>
                    </Show>
                    <Quote quoted={w().message} contactName={c().name} />
                    <button type="button" onClick={cancelWriting}>
                      {w().kind === 'reply' ? 'Cancel reply' : 'Cancel edit'}
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

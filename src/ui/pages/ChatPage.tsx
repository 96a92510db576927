import {
  For,
  Show,
  Suspense,
  createEffect,
  createMemo,
  createSignal,
  lazy,
  onCleanup,
  onMount,
} from 'solid-js';
import { ROUTE_EXPLANATIONS, ROUTE_NAMES, routeOfTransport, type RouteKind } from '../../rtc/route-kind';
import type { MessageRoute, MessageState } from '../../store/types';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import { formatTime, timeAttribute } from '../format-time';
import { ContactNameNotice } from '../components/ContactNameNotice';
import { SecurityLog } from '../components/SecurityLog';

// The inspector is for those who want to look: it loads when first opened.
const InspectorPanel = lazy(async () => ({
  default: (await import('../components/InspectorPanel')).InspectorPanel,
}));

/** A list loaded now and again on `reload()`; a slower earlier load never overwrites a later one. */
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

const STATE_TEXT: Record<MessageState, string> = {
  queued: 'Queued',
  sent: 'Sent',
  delivered: 'Delivered',
};

/** How often the route of an open connection is read again (ICE may move to another pair). */
const ROUTE_REFRESH_MS = 5_000;

/** How a message went, in words: said beside the time. */
const ROUTE_TEXT: Record<MessageRoute, string> = {
  direct: 'direct',
  relayed: 'relayed',
  mailbox: 'via mailbox',
};

/**
 * One conversation: who it is and whether they are verified, the connection state, the history
 * with time and delivery state, the box to write, the security log, and the protocol inspector.
 * A pending key change blocks the conversation behind a warning until it is accepted or refused.
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

  const [draft, setDraft] = createSignal('');
  const [problem, setProblem] = createSignal('');
  const [showInspector, setShowInspector] = createSignal(false);

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

  const send = async (event: SubmitEvent) => {
    event.preventDefault();
    const body = draft();
    if (body.trim() === '') return;
    setProblem('');
    setDraft(''); // at once: the next message may be typed while this one is stored and sent
    try {
      await messenger.send(props.contactId, body);
    } catch (e) {
      setProblem(errorText(e));
      if (draft() === '') setDraft(body); // not sent: give the text back
    }
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
        <section aria-labelledby="chat-heading" class="page chat">
          <div class="page-head">
            <button type="button" class="back" onClick={() => app.actions.show({ name: 'home' })}>
              Back to conversations
            </button>
            <h2 id="chat-heading">
              Chat with {c().name}
              <Show when={c().tellApart}>{(t) => <span class="tell-apart"> ({t()})</span>}</Show>
            </h2>
          </div>
          <ContactNameNotice contact={c()} />
          <p class="trust">
            <span
              class={c().verified && !c().keyChangePending ? 'badge ok' : 'badge'}
              data-testid="verified-state"
            >
              {c().keyChangePending ? 'New key: not verified' : c().verified ? 'Verified' : 'Not verified'}
            </span>{' '}
            <button type="button" onClick={() => app.actions.show({ name: 'safety', contactId: c().id })}>
              Safety number
            </button>{' '}
            <button type="button" aria-expanded={showInspector()} onClick={() => setShowInspector((v) => !v)}>
              Inspector
            </button>
          </p>
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
          <Show when={problem()}>
            <p role="alert">{problem()}</p>
          </Show>
          <ol class="messages" aria-label="Messages">
            <For each={history.value()}>
              {(m) => (
                <li classList={{ mine: m.direction === 'out' }}>
                  <span class="who">{m.direction === 'out' ? 'You' : c().name}</span>{' '}
                  <time dateTime={timeAttribute(m.sentAt)}>{formatTime(m.sentAt, 'time')}</time>
                  <Show when={m.route}>
                    {(route) => (
                      <span class="route" data-route={route()}>
                        {' '}
                        {ROUTE_TEXT[route()]}
                      </span>
                    )}
                  </Show>
                  <p class="body">{m.body}</p>
                  <Show when={m.direction === 'out'}>
                    <span class="state" data-state={m.state}>
                      {STATE_TEXT[m.state]}
                    </span>
                  </Show>
                </li>
              )}
            </For>
          </ol>
          <form class="composer" onSubmit={(e) => void send(e)}>
            <label>
              Message
              <textarea
                value={draft()}
                onInput={(e) => setDraft(e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && !e.shiftKey) {
                    e.preventDefault();
                    e.currentTarget.form?.requestSubmit();
                  }
                }}
                rows={2}
                disabled={c().keyChangePending}
                autocomplete="off"
              />
            </label>
            <button type="submit" class="primary" disabled={c().keyChangePending}>
              Send
            </button>
          </form>
          <SecurityLog events={events.value()} />
          <Show when={showInspector()}>
            <Suspense fallback={<p role="status">Loading the inspector…</p>}>
              <InspectorPanel contactId={c().id} events={events.value()} />
            </Suspense>
          </Show>
        </section>
      )}
    </Show>
  );
}

import { Show, createEffect, createSignal, onCleanup } from 'solid-js';
import type { LiveConversation } from '../../app/messenger-api';
import { ROUTE_EXPLANATIONS, ROUTE_NAMES, routeOfTransport, type RouteKind } from '../../rtc/route-kind';
import type { ContactView } from '../stores/contact-views';
import * as text from '../strings/chat';

/** How often the route of an open connection is read again (ICE may move to another pair). */
const ROUTE_REFRESH_MS = 5_000;

/** The connection in a sentence: open, or why not and what happens to what the person writes. */
function connectionText(live: LiveConversation | undefined, contact: ContactView): string {
  if (live?.state === 'open') return text.connectedSecurely;
  switch (contact.reach.state) {
    case 'connecting':
      return text.connecting;
    case 'waiting':
      return text.offlineWaiting;
    case 'retrying':
      return text.offlineRetrying;
    case 'blocked':
      return text.blockedByKeyChange;
    case 'paused':
      return text.pausedByInterception;
    case 'no-server':
      return text.offlineNoServer;
    default:
      // closeReason is always our own sentence (never the peer's words).
      return live ? text.disconnected(live.closeReason ?? text.connectionEnded) : text.offline;
  }
}

/**
 * The chat's header: back to the list, who (their name, "Chat with" for screen readers, a tag when
 * two names look alike), verified or not, the safety number and the inspector, the connection in a
 * sentence with the route an open one takes (Direct, Relayed (TURN), Relayed (SecMsg), read from
 * its stats now and again), and the contact's typing line.
 */
export function ChatHeader(props: {
  contact: ContactView;
  live: LiveConversation | undefined;
  peerTyping: boolean;
  inspectorOpen: boolean;
  heading: (el: HTMLHeadingElement) => void;
  onBack: () => void;
  onSafety: () => void;
  onInspector: () => void;
}) {
  const [route, setRoute] = createSignal<RouteKind | undefined>();
  createEffect(() => {
    const l = props.live;
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
  const c = () => props.contact;

  return (
    <header class="chat-head">
      <button type="button" class="back" onClick={() => props.onBack()}>
        <span aria-hidden="true">‹</span>
        <span class="visually-hidden">{text.backToConversations}</span>
      </button>
      <div class="chat-title">
        <h2 id="chat-heading" tabindex="-1" ref={(el) => props.heading(el)}>
          <span class="visually-hidden">{text.chatWith}</span>
          {c().name}
          <Show when={c().tellApart}>{(t) => <span class="tell-apart">{text.tellApart(t())}</span>}</Show>
        </h2>
        <span
          class={c().verified && !c().keyChangePending ? 'badge ok' : 'badge'}
          data-testid="verified-state"
        >
          {c().keyChangePending ? text.newKeyNotVerified : c().verified ? text.verified : text.notVerified}
        </span>
      </div>
      <div class="chat-actions">
        <button type="button" onClick={() => props.onSafety()}>
          {text.safetyNumber}
        </button>
        <button type="button" aria-expanded={props.inspectorOpen} onClick={() => props.onInspector()}>
          {text.inspector}
        </button>
      </div>
      <p role="status" data-testid="connection-state" class="connection">
        {connectionText(props.live, c())}
        <Show when={props.live?.state === 'open' && route()}>
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
      <p class="typing">{props.peerTyping ? text.typing(c().name) : ''}</p>
    </header>
  );
}

import { Match, Show, Suspense, Switch, createEffect, lazy, on, onCleanup, onMount } from 'solid-js';
import { isInviteLink } from '../app/invite-link';
import { PROTOCOL_VERSION_LABEL } from '../protocol/version';
import { announcement } from './announcer';
import { useApp } from './app-context';
import { ScreenBoundary } from './components/ScreenBoundary';
import { UpdatePrompt } from './components/UpdatePrompt';
import { ConversationsView, preloadChat } from './pages/ConversationsView';
import * as text from './strings/app';

// Screens not needed to show the conversation list load when first opened (and are precached by
// the service worker, so this works offline too): pairing brings WebRTC, the invite codes and the
// QR scanner with it. The chat loads the same way (ConversationsView.tsx), fetched once the list is up.
const FirstRunPage = lazy(async () => ({ default: (await import('./pages/FirstRunPage')).FirstRunPage }));
const PairPage = lazy(async () => ({ default: (await import('./pages/PairPage')).PairPage }));
const SafetyPage = lazy(async () => ({ default: (await import('./pages/SafetyPage')).SafetyPage }));
const SettingsPage = lazy(async () => ({ default: (await import('./pages/SettingsPage')).SettingsPage }));

/** Frames to wait for a new screen's heading (its code may still be loading). */
const HEADING_WAIT_FRAMES = 60;

/**
 * After the screen changed: if the focus was left on nothing (the control that was pressed is gone),
 * it goes to the new screen's heading, so that the keyboard and screen readers carry on from the
 * new screen rather than from the top of the page. A screen that places the focus itself (the
 * chat, the list coming back from a chat) is left alone.
 */
function focusNewScreen(): void {
  let frames = 0;
  const attempt = () => {
    if (document.activeElement !== null && document.activeElement !== document.body) return;
    const heading = document.querySelector<HTMLElement>('main h2');
    if (!heading) {
      if (++frames < HEADING_WAIT_FRAMES) requestAnimationFrame(attempt);
      return;
    }
    if (!heading.hasAttribute('tabindex')) heading.tabIndex = -1;
    heading.focus();
  };
  requestAnimationFrame(attempt);
}

/**
 * The app shell: header and navigation, the screen for the current view, a footer line, and the
 * app's one live region (announcer.ts). The list and the chat fill the window (ConversationsView);
 * on a phone an open chat has the whole screen, without the header and footer. An opened invite
 * link (`#join=…`) is taken out of the address bar at once and leads to pairing as soon as the
 * identity is ready.
 */
export function App() {
  const app = useApp();
  let pendingInvite: string | undefined;

  const takeInviteFromAddress = () => {
    if (!isInviteLink(location.hash)) return;
    pendingInvite = location.href;
    history.replaceState(null, '', location.pathname + location.search); // the secret leaves the address bar
    if (app.state.phase === 'ready') openPendingInvite();
  };
  const openPendingInvite = () => {
    if (pendingInvite === undefined) return;
    app.actions.show({ name: 'pair', invite: pendingInvite });
    pendingInvite = undefined;
  };
  onMount(() => {
    takeInviteFromAddress();
    window.addEventListener('hashchange', takeInviteFromAddress);
    onCleanup(() => window.removeEventListener('hashchange', takeInviteFromAddress));
    void app.actions.start();
  });
  // Once the identity is ready (loaded, or made on the first run), an opened invite leads to pairing.
  createEffect(() => {
    if (app.state.phase === 'ready') openPendingInvite();
  });
  // Once ready, the chat's code comes next (idle), so a tap on a contact opens it at once.
  createEffect(() => {
    if (app.state.phase === 'ready') preloadChat();
  });
  // The button that led to another screen may have gone with its screen: the focus goes on.
  createEffect(on(() => [app.state.phase, app.state.view.name], focusNewScreen, { defer: true }));

  const view = () => app.state.view;
  const listOrChat = () => view().name === 'home' || view().name === 'chat';
  return (
    <div
      class="app"
      classList={{
        'fills-window': app.state.phase === 'ready' && listOrChat(),
        'chat-open': app.state.phase === 'ready' && view().name === 'chat',
      }}
    >
      <header class="topbar">
        <h1>{text.appName}</h1>
        <Show when={app.state.phase === 'ready'}>
          <nav aria-label={text.mainNavigation}>
            <button
              type="button"
              aria-current={view().name === 'home' ? 'page' : undefined}
              onClick={() => app.actions.show({ name: 'home' })}
            >
              {text.conversations}
            </button>
            <button
              type="button"
              aria-current={view().name === 'pair' ? 'page' : undefined}
              onClick={() => app.actions.show({ name: 'pair' })}
            >
              {text.pair}
            </button>
            <button
              type="button"
              aria-current={view().name === 'settings' ? 'page' : undefined}
              onClick={() => app.actions.show({ name: 'settings' })}
            >
              {text.settings}
            </button>
          </nav>
        </Show>
      </header>
      <UpdatePrompt />
      <main>
        {/* Each screen has its own boundary; this one catches whatever else fails in between. */}
        <ScreenBoundary>
          <Switch>
            <Match when={app.state.phase === 'loading'}>
              <p role="status">{text.openingIdentity}</p>
            </Match>
            <Match when={app.state.phase === 'other-tab'}>
              <section aria-labelledby="other-tab-heading" class="page narrow">
                <h2 id="other-tab-heading">{text.otherTabHeading}</h2>
                <p role="status">{text.otherTabText}</p>
              </section>
            </Match>
            <Match when={app.state.phase === 'failed'}>
              <section aria-labelledby="failed-heading" class="page narrow">
                <h2 id="failed-heading">{text.failedHeading}</h2>
                <p role="alert">{app.state.problem}</p>
                <p>{text.failedText}</p>
                <p>
                  <button type="button" class="primary" onClick={() => void app.actions.start()}>
                    {text.tryAgain}
                  </button>{' '}
                  <button type="button" onClick={() => location.reload()}>
                    {text.reload}
                  </button>
                </p>
              </section>
            </Match>
            <Match when={app.state.phase === 'first-run'}>
              <ScreenBoundary>
                <Suspense fallback={<p role="status">{text.loading}</p>}>
                  <FirstRunPage />
                </Suspense>
              </ScreenBoundary>
            </Match>
            <Match when={app.state.phase === 'unreadable'}>
              <ScreenBoundary>
                <Suspense fallback={<p role="status">{text.loading}</p>}>
                  <FirstRunPage unreadable={app.state.problem} />
                </Suspense>
              </ScreenBoundary>
            </Match>
            <Match when={app.state.phase === 'ready'}>
              <Suspense fallback={<p role="status">{text.loading}</p>}>
                <Switch>
                  <Match when={listOrChat()}>
                    <ConversationsView />
                  </Match>
                  <Match when={view().name === 'pair' && (view() as { invite?: string })}>
                    {(v) => (
                      <ScreenBoundary>
                        <PairPage {...(v().invite === undefined ? {} : { invite: v().invite })} />
                      </ScreenBoundary>
                    )}
                  </Match>
                  <Match when={view().name === 'safety' && (view() as { contactId: string }).contactId} keyed>
                    {(id) => (
                      <ScreenBoundary>
                        <SafetyPage contactId={id} />
                      </ScreenBoundary>
                    )}
                  </Match>
                  <Match when={view().name === 'settings'}>
                    <ScreenBoundary>
                      <SettingsPage />
                    </ScreenBoundary>
                  </Match>
                </Switch>
              </Suspense>
            </Match>
          </Switch>
        </ScreenBoundary>
      </main>
      <footer>
        <p>{text.footer(PROTOCOL_VERSION_LABEL)}</p>
      </footer>
      <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="announcements">
        {announcement()}
      </div>
    </div>
  );
}

import { Match, Show, Suspense, Switch, createEffect, lazy, onCleanup, onMount } from 'solid-js';
import { isInviteLink } from '../app/invite-link';
import { PROTOCOL_VERSION_LABEL } from '../protocol/version';
import { announcement } from './announcer';
import { useApp } from './app-context';
import { ScreenBoundary } from './components/ScreenBoundary';
import { UpdatePrompt } from './components/UpdatePrompt';
import { ConversationsView, preloadChat } from './pages/ConversationsView';

// Screens not needed to show the conversation list load when first opened (and are precached by
// the service worker, so this works offline too): pairing brings WebRTC, the invite codes and the
// QR scanner with it. The chat loads the same way (ConversationsView.tsx), fetched once the list is up.
const FirstRunPage = lazy(async () => ({ default: (await import('./pages/FirstRunPage')).FirstRunPage }));
const PairPage = lazy(async () => ({ default: (await import('./pages/PairPage')).PairPage }));
const SafetyPage = lazy(async () => ({ default: (await import('./pages/SafetyPage')).SafetyPage }));
const SettingsPage = lazy(async () => ({ default: (await import('./pages/SettingsPage')).SettingsPage }));

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
        <h1>SecMsg</h1>
        <Show when={app.state.phase === 'ready'}>
          <nav aria-label="Main">
            <button
              type="button"
              aria-current={view().name === 'home' ? 'page' : undefined}
              onClick={() => app.actions.show({ name: 'home' })}
            >
              Conversations
            </button>
            <button
              type="button"
              aria-current={view().name === 'pair' ? 'page' : undefined}
              onClick={() => app.actions.show({ name: 'pair' })}
            >
              Pair
            </button>
            <button
              type="button"
              aria-current={view().name === 'settings' ? 'page' : undefined}
              onClick={() => app.actions.show({ name: 'settings' })}
            >
              Settings
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
              <p role="status">Opening your saved identity…</p>
            </Match>
            <Match when={app.state.phase === 'other-tab'}>
              <section aria-labelledby="other-tab-heading" class="page narrow">
                <h2 id="other-tab-heading">SecMsg is open in another tab</h2>
                <p role="status">
                  Only one tab can use your identity at a time, so that no message is sent or stored twice.
                  Use the other tab, or close it: this one takes over at once.
                </p>
              </section>
            </Match>
            <Match when={app.state.phase === 'failed'}>
              <section aria-labelledby="failed-heading" class="page narrow">
                <h2 id="failed-heading">SecMsg could not open its storage</h2>
                <p role="alert">{app.state.problem}</p>
                <p>
                  Nothing was changed or deleted. If the browser was busy, trying again may be enough; a
                  reload loads the newest version of SecMsg.
                </p>
                <p>
                  <button type="button" class="primary" onClick={() => void app.actions.start()}>
                    Try again
                  </button>{' '}
                  <button type="button" onClick={() => location.reload()}>
                    Reload
                  </button>
                </p>
              </section>
            </Match>
            <Match when={app.state.phase === 'first-run'}>
              <ScreenBoundary>
                <Suspense fallback={<p role="status">Loading…</p>}>
                  <FirstRunPage />
                </Suspense>
              </ScreenBoundary>
            </Match>
            <Match when={app.state.phase === 'unreadable'}>
              <ScreenBoundary>
                <Suspense fallback={<p role="status">Loading…</p>}>
                  <FirstRunPage unreadable={app.state.problem} />
                </Suspense>
              </ScreenBoundary>
            </Match>
            <Match when={app.state.phase === 'ready'}>
              <Suspense fallback={<p role="status">Loading…</p>}>
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
        <p>Protocol {PROTOCOL_VERSION_LABEL}. Messages go directly between devices, end-to-end encrypted.</p>
      </footer>
      <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="announcements">
        {announcement()}
      </div>
    </div>
  );
}

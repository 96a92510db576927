import {
  Match,
  Show,
  Suspense,
  Switch,
  createEffect,
  createResource,
  lazy,
  onCleanup,
  onMount,
} from 'solid-js';
import { isInviteLink } from '../app/invite-link';
import { PROTOCOL_VERSION_LABEL } from '../protocol/version';
import { useApp } from './app-context';
import { ScreenBoundary } from './components/ScreenBoundary';
import { UpdatePrompt } from './components/UpdatePrompt';
import { HomePage } from './pages/HomePage';

// Screens not needed to show the conversation list load when first opened (and are precached by
// the service worker, so this works offline too): pairing brings WebRTC, the invite codes and the
// QR scanner with it.
// The chat (with its name notices and security log) and the first-run page load when first shown
// too; the chat's code is fetched as soon as the list is up, so opening one does not wait.
const loadChatPage = async () => ({ default: (await import('./pages/ChatPage')).ChatPage });
const ChatPage = lazy(loadChatPage);
const FirstRunPage = lazy(async () => ({ default: (await import('./pages/FirstRunPage')).FirstRunPage }));
const PairPage = lazy(async () => ({ default: (await import('./pages/PairPage')).PairPage }));
const SafetyPage = lazy(async () => ({ default: (await import('./pages/SafetyPage')).SafetyPage }));
const SettingsPage = lazy(async () => ({ default: (await import('./pages/SettingsPage')).SettingsPage }));

/**
 * The app shell: header and navigation, the screen for the current view, and the self-test line.
 * An opened invite link (`#join=…`) is taken out of the address bar at once and leads to pairing
 * as soon as the identity is ready.
 */
const SELF_TEST_DELAY_MS = 3_000;

export function App() {
  const app = useApp();
  // The self-test (two safety numbers: ~20,000 SHA-512 calls) waits until the app is up and its
  // connections have had their start, so that it never delays them.
  const [selfTest] = createResource(async () => {
    await new Promise((resolve) => setTimeout(resolve, SELF_TEST_DELAY_MS));
    return (await import('../app/self-test')).runSelfTest();
  });
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
    if (app.state.phase === 'ready') void loadChatPage().catch(() => undefined);
  });

  const view = () => app.state.view;
  return (
    <div class="app">
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
                  <Match when={view().name === 'home'}>
                    <ScreenBoundary>
                      <HomePage />
                    </ScreenBoundary>
                  </Match>
                  <Match when={view().name === 'pair' && (view() as { invite?: string })}>
                    {(v) => (
                      <ScreenBoundary>
                        <PairPage {...(v().invite === undefined ? {} : { invite: v().invite })} />
                      </ScreenBoundary>
                    )}
                  </Match>
                  <Match when={view().name === 'chat' && (view() as { contactId: string }).contactId} keyed>
                    {(id) => (
                      <ScreenBoundary>
                        <ChatPage contactId={id} />
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
        <p data-testid="self-test">
          <Show when={!selfTest.loading} fallback="Checking the secure session core…">
            <Show
              when={!selfTest.error && selfTest()}
              fallback={`The self-test failed: ${String((selfTest.error as Error | undefined)?.message ?? 'unknown error')}`}
            >
              {(r) =>
                r().messageDelivered && r().safetyNumbersMatch
                  ? `Secure session core works: handshake in ${r().handshakeMs.toFixed(1)} ms, X25519 via ${r().backend === 'webcrypto' ? 'WebCrypto' : '@noble/curves'}.`
                  : 'The self-test failed: the message or the safety numbers did not match.'
              }
            </Show>
          </Show>
        </p>
      </footer>
    </div>
  );
}

import { Show, createResource, createSignal } from 'solid-js';
import { loadConfig, parseIceServers, saveConfig } from '../app/config';
import { createIdentity, type Connected } from '../app/connect';
import { runSelfTest } from '../app/self-test';
import { PROTOCOL_VERSION_LABEL } from '../protocol/version';
import type { SessionIdentity } from '../protocol/session';
import { Chat } from './components/Chat';
import { Pairing } from './components/Pairing';

/**
 * The minimal pair-and-chat page (the full app with stored identity and contacts comes next):
 * a name, pairing by link or code, then the chat with the safety number.
 */
export function App() {
  const config = loadConfig();
  const [name, setName] = createSignal('');
  const [connection, setConnection] = createSignal<Connected>();
  const [signalingUrl, setSignalingUrl] = createSignal(config.signalingUrl);
  const [iceText, setIceText] = createSignal(JSON.stringify(config.iceServers));
  const [settingsNote, setSettingsNote] = createSignal('');
  const [selfTest] = createResource(runSelfTest);
  let identity: Promise<SessionIdentity> | undefined;
  // One identity for this page's lifetime; it is not stored yet.
  const getIdentity = async () => (identity ??= createIdentity(name().trim() || 'Anonymous'));

  const saveSettings = (e: SubmitEvent) => {
    e.preventDefault();
    const ice = parseIceServers(iceText());
    if (!ice) {
      setSettingsNote('The ICE servers must be a JSON list like [{"urls":"stun:stun.example.org:3478"}].');
      return;
    }
    saveConfig({ signalingUrl: signalingUrl().trim(), iceServers: ice });
    setSettingsNote('Saved. Reload the page to use the new settings.');
  };

  return (
    <main>
      <h1>SecMsg</h1>
      <p>Private two-person chat straight from the browser. Protocol {PROTOCOL_VERSION_LABEL}.</p>
      <Show
        when={connection()}
        fallback={
          <>
            <label>
              Your name
              <input
                value={name()}
                onInput={(e) => setName(e.currentTarget.value)}
                maxLength={64}
                autocomplete="nickname"
              />
            </label>
            <Pairing identity={getIdentity} config={config} onConnected={setConnection} />
          </>
        }
      >
        {(c) => <Chat connection={c()} />}
      </Show>
      <details>
        <summary>Settings</summary>
        <form onSubmit={saveSettings}>
          <label>
            Signaling server
            <input value={signalingUrl()} onInput={(e) => setSignalingUrl(e.currentTarget.value)} />
          </label>
          <label>
            ICE servers (JSON)
            <input value={iceText()} onInput={(e) => setIceText(e.currentTarget.value)} />
          </label>
          <button type="submit">Save settings</button>
          <Show when={settingsNote()}>
            <p role="status">{settingsNote()}</p>
          </Show>
        </form>
      </details>
      <footer>
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
    </main>
  );
}

import { Show, createResource } from 'solid-js';
import { runSelfTest } from '../app/self-test';
import { PROTOCOL_VERSION_LABEL } from '../protocol/version';

/** Placeholder page until the pairing and chat screens land (issues 3 and 4). */
export function App() {
  const [result] = createResource(runSelfTest);
  return (
    <main>
      <h1>SecMsg</h1>
      <p>Private two-person chat straight from the browser. Protocol {PROTOCOL_VERSION_LABEL}.</p>
      <p>Pairing and chat are coming next; this build contains the secure session core.</p>
      <section aria-labelledby="self-test">
        <h2 id="self-test">Self-test on this device</h2>
        <p role="status">
          <Show when={!result.loading} fallback="Running the secure handshake…">
            <Show
              when={!result.error && result()}
              fallback={`The self-test failed: ${String((result.error as Error | undefined)?.message ?? 'unknown error')}`}
            >
              {(r) =>
                r().messageDelivered && r().safetyNumbersMatch
                  ? `Secure session core works: handshake in ${r().handshakeMs.toFixed(1)} ms, X25519 via ${r().backend === 'webcrypto' ? 'WebCrypto' : '@noble/curves'}.`
                  : 'The self-test failed: the message or the safety numbers did not match.'
              }
            </Show>
          </Show>
        </p>
      </section>
    </main>
  );
}

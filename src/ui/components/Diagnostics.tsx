import { Show, createResource } from 'solid-js';
import type { SelfTestResult } from '../../app/self-test';

/** One run a page: the self-test (two safety numbers, ~20,000 SHA-512 calls) is not repeated. */
let run: Promise<SelfTestResult> | undefined;
const selfTest = async (): Promise<SelfTestResult> =>
  (run ??= import('../../app/self-test').then(async (m) => m.runSelfTest()));

function resultText(r: SelfTestResult): string {
  return r.messageDelivered && r.safetyNumbersMatch
    ? `Secure session core works: handshake in ${r.handshakeMs.toFixed(1)} ms, X25519 via ${r.backend === 'webcrypto' ? 'WebCrypto' : '@noble/curves'}.`
    : 'The self-test failed: the message or the safety numbers did not match.';
}

/**
 * Settings → Diagnostics: the self-test of the secure session core in this browser (a full
 * handshake, a message both ways and the safety number, between two sessions in memory), run the
 * first time the section is shown, so that it never slows the app's start or its connections.
 */
export function Diagnostics() {
  const [result] = createResource(selfTest);
  return (
    <section aria-labelledby="diagnostics-heading">
      <h3 id="diagnostics-heading">Diagnostics</h3>
      <p data-testid="self-test">
        <Show when={!result.loading} fallback="Checking the secure session core…">
          <Show
            when={!result.error && result()}
            fallback={`The self-test failed: ${String((result.error as Error | undefined)?.message ?? 'unknown error')}`}
          >
            {(r) => resultText(r())}
          </Show>
        </Show>
      </p>
      <p class="note">
        Two sessions on this device run the full handshake, exchange a message and compare safety numbers,
        without the network: this shows that the encryption works in this browser.
      </p>
    </section>
  );
}

import { Show, createResource } from 'solid-js';
import type { SelfTestResult } from '../../app/self-test';
import * as text from '../strings/diagnostics';

/** One run a page: the self-test (two safety numbers, ~20,000 SHA-512 calls) is not repeated. */
let run: Promise<SelfTestResult> | undefined;
const selfTest = async (): Promise<SelfTestResult> =>
  (run ??= import('../../app/self-test').then(async (m) => m.runSelfTest()));

function resultText(r: SelfTestResult): string {
  return r.messageDelivered && r.safetyNumbersMatch ? text.works(r.handshakeMs, r.backend) : text.mismatch;
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
      <h3 id="diagnostics-heading">{text.heading}</h3>
      <p data-testid="self-test">
        <Show when={!result.loading} fallback={text.checking}>
          <Show
            when={!result.error && result()}
            fallback={text.failed((result.error as Error | undefined)?.message)}
          >
            {(r) => resultText(r())}
          </Show>
        </Show>
      </p>
      <p class="note">{text.about}</p>
    </section>
  );
}

import { Show } from 'solid-js';
import type { ContactView } from '../stores/contact-views';
import * as text from '../strings/chat';

/**
 * What blocks a conversation until the person decides, above its history: a pending key change
 * (accept the new key, or refuse it and disconnect), and reconnecting paused after an attempt that
 * looked like interception (try again). Calm words: what happened, what it can mean, what to do.
 */
export function ChatWarnings(props: {
  contact: ContactView;
  onAccept: () => void;
  onRefuse: () => void;
  onResume: () => void;
}) {
  const c = () => props.contact;
  return (
    <>
      <Show when={c().keyChangePending}>
        <div class="key-change" role="alert" aria-labelledby="key-change-heading">
          <h3 id="key-change-heading">{text.keyChangedHeading(c().name)}</h3>
          <p>{text.keyChangedText(c().name)}</p>
          <Show when={c().pendingAnnouncedName}>{(n) => <p>{text.newKeyCallsItself(n())}</p>}</Show>
          <button type="button" class="primary" onClick={() => props.onAccept()}>
            {text.acceptNewKey}
          </button>{' '}
          <button type="button" onClick={() => props.onRefuse()}>
            {text.refuseAndDisconnect}
          </button>
        </div>
      </Show>
      <Show when={c().reconnectPaused}>
        {(reason) => (
          <div class="key-change" role="alert" aria-labelledby="paused-heading">
            <h3 id="paused-heading">{text.possibleInterception}</h3>
            <p>{text.pausedText(reason())}</p>
            <button type="button" onClick={() => props.onResume()}>
              {text.tryAgain}
            </button>
          </div>
        )}
      </Show>
    </>
  );
}

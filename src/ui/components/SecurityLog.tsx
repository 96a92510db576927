import { For, Show } from 'solid-js';
import type { SecurityEvent } from '../../store/security-event-types';
import { formatTime, timeAttribute } from '../format-time';
import * as text from '../strings/security-log';

/** A contact's security log, oldest first, as text. */
export function SecurityLog(props: { events: readonly SecurityEvent[] }) {
  return (
    <details class="security-log" open={props.events.some((e) => e.kind !== 'paired')}>
      <summary>{text.summary(props.events.length)}</summary>
      <Show when={props.events.length > 0} fallback={<p>{text.nothingYet}</p>}>
        <ol aria-label={text.securityLog}>
          <For each={props.events}>
            {(e) => (
              <li data-kind={e.kind}>
                <time dateTime={timeAttribute(e.at)}>{formatTime(e.at)}</time> {e.detail}
              </li>
            )}
          </For>
        </ol>
      </Show>
    </details>
  );
}

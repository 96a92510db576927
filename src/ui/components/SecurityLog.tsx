import { For, Show } from 'solid-js';
import type { SecurityEvent } from '../../store/types';
import { formatTime, timeAttribute } from '../format-time';

/** A contact's security log, oldest first, as text. */
export function SecurityLog(props: { events: readonly SecurityEvent[] }) {
  return (
    <details class="security-log" open={props.events.some((e) => e.kind !== 'paired')}>
      <summary>Security log ({props.events.length})</summary>
      <Show when={props.events.length > 0} fallback={<p>Nothing yet.</p>}>
        <ol aria-label="Security log">
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

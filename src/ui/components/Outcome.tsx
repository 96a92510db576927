import { Show } from 'solid-js';

/**
 * What an action under a form came to: a note (a status line) when it worked, a problem (an alert)
 * when it did not. Either may be empty, and then nothing is shown.
 */
export function Outcome(props: { note: string; problem: string }) {
  return (
    <>
      <Show when={props.note}>
        <p role="status">{props.note}</p>
      </Show>
      <Show when={props.problem}>
        <p role="alert">{props.problem}</p>
      </Show>
    </>
  );
}

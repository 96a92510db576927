import { createSignal } from 'solid-js';
import * as text from '../strings/copy-button';

/** Copies `text` to the clipboard and says so; where the clipboard is refused, says that instead. */
export function CopyButton(props: { text: string; label: string }) {
  const [note, setNote] = createSignal('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setNote(text.copied);
    } catch {
      setNote(text.copyRefused);
    }
  };
  return (
    <span class="copy">
      <button type="button" onClick={() => void copy()}>
        {props.label}
      </button>
      <span role="status" class="note">
        {note()}
      </span>
    </span>
  );
}

import { createSignal } from 'solid-js';

/** Copies `text` to the clipboard and says so; where the clipboard is refused, says that instead. */
export function CopyButton(props: { text: string; label: string }) {
  const [note, setNote] = createSignal('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setNote('Copied.');
    } catch {
      setNote('The browser did not allow copying: select the text and copy it by hand.');
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

import * as text from '../strings/files';

/**
 * The composer's "Attach a file" button: it opens the browser's file chooser (a hidden
 * <input type="file">, any type, several at once: hidden, so that it is neither a second button
 * for assistive technology nor a tab stop) and hands each chosen file to `send`, one after the
 * other, in the order chosen. `send` reports its own failures (the composer shows them).
 */
export function AttachButton(props: { disabled: boolean; send: (file: File) => Promise<void> }) {
  let input: HTMLInputElement | undefined;
  const chosen = async (el: HTMLInputElement) => {
    const files = [...(el.files ?? [])];
    el.value = ''; // the same file can be chosen again
    for (const file of files) await props.send(file);
  };
  return (
    <>
      <input
        ref={(el) => (input = el)}
        type="file"
        multiple
        hidden
        aria-label={text.chooseFile}
        disabled={props.disabled}
        onChange={(e) => void chosen(e.currentTarget)}
      />
      <button
        type="button"
        class="attach"
        aria-label={text.attachFile}
        title={text.attachFile}
        disabled={props.disabled}
        onClick={() => input?.click()}
      >
        <span aria-hidden="true">📎</span>
      </button>
    </>
  );
}

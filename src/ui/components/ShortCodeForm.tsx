import { For, createMemo, createSignal, createUniqueId } from 'solid-js';
import { wordsStartingWith } from '../../protocol/short-code-words';
import * as text from '../strings/short-code';

/**
 * Where a person types the short code read out to them, with completion from the word list: the
 * word being typed is offered whole (a datalist of the code so far with each matching word).
 */
export function ShortCodeForm(props: { disabled?: boolean; onSubmit: (code: string) => void }) {
  const [value, setValue] = createSignal('');
  const listId = createUniqueId();
  const hintId = createUniqueId();
  const completions = createMemo(() => {
    const typed = value();
    const match = /^(\s*\d+[\s\-.]+)([^\s\-.]*)$|^(\s*\d+[\s\-.]+[^\s\-.]+[\s\-.]+)([^\s\-.]*)$/u.exec(typed);
    if (!match) return [];
    const [before, partial, position] =
      match[1] !== undefined
        ? [match[1], match[2] ?? '', 0 as const]
        : [match[3] ?? '', match[4] ?? '', 1 as const];
    if (!partial) return [];
    const stem = before.trim().replace(/[\s.]+/gu, '-');
    return wordsStartingWith(partial, position).map((w) => `${stem}${stem.endsWith('-') ? '' : '-'}${w}`);
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit(value());
      }}
    >
      <label>
        {text.typeCode}
        <input
          value={value()}
          onInput={(e) => setValue(e.currentTarget.value)}
          list={listId}
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          aria-describedby={hintId}
          data-testid="short-code-input"
        />
      </label>
      <datalist id={listId}>
        <For each={completions()}>{(option) => <option value={option} />}</For>
      </datalist>
      <p class="note" id={hintId}>
        {text.codeHint}
      </p>
      <button type="submit" disabled={props.disabled}>
        {text.pair}
      </button>
    </form>
  );
}

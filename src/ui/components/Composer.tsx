import { createSignal, type JSX } from 'solid-js';
import type { VoiceNote } from '../../app/media/voice-recorder';
import { useApp } from '../app-context';
import { errorText } from '../errors';
import { coarsePointer } from '../motion';
import * as text from '../strings/chat';
import * as fileText from '../strings/files';
import { AttachButton } from './AttachButton';
import { VoiceRecorderButton } from './VoiceRecorderButton';

/** A voice note's file name extension, from the recorder's type. */
function voiceExtension(mime: string): string {
  if (/^audio\/ogg/i.test(mime)) return 'ogg';
  if (/^audio\/mp4/i.test(mime)) return 'm4a';
  return 'webm';
}

/**
 * The box to write in, at the bottom of a chat. Enter sends and Shift+Enter makes a new line; on a
 * touch screen (coarse pointer) Enter makes a new line and the Send button sends, as in the
 * messengers on phones. The text goes at once, so the next message can be typed while this one is
 * stored; if sending fails, the text comes back (unless something new was typed) and `onProblem`
 * gets the sentence. `above` shows over the box (the message being replied to or edited), and
 * Escape calls `onCancel`; `onDraft` hears every change of the text (typing). Beside the box,
 * "Attach a file" and "Record a voice note" send files and voice notes to the open chat's contact
 * (the chat view's) through the messenger; their failures go to `onProblem` too.
 */
export function Composer(props: {
  disabled: boolean;
  send: (body: string) => Promise<void>;
  onProblem: (sentence: string) => void;
  textarea?: (el: HTMLTextAreaElement) => void;
  above?: JSX.Element;
  onCancel?: () => void;
  onDraft?: (draft: string) => void;
  /** Lets the chat put text in the box (the body of a message to edit). */
  setDraft?: (set: (draft: string) => void) => void;
}) {
  const [draft, setDraft] = createSignal('');
  props.setDraft?.((body) => setDraft(body));
  const app = useApp();

  const sendFile = async (file: Blob, options?: { name: string; voice: { durationMs: number } }) => {
    const view = app.state.view;
    const messenger = app.messenger();
    if (view.name !== 'chat' || !messenger) return;
    props.onProblem('');
    try {
      await messenger.sendFile(view.contactId, file, options);
    } catch (e) {
      props.onProblem(errorText(e));
    }
  };
  // The recorder's type carries its codec ("audio/webm;codecs=opus"); an offer names the bare type.
  const sendVoice = async (note: VoiceNote) =>
    sendFile(new Blob([note.blob], { type: note.mime.split(';')[0]!.trim() }), {
      name: `${fileText.voiceNoteFileName}.${voiceExtension(note.mime)}`,
      voice: { durationMs: note.durationMs },
    });

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const body = draft();
    if (body.trim() === '') return;
    props.onProblem('');
    setDraft(''); // at once: the next message may be typed while this one is stored and sent
    try {
      await props.send(body);
    } catch (e) {
      props.onProblem(errorText(e));
      if (draft() === '') setDraft(body); // not sent: give the text back
    }
  };

  const onKeyDown = (e: KeyboardEvent & { currentTarget: HTMLTextAreaElement }) => {
    if (e.key === 'Escape' && props.onCancel) {
      props.onCancel();
      return;
    }
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || coarsePointer()) return;
    e.preventDefault();
    e.currentTarget.form?.requestSubmit();
  };

  return (
    <form class="composer" onSubmit={(e) => void submit(e)}>
      <div class="composer-above">{props.above}</div>
      <AttachButton disabled={props.disabled} send={sendFile} />
      <label>
        <span class="visually-hidden">{text.message}</span>
        <textarea
          ref={(el) => props.textarea?.(el)}
          value={draft()}
          onInput={(e) => {
            setDraft(e.currentTarget.value);
            props.onDraft?.(e.currentTarget.value);
          }}
          onKeyDown={onKeyDown}
          rows={1}
          placeholder={text.message}
          enterkeyhint={coarsePointer() ? 'enter' : 'send'}
          disabled={props.disabled}
          autocomplete="off"
        />
      </label>
      <VoiceRecorderButton disabled={props.disabled} send={sendVoice} onProblem={props.onProblem} />
      <button type="submit" class="primary" disabled={props.disabled}>
        {text.send}
      </button>
    </form>
  );
}

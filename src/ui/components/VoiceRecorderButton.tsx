import { Match, Switch, createEffect, createSignal, onCleanup } from 'solid-js';
import { MediaError } from '../../app/media/errors';
import { type VoiceNote, createVoiceRecorder } from '../../app/media/voice-recorder';
import { errorText } from '../errors';
import * as text from '../strings/files';

/** How often the elapsed time is redrawn while recording. */
const TICK_MS = 250;

/** A media helper's sentence (the microphone's failures), or the app's words for anything else. */
function problemText(e: unknown): string {
  return MediaError.is(e) ? e.message : errorText(e);
}

/**
 * The composer's voice note: "Record a voice note" opens the microphone and records (the browser
 * asks for permission the first time); while recording, the elapsed time, "Stop and send the voice
 * note" (the note goes to `send`) and "Cancel the voice note" (nothing is kept). Leaving the chat,
 * or the composer becoming disabled, cancels a recording. Failures go to `onProblem` as sentences.
 */
export function VoiceRecorderButton(props: {
  disabled: boolean;
  send: (note: VoiceNote) => Promise<void>;
  onProblem: (sentence: string) => void;
}) {
  const recorder = createVoiceRecorder();
  const [phase, setPhase] = createSignal<'idle' | 'starting' | 'recording'>('idle');
  const [startedAt, setStartedAt] = createSignal(0);
  const [now, setNow] = createSignal(0);
  let timer: ReturnType<typeof setInterval> | undefined;
  const stopTimer = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  const start = async () => {
    props.onProblem('');
    setPhase('starting');
    try {
      await recorder.start();
    } catch (e) {
      setPhase('idle');
      if (!MediaError.is(e, 'CANCELLED')) props.onProblem(problemText(e));
      return;
    }
    const at = performance.now();
    setStartedAt(at);
    setNow(at);
    timer = setInterval(() => setNow(performance.now()), TICK_MS);
    setPhase('recording');
  };

  const stop = async () => {
    stopTimer();
    setPhase('idle');
    try {
      await props.send(await recorder.stop());
    } catch (e) {
      props.onProblem(problemText(e));
    }
  };

  const cancel = () => {
    stopTimer();
    recorder.cancel();
    setPhase('idle');
  };

  createEffect(() => {
    if (props.disabled && phase() !== 'idle') cancel();
  });
  onCleanup(cancel);

  return (
    <Switch>
      <Match when={phase() === 'idle'}>
        <button
          type="button"
          class="record"
          aria-label={text.recordVoiceNote}
          title={text.recordVoiceNote}
          disabled={props.disabled}
          onClick={() => void start()}
        >
          <span aria-hidden="true">🎤</span>
        </button>
      </Match>
      <Match when={phase() === 'starting'}>
        <span class="recording" role="status">
          {text.startingMicrophone}
        </span>
        <button type="button" onClick={cancel}>
          {text.cancelVoiceNote}
        </button>
      </Match>
      <Match when={phase() === 'recording'}>
        <span class="recording" role="timer">
          <span class="recording-dot" aria-hidden="true" />
          {text.recording(text.duration(Math.floor((now() - startedAt()) / 1000) * 1000))}
        </span>
        <button type="button" onClick={cancel}>
          {text.cancelVoiceNote}
        </button>
        <button type="button" class="primary" onClick={() => void stop()}>
          {text.stopAndSend}
        </button>
      </Match>
    </Switch>
  );
}

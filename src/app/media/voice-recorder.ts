/**
 * Records a voice note from the microphone: getUserMedia({ audio: true }) into a MediaRecorder
 * (MediaStream Recording, W3C), in the first of VOICE_MIME_TYPES the browser can write: Opus in
 * WebM (Chromium, Firefox), Opus in Ogg (Firefox), AAC in MP4 (Safari). The microphone's tracks
 * are stopped as soon as the note is stopped or cancelled, so the browser's "recording" light goes
 * out. Failures are MediaErrors with a sentence for the person; the code says which.
 *
 *   start() ──getUserMedia──▶ recording ──stop()──▶ { blob, mime, durationMs }
 *      │                          └────cancel()──▶ nothing kept
 *      └──cancel() while the microphone opens: start() rejects with CANCELLED
 */
import { MediaError } from './errors';

/** The formats tried, best first. */
export const VOICE_MIME_TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4'] as const;

export interface VoiceNote {
  blob: Blob;
  /** The recorder's type, e.g. "audio/webm;codecs=opus". */
  mime: string;
  durationMs: number;
}

export interface VoiceRecorder {
  start(): Promise<void>;
  stop(): Promise<VoiceNote>;
  cancel(): void;
  readonly recording: boolean;
}

/** The parts of MediaRecorder's constructor used here (tests pass a fake). */
export interface RecorderClass {
  new (stream: MediaStream, options?: MediaRecorderOptions): MediaRecorder;
  isTypeSupported(type: string): boolean;
}

export interface VoiceRecorderDeps {
  mediaDevices?: MediaDevices;
  now?: () => number;
  MediaRecorder?: RecorderClass;
}

/** getUserMedia's failures (Media Capture and Streams, 9.2 "getUserMedia") in words. */
function microphoneError(e: unknown): MediaError {
  const name = e instanceof Error || e instanceof DOMException ? e.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return new MediaError(
        'MIC_BLOCKED',
        "The microphone is not available: allow it in the browser's site settings.",
        { cause: e },
      );
    case 'NotFoundError':
    case 'OverconstrainedError':
      return new MediaError('NO_MIC', 'No microphone was found: connect one and try again.', { cause: e });
    case 'NotReadableError':
    case 'AbortError':
      return new MediaError(
        'MIC_BUSY',
        'The microphone could not be started: another app may be using it. Close it and try again.',
        { cause: e },
      );
    default:
      return new MediaError('RECORDING_FAILED', 'The microphone could not be started. Try again.', {
        cause: e,
      });
  }
}

interface Session {
  stream: MediaStream;
  recorder: MediaRecorder;
  mime: string;
  startedAt: number;
  /** When the recorder stopped by itself (the microphone went away), if it did. */
  endedAt: number | undefined;
  /** The recording, once the recorder has stopped. */
  done: Promise<Blob>;
}

const stopTracks = (stream: MediaStream) => stream.getTracks().forEach((track) => track.stop());

export function createVoiceRecorder(deps: VoiceRecorderDeps = {}): VoiceRecorder {
  const now = deps.now ?? (() => performance.now());
  let session: Session | undefined;
  /** Set while the microphone is being opened; cancel() clears it. */
  let opening: symbol | undefined;

  async function start(): Promise<void> {
    if (session || opening)
      throw new MediaError('ALREADY_RECORDING', 'A voice note is already being recorded.');
    const mediaDevices = deps.mediaDevices ?? globalThis.navigator?.mediaDevices;
    const Recorder = deps.MediaRecorder ?? (typeof MediaRecorder === 'undefined' ? undefined : MediaRecorder);
    if (typeof mediaDevices?.getUserMedia !== 'function')
      throw new MediaError(
        'NO_MIC',
        'This page cannot use a microphone: it needs a secure (https) address and a browser that records audio.',
      );
    const mime = Recorder && VOICE_MIME_TYPES.find((type) => Recorder.isTypeSupported(type));
    if (!Recorder || !mime) throw new MediaError('UNSUPPORTED', 'This browser cannot record voice notes.');

    const token = Symbol('opening');
    opening = token;
    let stream: MediaStream;
    try {
      stream = await mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      if (opening === token) opening = undefined;
      throw microphoneError(e);
    }
    if (opening !== token) {
      stopTracks(stream);
      throw new MediaError('CANCELLED', 'The voice note was cancelled.');
    }
    opening = undefined;

    try {
      const recorder = new Recorder(stream, { mimeType: mime });
      const chunks: Blob[] = [];
      const current: Session = {
        stream,
        recorder,
        mime,
        startedAt: now(),
        endedAt: undefined,
        done: Promise.resolve(new Blob()),
      };
      current.done = new Promise<Blob>((resolve, reject) => {
        recorder.addEventListener('dataavailable', (e) => {
          if (e.data.size > 0) chunks.push(e.data);
        });
        recorder.addEventListener('stop', () => {
          current.endedAt ??= now();
          resolve(new Blob(chunks, { type: recorder.mimeType || mime }));
        });
        recorder.addEventListener('error', (e) => {
          reject(
            new MediaError('RECORDING_FAILED', 'The recording stopped because of an error. Try again.', {
              cause: e.error ?? e,
            }),
          );
        });
      });
      // Cancelled sessions are never awaited: their failure is nobody's to report.
      current.done.catch(() => undefined);
      recorder.start();
      session = current;
    } catch (e) {
      stopTracks(stream);
      throw new MediaError('RECORDING_FAILED', 'The recording could not be started. Try again.', {
        cause: e,
      });
    }
  }

  async function stop(): Promise<VoiceNote> {
    const current = session;
    if (!current) throw new MediaError('NOT_RECORDING', 'No voice note is being recorded.');
    session = undefined;
    current.endedAt ??= now();
    try {
      if (current.recorder.state !== 'inactive') current.recorder.stop();
      const blob = await current.done;
      return {
        blob,
        mime: blob.type || current.mime,
        durationMs: Math.max(0, Math.round(current.endedAt - current.startedAt)),
      };
    } finally {
      stopTracks(current.stream);
    }
  }

  function cancel(): void {
    opening = undefined;
    const current = session;
    session = undefined;
    if (!current) return;
    try {
      if (current.recorder.state !== 'inactive') current.recorder.stop();
    } catch {
      // A recorder that refuses to stop is dropped all the same.
    }
    stopTracks(current.stream);
  }

  return {
    start,
    stop,
    cancel,
    get recording() {
      return session !== undefined && session.recorder.state === 'recording';
    },
  };
}

import { describe, expect, it } from 'vitest';
import { MediaError, type MediaErrorCode } from './errors';
import { createVoiceRecorder, type RecorderClass } from './voice-recorder';

/** A microphone track that remembers being stopped. */
class FakeTrack {
  stopped = false;
  stop() {
    this.stopped = true;
  }
}

function fakeStream() {
  const track = new FakeTrack();
  return { track, stream: { getTracks: () => [track] } as unknown as MediaStream };
}

/** getUserMedia answering with `answer()`; `calls` counts the requests. */
function fakeDevices(answer: () => Promise<MediaStream>) {
  const devices = {
    calls: 0,
    getUserMedia: async (constraints: MediaStreamConstraints) => {
      expect(constraints).toEqual({ audio: true });
      devices.calls++;
      return answer();
    },
  };
  return devices as typeof devices & MediaDevices;
}

/** A MediaRecorder that hands over one chunk when stopped. */
function fakeRecorderClass(supported: readonly string[]) {
  const made: FakeRecorder[] = [];
  class FakeRecorder extends EventTarget {
    state: RecordingState = 'inactive';
    readonly mimeType: string;
    constructor(
      readonly stream: MediaStream,
      options?: MediaRecorderOptions,
    ) {
      super();
      this.mimeType = options?.mimeType ?? '';
      made.push(this);
    }
    static isTypeSupported(type: string) {
      return supported.includes(type);
    }
    start() {
      this.state = 'recording';
    }
    stop() {
      this.state = 'inactive';
      queueMicrotask(() => {
        this.dispatchEvent(Object.assign(new Event('dataavailable'), { data: new Blob(['opus!']) }));
        this.dispatchEvent(new Event('stop'));
      });
    }
    fail() {
      this.dispatchEvent(Object.assign(new Event('error'), { error: new Error('encoder died') }));
    }
  }
  return { Recorder: FakeRecorder as unknown as RecorderClass, made };
}

async function rejection(p: Promise<unknown>): Promise<MediaError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!MediaError.is(e)) throw new Error(`expected a MediaError, got ${String(e)}`);
  return e;
}

describe('createVoiceRecorder', () => {
  it('records in the first supported type, stops the microphone, and measures the duration', async () => {
    const { track, stream } = fakeStream();
    const { Recorder, made } = fakeRecorderClass(['audio/ogg;codecs=opus', 'audio/mp4']);
    let clock = 1000;
    const recorder = createVoiceRecorder({
      mediaDevices: fakeDevices(async () => Promise.resolve(stream)),
      MediaRecorder: Recorder,
      now: () => clock,
    });
    expect(recorder.recording).toBe(false);
    await recorder.start();
    expect(recorder.recording).toBe(true);
    expect(made[0]?.mimeType).toBe('audio/ogg;codecs=opus');
    clock += 1234;
    const note = await recorder.stop();
    expect(note.mime).toBe('audio/ogg;codecs=opus');
    expect(note.durationMs).toBe(1234);
    expect(await note.blob.text()).toBe('opus!');
    expect(note.blob.type).toBe('audio/ogg;codecs=opus');
    expect(track.stopped).toBe(true);
    expect(recorder.recording).toBe(false);
    expect((await rejection(recorder.stop())).code).toBe('NOT_RECORDING');
  });

  it('cancel() stops the microphone and keeps nothing', async () => {
    const { track, stream } = fakeStream();
    const { Recorder } = fakeRecorderClass(['audio/webm;codecs=opus']);
    const recorder = createVoiceRecorder({
      mediaDevices: fakeDevices(async () => Promise.resolve(stream)),
      MediaRecorder: Recorder,
    });
    await recorder.start();
    recorder.cancel();
    expect(track.stopped).toBe(true);
    expect(recorder.recording).toBe(false);
    expect((await rejection(recorder.stop())).code).toBe('NOT_RECORDING');
  });

  it('cancel() while the microphone opens makes start() reject with CANCELLED and closes it', async () => {
    const { track, stream } = fakeStream();
    let grant: (s: MediaStream) => void = () => undefined;
    const { Recorder, made } = fakeRecorderClass(['audio/mp4']);
    const recorder = createVoiceRecorder({
      mediaDevices: fakeDevices(async () => new Promise((resolve) => (grant = resolve))),
      MediaRecorder: Recorder,
    });
    const started = recorder.start();
    await Promise.resolve();
    recorder.cancel();
    grant(stream);
    expect((await rejection(started)).code).toBe('CANCELLED');
    expect(track.stopped).toBe(true);
    expect(made).toHaveLength(0);
  });

  it('refuses a second start() while recording', async () => {
    const { Recorder } = fakeRecorderClass(['audio/mp4']);
    const devices = fakeDevices(async () => Promise.resolve(fakeStream().stream));
    const recorder = createVoiceRecorder({ mediaDevices: devices, MediaRecorder: Recorder });
    await recorder.start();
    expect((await rejection(recorder.start())).code).toBe('ALREADY_RECORDING');
    expect(devices.calls).toBe(1);
  });

  it.each<[string, MediaErrorCode, RegExp]>([
    [
      'NotAllowedError',
      'MIC_BLOCKED',
      /^The microphone is not available: allow it in the browser's site settings\.$/,
    ],
    ['NotFoundError', 'NO_MIC', /^No microphone was found/],
    ['NotReadableError', 'MIC_BUSY', /another app may be using it/],
    ['TypeError', 'RECORDING_FAILED', /^The microphone could not be started\. Try again\.$/],
  ])('getUserMedia failing with %s is %s, in a sentence', async (name, code, sentence) => {
    const { Recorder } = fakeRecorderClass(['audio/mp4']);
    const recorder = createVoiceRecorder({
      mediaDevices: fakeDevices(async () => Promise.reject(new DOMException('no', name))),
      MediaRecorder: Recorder,
    });
    const e = await rejection(recorder.start());
    expect(e.code).toBe(code);
    expect(e.message).toMatch(sentence);
    expect(recorder.recording).toBe(false);
  });

  it('says so when the browser records none of the types, or has no getUserMedia', async () => {
    const { Recorder } = fakeRecorderClass(['audio/wav']);
    const devices = fakeDevices(async () => Promise.resolve(fakeStream().stream));
    const unsupported = createVoiceRecorder({ mediaDevices: devices, MediaRecorder: Recorder });
    expect((await rejection(unsupported.start())).code).toBe('UNSUPPORTED');
    expect(devices.calls).toBe(0);
    const noDevices = createVoiceRecorder({ mediaDevices: {} as MediaDevices, MediaRecorder: Recorder });
    expect((await rejection(noDevices.start())).code).toBe('NO_MIC');
  });

  it('a recorder error makes stop() reject with RECORDING_FAILED and still closes the microphone', async () => {
    const { track, stream } = fakeStream();
    const { Recorder, made } = fakeRecorderClass(['audio/mp4']);
    const recorder = createVoiceRecorder({
      mediaDevices: fakeDevices(async () => Promise.resolve(stream)),
      MediaRecorder: Recorder,
    });
    await recorder.start();
    (made[0] as unknown as { fail(): void }).fail();
    expect((await rejection(recorder.stop())).code).toBe('RECORDING_FAILED');
    expect(track.stopped).toBe(true);
  });
});

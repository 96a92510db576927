import { Show, createSignal, onCleanup, onMount } from 'solid-js';
import { startQrCamera } from '../qr/camera';
import { decodeQrContentFromFile, type QrContent } from '../qr/decode';
import { QrScanError } from '../qr/errors';
import * as text from '../strings/qr';
import './QrScanner.css';

interface QrScannerCommonProps {
  /** The group's accessible name, shown as its legend (for example "Scan the invite"). */
  label: string;
  /**
   * Which codes count: others are skipped by the camera and refused, with a sentence, from a photo.
   * `text` is '' for a binary code (bytes that are not UTF-8 text).
   */
  accept?: (text: string, bytes: Uint8Array) => boolean;
}

/**
 * Where a code was read: live from the camera (in person), or from a picture file, which proves
 * the code but not the channel it came through (DESIGN.md, Identity and trust).
 */
export type QrSource = 'camera' | 'photo';

/**
 * Give `onResult` for a text code (an invite link), `onBytes` for a binary one (the 74-byte
 * safety-number code), or both; each is called once a code is read (by camera or from a photo)
 * that passes `accept`, with where it was read. `onResult` also gets the raw bytes.
 */
export type QrScannerProps = QrScannerCommonProps &
  (
    | {
        onResult: (text: string, bytes: Uint8Array, source: QrSource) => void;
        onBytes?: (bytes: Uint8Array, source: QrSource) => void;
      }
    | {
        onResult?: (text: string, bytes: Uint8Array, source: QrSource) => void;
        onBytes: (bytes: Uint8Array, source: QrSource) => void;
      }
  );

/**
 * Reads a QR code with the camera or from a photo, decoded locally by jsQR (no network, no
 * BarcodeDetector). Keyboard and screen-reader usable: real buttons, a labelled file input, a
 * status line (role="status") and failures as sentences (role="alert").
 */
export function QrScanner(props: QrScannerProps) {
  const [cameraOn, setCameraOn] = createSignal(false);
  const [status, setStatus] = createSignal('');
  const [error, setError] = createSignal('');
  let scanButton: HTMLButtonElement | undefined;
  let disposed = false;
  let photoRun = 0;
  onCleanup(() => {
    disposed = true;
  });

  const accepts = (text: string, bytes: Uint8Array) => props.accept?.(text, bytes) ?? true;

  const deliver = (content: QrContent, source: QrSource) => {
    setError('');
    setStatus(source === 'camera' ? text.read : text.readFromPicture);
    props.onResult?.(content.text, content.bytes, source);
    props.onBytes?.(content.bytes, source);
  };

  const startCamera = () => {
    photoRun++;
    setError('');
    setStatus(text.startingCamera);
    setCameraOn(true);
  };

  const stopCamera = (message: string) => {
    setCameraOn(false);
    setStatus(message);
    scanButton?.focus();
  };

  const onPhoto = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    // Clear the choice so that picking the same file again is a new change.
    input.value = '';
    if (!file) return;
    if (cameraOn()) setCameraOn(false);
    const run = ++photoRun;
    setError('');
    setStatus(text.readingPhoto);
    let content: QrContent | undefined;
    try {
      content = await decodeQrContentFromFile(file);
    } catch (e) {
      if (disposed || run !== photoRun) return;
      setStatus('');
      setError(QrScanError.is(e) ? e.message : text.unexpected);
      return;
    }
    if (disposed || run !== photoRun) return;
    if (!content) {
      setStatus('');
      setError(text.noCodeInPhoto);
    } else if (!accepts(content.text, content.bytes)) {
      setStatus('');
      setError(text.notAccepted);
    } else {
      deliver(content, 'photo');
    }
  };

  return (
    <fieldset class="qr-scanner">
      <legend class="qr-scanner-legend">{props.label}</legend>
      <Show
        when={cameraOn()}
        fallback={
          <button type="button" ref={(el) => (scanButton = el)} onClick={startCamera}>
            {text.scanWithCamera}
          </button>
        }
      >
        <CameraPreview
          accept={accepts}
          onStarted={() => setStatus(text.pointCamera)}
          onRead={(content) => {
            stopCamera(text.read);
            deliver(content, 'camera');
          }}
          onError={(e) => {
            stopCamera('');
            setError(e.message);
          }}
          onStop={() => stopCamera(text.cameraOff)}
        />
      </Show>
      <label>
        {text.choosePhoto}
        <input type="file" accept="image/*" onChange={(event) => void onPhoto(event.currentTarget)} />
      </label>
      <p class="qr-scanner-status" role="status">
        {status()}
      </p>
      <Show when={error()}>{(message) => <p role="alert">{message()}</p>}</Show>
    </fieldset>
  );
}

/** The live preview and its Stop button; the camera runs exactly as long as this is mounted. */
function CameraPreview(props: {
  accept: (text: string, bytes: Uint8Array) => boolean;
  onStarted: () => void;
  onRead: (content: QrContent) => void;
  onError: (e: QrScanError) => void;
  onStop: () => void;
}) {
  // Callback refs: Solid assigns them before onMount runs.
  let video!: HTMLVideoElement;
  let stopButton!: HTMLButtonElement;
  onMount(() => {
    const camera = startQrCamera(video, (text, bytes) => props.onRead({ text, bytes }), {
      accept: (text, bytes) => props.accept(text, bytes),
      onStarted: () => props.onStarted(),
      onError: (e) => props.onError(e),
    });
    onCleanup(() => camera.stop());
    stopButton.focus();
  });
  return (
    <>
      <video
        ref={(el) => (video = el)}
        class="qr-scanner-preview"
        aria-label={text.cameraPreview}
        muted
        playsinline
        autoplay
      />
      <button type="button" ref={(el) => (stopButton = el)} onClick={() => props.onStop()}>
        {text.stopCamera}
      </button>
    </>
  );
}

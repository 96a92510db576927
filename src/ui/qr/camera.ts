/**
 * Scanning QR codes from the camera: getUserMedia (back camera preferred) plays into a <video>;
 * about 8 frames a second are copied into a canvas of bounded size and decoded with jsQR. The first
 * code that passes `accept` is handed over once (as text, and as raw bytes for binary codes), and
 * the camera is turned off before that.
 *
 * The loop backs off when decoding is slow (a frame is never sampled sooner than twice the time the
 * last one took to decode), so a slow phone keeps at least half of its main thread for the page.
 */
import { decodeQrContent, pixelReadingContext, type Inversion, type QrContent } from './decode';
import { QrScanError, cameraError } from './errors';

/**
 * Frames larger than this on the long side are shrunk before decoding. The 1280×720 that the
 * camera is asked for is decoded as it comes: jsQR often misses codes whose modules a fractional
 * shrink (such as 1280 → 960) leaves about 3 px wide, and the back-off above bounds the cost.
 */
export const CAMERA_MAX_SIDE = 1280;

export interface QrCameraOptions {
  /**
   * Only codes for which this returns true end the scan; others are ignored and scanning goes on.
   * `text` is '' for a binary code (bytes that are not UTF-8 text).
   */
  accept?: (text: string, bytes: Uint8Array) => boolean;
  /** Called once the preview is playing. */
  onStarted?: () => void;
  /** Called once, if the camera cannot be started or fails; the camera is then already off. */
  onError?: (error: QrScanError) => void;
  /** Frames decoded a second, at most (default 8). */
  framesPerSecond?: number;
  /** Long side of the decoded frame in pixels (default CAMERA_MAX_SIDE). */
  maxSide?: number;
  /** For tests: where to get the camera from (default navigator.mediaDevices). */
  mediaDevices?: Pick<MediaDevices, 'getUserMedia'>;
}

export interface QrCamera {
  /** Turns the camera off (idempotent); no callback is called after this. */
  stop(): void;
}

/** The camera request: the back camera where there is one, at a size that decodes well. */
export const CAMERA_CONSTRAINTS: MediaStreamConstraints = {
  audio: false,
  video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
};

export function startQrCamera(
  video: HTMLVideoElement,
  onText: (text: string, bytes: Uint8Array) => void,
  options: QrCameraOptions = {},
): QrCamera {
  const interval = 1000 / (options.framesPerSecond ?? 8);
  const maxSide = options.maxSide ?? CAMERA_MAX_SIDE;
  let stopped = false;
  let stream: MediaStream | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let frame = 0;
  let context: ReturnType<typeof pixelReadingContext> | undefined;

  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = undefined;
    video.pause();
    video.srcObject = null;
  };

  const fail = (e: unknown) => {
    if (stopped) return;
    stop();
    options.onError?.(cameraError(e));
  };

  const sample = () => {
    timer = undefined;
    if (stopped) return;
    const began = performance.now();
    let content: QrContent | undefined;
    try {
      content = readFrame();
    } catch (e) {
      // No 2D canvas, or a frame the browser would not draw: end the scan with a sentence.
      fail(e instanceof QrScanError ? e : new QrScanError('CAMERA_FAILED', undefined, { cause: e }));
      return;
    }
    if (content && (options.accept?.(content.text, content.bytes) ?? true)) {
      stop();
      onText(content.text, content.bytes);
      return;
    }
    const spent = performance.now() - began;
    timer = setTimeout(sample, Math.max(interval - spent, spent));
  };

  const readFrame = (): QrContent | undefined => {
    const { videoWidth, videoHeight } = video;
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || videoWidth === 0 || videoHeight === 0) {
      return undefined;
    }
    const scale = Math.min(1, maxSide / Math.max(videoWidth, videoHeight));
    const width = Math.round(videoWidth * scale);
    const height = Math.round(videoHeight * scale);
    if (!context || context.canvas.width !== width || context.canvas.height !== height) {
      context = pixelReadingContext(width, height);
    }
    context.drawImage(video, 0, 0, width, height);
    const pixels = context.getImageData(0, 0, width, height);
    // One inversion a frame, alternating, halves the cost of a frame and still finds
    // light-on-dark codes (dark-mode screens) within a quarter of a second.
    const inversion: Inversion = frame++ % 2 === 0 ? 'normal' : 'inverted';
    return decodeQrContent(pixels.data, width, height, inversion);
  };

  const begin = async () => {
    if (!window.isSecureContext) throw new QrScanError('INSECURE_CONTEXT');
    const devices = options.mediaDevices ?? navigator.mediaDevices;
    // navigator.mediaDevices is undefined outside secure contexts and in some embedded browsers.
    if (typeof devices?.getUserMedia !== 'function') throw new QrScanError('UNSUPPORTED');
    const media = await devices.getUserMedia(CAMERA_CONSTRAINTS);
    if (stopped) {
      for (const track of media.getTracks()) track.stop();
      return;
    }
    stream = media;
    // 'ended' fires when the camera goes away (unplugged, taken by the system), not on track.stop().
    for (const track of media.getVideoTracks()) {
      track.addEventListener('ended', () => fail(new QrScanError('CAMERA_FAILED')));
    }
    video.muted = true;
    video.playsInline = true;
    video.srcObject = media;
    await video.play();
    if (stopped) return;
    options.onStarted?.();
    timer = setTimeout(sample, 0);
  };

  begin().catch(fail);
  return { stop };
}

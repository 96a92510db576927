/**
 * Small JPEG pictures of photos and videos, made in the browser: the thumbnail sent (encrypted)
 * with a file offer, and the re-encoded photo that is small enough for the mailbox.
 *
 * - Images are decoded with createImageBitmap(imageOrientation: 'from-image'), so a portrait photo
 *   stored sideways with an Exif orientation comes out upright; where that fails (an older Safari,
 *   a type only <img> knows, such as HEIC on Apple devices) an <img> decodes it.
 * - Videos are loaded, muted and inline, in a <video>, seeked to 0.1 s, and that frame is drawn.
 * - The picture is drawn on a canvas (OffscreenCanvas where there is one) over white, since JPEG
 *   has no transparency, then encoded at falling qualities, then at smaller sizes, until it fits
 *   (encodeUnder). A re-encode keeps pixels only: all metadata, GPS included, is gone.
 *
 * Everything returns undefined when the browser cannot decode the file: the caller sends the file
 * without a thumbnail, or as it is.
 */

export const THUMBNAIL_MAX_SIDE = 320;
export const THUMBNAIL_MAX_BYTES = 24 * 1024;
export const PHOTO_MAX_SIDE = 2048;
/** JPEG qualities tried at each size, best first. */
const QUALITIES = [0.8, 0.65, 0.5, 0.4] as const;
/** Each smaller size tried is this much of the one before. */
const SHRINK = 0.75;
/** How long a video may take to show its first frame before it counts as undecodable. */
const VIDEO_TIMEOUT_MS = 10_000;

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** width×height scaled down (never up) so its longest side is at most maxSide; at least 1×1. */
export function fitWithin({ width, height }: Size, maxSide: number): Size {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Draws the picture at width×height and encodes it as JPEG at quality (0–1); undefined if it cannot. */
export type JpegEncoder = (size: Size, quality: number) => Promise<Blob | undefined>;

/**
 * The best JPEG of a picture of `size` that is at most maxBytes: at the largest size within
 * maxSide, each of QUALITIES in turn, then at sizes SHRINK times smaller, down to minSide on the
 * longest side. Undefined if even that is too big, or if the encoder fails.
 */
export async function encodeUnder(
  size: Size,
  limits: { maxSide: number; maxBytes: number; minSide: number },
  encode: JpegEncoder,
): Promise<Blob | undefined> {
  let side = limits.maxSide;
  for (;;) {
    const target = fitWithin(size, side);
    for (const quality of QUALITIES) {
      const blob = await encode(target, quality);
      if (!blob) return undefined;
      if (blob.size <= limits.maxBytes) return blob;
    }
    const longest = Math.max(target.width, target.height);
    if (longest <= limits.minSide) return undefined;
    side = Math.max(limits.minSide, Math.floor(longest * SHRINK));
  }
}

/** A decoded picture: what to draw, its size as shown, and what to free afterwards. */
interface Decoded {
  source: CanvasImageSource;
  size: Size;
  release(): void;
}

/** Resolves true on `ok`, false on 'error' or after `ms`. */
async function settle(target: EventTarget, ok: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (result: boolean) => {
      clearTimeout(timer);
      target.removeEventListener(ok, onOk);
      target.removeEventListener('error', onError);
      resolve(result);
    };
    const onOk = () => done(true);
    const onError = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    target.addEventListener(ok, onOk);
    target.addEventListener('error', onError);
  });
}

async function decodeImage(file: Blob): Promise<Decoded | undefined> {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    return {
      source: bitmap,
      size: { width: bitmap.width, height: bitmap.height },
      release: () => bitmap.close(),
    };
  } catch {
    if (typeof document === 'undefined') return undefined;
  }
  const url = URL.createObjectURL(file);
  const img = document.createElement('img');
  img.src = url;
  try {
    await img.decode();
  } catch {
    URL.revokeObjectURL(url);
    return undefined;
  }
  if (!img.naturalWidth || !img.naturalHeight) {
    URL.revokeObjectURL(url);
    return undefined;
  }
  return {
    source: img,
    size: { width: img.naturalWidth, height: img.naturalHeight },
    release: () => URL.revokeObjectURL(url),
  };
}

async function decodeVideoFrame(file: Blob): Promise<Decoded | undefined> {
  const url = URL.createObjectURL(file);
  const video = document.createElement('video');
  const release = () => {
    video.removeAttribute('src');
    video.load();
    URL.revokeObjectURL(url);
  };
  video.muted = true;
  video.playsInline = true;
  video.preload = 'auto';
  const loaded = settle(video, 'loadeddata', VIDEO_TIMEOUT_MS);
  video.src = url;
  if (!(await loaded) || !video.videoWidth || !video.videoHeight) {
    release();
    return undefined;
  }
  const duration = Number.isFinite(video.duration) ? video.duration : 0;
  const at = Math.min(0.1, duration / 2);
  if (at > 0) {
    const seeked = settle(video, 'seeked', VIDEO_TIMEOUT_MS);
    video.currentTime = at;
    if (!(await seeked)) {
      release();
      return undefined;
    }
  }
  return { source: video, size: { width: video.videoWidth, height: video.videoHeight }, release };
}

/** An encoder drawing `source` on a canvas over white. */
function canvasEncoder(source: CanvasImageSource): JpegEncoder {
  return async ({ width, height }, quality) => {
    const offscreen = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(width, height) : undefined;
    const canvas = offscreen ?? Object.assign(document.createElement('canvas'), { width, height });
    const context = canvas.getContext('2d') as
      CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (!context) return undefined;
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    context.imageSmoothingQuality = 'high';
    context.drawImage(source, 0, 0, width, height);
    const blob = offscreen
      ? await offscreen.convertToBlob({ type: 'image/jpeg', quality })
      : await new Promise<Blob | null>((resolve) =>
          (canvas as HTMLCanvasElement).toBlob(resolve, 'image/jpeg', quality),
        );
    // A browser that cannot write JPEG falls back to PNG: not what the caller asked for.
    return blob?.type === 'image/jpeg' ? blob : undefined;
  };
}

/**
 * A JPEG thumbnail of an image or a video (its frame at 0.1 s): longest side at most 320 px, at
 * most 24 KiB. width/height are the original's, as shown (after its orientation). Undefined when
 * the browser cannot decode the file.
 */
export async function makeThumbnail(
  file: Blob,
  media: 'image' | 'video',
): Promise<{ bytes: Uint8Array; width: number; height: number } | undefined> {
  const decoded = media === 'image' ? await decodeImage(file) : await decodeVideoFrame(file);
  if (!decoded) return undefined;
  try {
    const blob = await encodeUnder(
      decoded.size,
      { maxSide: THUMBNAIL_MAX_SIDE, maxBytes: THUMBNAIL_MAX_BYTES, minSide: 32 },
      canvasEncoder(decoded.source),
    );
    if (!blob) return undefined;
    return { bytes: new Uint8Array(await blob.arrayBuffer()), ...decoded.size };
  } finally {
    decoded.release();
  }
}

/**
 * The photo re-encoded as JPEG, longest side at most 2048 px, then smaller or at lower quality
 * until it is at most maxBytes. The re-encode drops all metadata, location included. Undefined
 * when the browser cannot decode it, or it cannot be made that small (at 160 px it gives up).
 */
export async function compressImage(file: Blob, maxBytes = 192 * 1024): Promise<Blob | undefined> {
  const decoded = await decodeImage(file);
  if (!decoded) return undefined;
  try {
    return await encodeUnder(
      decoded.size,
      { maxSide: PHOTO_MAX_SIDE, maxBytes, minSide: 160 },
      canvasEncoder(decoded.source),
    );
  } finally {
    decoded.release();
  }
}

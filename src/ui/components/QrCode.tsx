import QRCode from 'qrcode';
import { Show, createResource } from 'solid-js';

/**
 * A QR code drawn locally (no network): of `text`, or of raw `bytes` in byte mode (the
 * Signal-compatible safety-number code is 74 binary bytes). `label` is its accessible name.
 */
export function QrCode(props: { text?: string; bytes?: Uint8Array; label: string }) {
  const [url] = createResource(
    () => props.bytes ?? props.text,
    async (content) =>
      typeof content === 'string'
        ? QRCode.toDataURL(content, { errorCorrectionLevel: 'L', margin: 2, scale: 4 })
        : QRCode.toDataURL([{ data: content, mode: 'byte' }], {
            errorCorrectionLevel: 'M',
            margin: 2,
            scale: 5,
          }),
  );
  return (
    <Show when={url()} fallback={<p>Drawing the QR code…</p>}>
      {(src) => <img class="qr" src={src()} alt={props.label} />}
    </Show>
  );
}

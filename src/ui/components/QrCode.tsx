import QRCode from 'qrcode';
import { Show, createEffect, createSignal } from 'solid-js';
import * as text from '../strings/qr';

/**
 * A QR code drawn locally (no network): of `text`, or of raw `bytes` in byte mode (the
 * Signal-compatible safety-number code is 74 binary bytes). `label` is its accessible name.
 */
export function QrCode(props: { text?: string; bytes?: Uint8Array; label: string }) {
  // A signal, not a resource: a resource would suspend the page around it while drawing.
  const [url, setUrl] = createSignal<string>();
  createEffect(() => {
    const content = props.bytes ?? props.text;
    if (content === undefined) return;
    const drawing =
      typeof content === 'string'
        ? QRCode.toDataURL(content, { errorCorrectionLevel: 'L', margin: 2, scale: 4 })
        : QRCode.toDataURL([{ data: content, mode: 'byte' }], {
            errorCorrectionLevel: 'M',
            margin: 2,
            scale: 5,
          });
    drawing.then(
      (u) => {
        if ((props.bytes ?? props.text) === content) setUrl(u);
      },
      (e: unknown) => console.error('SecMsg: the QR code could not be drawn.', e),
    );
  });
  return (
    <Show when={url()} fallback={<p>{text.drawing}</p>}>
      {(src) => <img class="qr" src={src()} alt={props.label} />}
    </Show>
  );
}

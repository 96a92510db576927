/**
 * Offers a received file to the person: as a download, and as an object URL for previews.
 *
 * The download is an `<a download>` on an object URL of the stored File. For a File from the
 * Origin Private File System that File is backed by the disk, and Chromium and Firefox stream the
 * download from there: nothing is read into memory, at any size. Not showSaveFilePicker(): it
 * needs a fresh user gesture (the file may finish long after the tap that accepted it), exists only
 * in desktop Chromium, and would copy through the page, while the anchor already streams from disk.
 */

/** How long a download's object URL stays valid after the click: the browser has long taken it over by then. */
const DOWNLOAD_URL_LIFETIME_MS = 60_000;

/** Starts the download of `file`, saved as `name`, without reading it into memory. */
export function saveFile(file: Blob, name: string, doc: Document = document): void {
  const { url, revoke } = objectUrl(file);
  const a = doc.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.hidden = true;
  doc.body.append(a);
  try {
    a.click();
  } finally {
    a.remove();
    // The browser resolves the URL when it handles the click, which may be after click() returns:
    // revoking at once can cancel the download (Firefox, Safari).
    setTimeout(revoke, DOWNLOAD_URL_LIFETIME_MS);
  }
}

/** An object URL for `file` (a preview's <img> or <video>), and the function that releases it. */
export function objectUrl(file: Blob): { url: string; revoke: () => void } {
  const url = URL.createObjectURL(file);
  let revoked = false;
  return {
    url,
    revoke() {
      if (revoked) return;
      revoked = true;
      URL.revokeObjectURL(url);
    },
  };
}

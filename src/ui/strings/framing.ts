/**
 * The words shown instead of the app when it is opened inside another page's frame
 * (src/ui/framing.ts), followed by a link to the app itself.
 */
export const openDirectly = 'SecMsg does not run inside another page. Open it directly: ';

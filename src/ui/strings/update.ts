/** The words of the notice about a new version and offline use (UpdatePrompt.tsx). Part of the app's initial code. */
export const newVersion = 'A new version of SecMsg is ready.';
export const reloadToUpdate = 'Reload to update';
export const notNow = 'Not now';
export const offlineReady = 'SecMsg is ready to work offline.';
export const ok = 'OK';

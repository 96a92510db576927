import { Show, onCleanup } from 'solid-js';
import { useRegisterSW } from 'virtual:pwa-register/solid';
import * as text from '../strings/update';
import './UpdatePrompt.css';

/** How often an open app asks the server whether a new version is out. */
const UPDATE_CHECK_MS = 60 * 60 * 1000;

/**
 * Registers the service worker (builds only; the dev server has none) and says when it matters:
 * once, that the app now works offline, and whenever a new version is ready, with a choice to
 * reload into it now or keep the current page (a chat in progress stays as it is). The notice
 * floats over the bottom of the page (UpdatePrompt.css): it never pushes the page's content around.
 */
export function UpdatePrompt() {
  let timer: ReturnType<typeof setInterval> | undefined;
  let reloading = false;
  const reload = () => {
    if (reloading) return;
    reloading = true;
    location.reload();
  };
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    offlineReady: [offlineReady, setOfflineReady],
    updateServiceWorker,
  } = useRegisterSW({
    onNeedRefresh() {
      // Workbox reloads by itself only when this page was already controlled at load time; a page
      // that installed the first version, then saw an update, would otherwise stay on the old code
      // under the new worker (and so would another tab when this one accepts the update).
      navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
    },
    onNeedReload: reload,
    onRegisteredSW(_url, registration) {
      if (!registration) return;
      timer = setInterval(() => {
        if (navigator.onLine && !registration.installing) registration.update().catch(() => undefined);
      }, UPDATE_CHECK_MS);
    },
    onRegisterError(error: unknown) {
      console.warn('The service worker could not be registered; the app will not work offline.', error);
    },
  });
  onCleanup(() => clearInterval(timer));

  // The live region is always in the page (empty when there is nothing to say), so screen readers
  // announce what appears in it.
  return (
    <div class="update-prompt" role="status">
      <Show when={needRefresh()}>
        <p>{text.newVersion}</p>
        <button type="button" onClick={() => void updateServiceWorker(true)}>
          {text.reloadToUpdate}
        </button>
        <button type="button" onClick={() => setNeedRefresh(false)}>
          {text.notNow}
        </button>
      </Show>
      <Show when={offlineReady() && !needRefresh()}>
        <p>{text.offlineReady}</p>
        <button type="button" onClick={() => setOfflineReady(false)}>
          {text.ok}
        </button>
      </Show>
    </div>
  );
}

import { render } from 'solid-js/web';
import { clearConfig, loadConfig } from './app/config';
import { browserLocks, holdProfileLock } from './app/tab-lock';
import { openIdbStore } from './store/idb-store';
import { requestPersistence } from './store/persistence';
import { App } from './ui/App';
import { AppProvider } from './ui/app-context';
import { refuseToRunFramed } from './ui/framing';
import { createAppStore } from './ui/stores/app-store';
import './ui/styles.css';

// Inside another page's frame (clickjacking), only a sentence and a link: nothing below runs.
refuseToRunFramed();

// The one place where the real implementations are wired together.
const store = createAppStore({
  holdProfile: async (onWaiting) => holdProfileLock(browserLocks(), onWaiting),
  openStores: async () => openIdbStore(),
  requestPersistence: async () => requestPersistence(),
  config: loadConfig(),
  reconnect: true,
  restart: () => {
    clearConfig();
    location.replace(location.pathname);
  },
});

const root = document.getElementById('root');
if (!root) throw new Error('The page is missing its #root element.');
render(
  () => (
    <AppProvider store={store}>
      <App />
    </AppProvider>
  ),
  root,
);

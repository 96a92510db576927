import { render } from 'solid-js/web';
import { clearConfig, loadConfig } from './app/config';
import { browserLocks, holdProfileLock } from './app/tab-lock';
import { openIdbStore } from './store/idb-store';
import { requestPersistence } from './store/persistence';
import { App } from './ui/App';
import { AppProvider } from './ui/app-context';
import { createAppStore } from './ui/stores/app-store';
import './ui/styles.css';

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

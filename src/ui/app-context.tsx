import { createContext, useContext, type JSX } from 'solid-js';
import type { AppStore } from './stores/app-store';

const AppContext = createContext<AppStore>();

/** Makes the app store (wired with the real implementations in main.tsx) available to every page. */
export function AppProvider(props: { store: AppStore; children: JSX.Element }) {
  return <AppContext.Provider value={props.store}>{props.children}</AppContext.Provider>;
}

export function useApp(): AppStore {
  const store = useContext(AppContext);
  if (!store) throw new Error('useApp() needs an <AppProvider> above it.');
  return store;
}

/**
 * A tiny typed event emitter in the style of trystero: `on(event, fn)` returns an unsubscribe
 * function, and events emitted before anyone listens are queued and delivered to the first
 * listener, so nothing is lost to a race between creating an object and subscribing to it.
 */
type Listener = (...args: never[]) => void;
export type EventMap = { [event: string]: Listener };

export interface Emitter<E extends EventMap> {
  on: <K extends keyof E>(event: K, fn: E[K]) => () => void;
  emit: <K extends keyof E>(event: K, ...args: Parameters<E[K]>) => void;
  clear: () => void;
}

const MAX_QUEUED = 1024;

export function createEmitter<E extends EventMap>(): Emitter<E> {
  const listeners = new Map<keyof E, Set<E[keyof E]>>();
  const queued = new Map<keyof E, unknown[][]>();

  const call = (fn: E[keyof E], args: unknown[]): void => {
    (fn as unknown as (...a: unknown[]) => void)(...args);
  };

  return {
    on(event, fn) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn);
      const pending = queued.get(event);
      if (pending) {
        queued.delete(event);
        for (const args of pending) call(fn, args);
      }
      return () => {
        set.delete(fn);
      };
    },
    emit(event, ...args) {
      const set = listeners.get(event);
      if (set && set.size > 0) {
        for (const fn of [...set]) call(fn, args);
        return;
      }
      let pending = queued.get(event);
      if (!pending) queued.set(event, (pending = []));
      if (pending.length < MAX_QUEUED) pending.push(args);
    },
    clear() {
      listeners.clear();
      queued.clear();
    },
  };
}

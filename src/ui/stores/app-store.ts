/**
 * The page's state over the messenger: which screen is shown, who I am, my contacts and their
 * connection state. Per-conversation data (history, security log) is read by the pages that show
 * it, through `messenger`, and refreshed on the messenger's events.
 */
import { createStore, reconcile } from 'solid-js/store';
import { type AppConfig, featureSettings } from '../../app/config';
import type { Connected } from '../../app/connect';
import { createMessenger, type AdoptOutcome, type Messenger, type PairingMethod } from '../../app/messenger';
import { AppError } from '../../app/errors';
import type { MailboxChecks } from '../../app/mailbox-checks';
import type { MailboxClient } from '../../app/mailbox-client';
import type { DirectoryClient } from '../../rtc/directory-client';
import { storedPushSubscription } from '../../app/push-subscription-store';
import type { Reconnector } from '../../app/reconnector';
import type { RouteClimber } from '../../app/route-climber';
import type { PersistenceStatus } from '../../store/persistence';
import type { StoredIdentity } from '../../store/identity-types';
import type { Stores } from '../../store/stores';
import { errorText } from '../errors';
import { type ContactView, contactViews } from './contact-views';
import { type ConversationView, conversationViews, showUnreadTotal } from './conversation-views';

export type { ContactView } from './contact-views';
export type { ConversationView } from './conversation-views';

/** names.ts carries Unicode's confusables data (28 KB gzip): loaded with the first list, not the page. */
const names = async () => import('../../app/names');

export type View =
  | { name: 'home' }
  | { name: 'pair'; invite?: string }
  | { name: 'chat'; contactId: string }
  | { name: 'safety'; contactId: string }
  | { name: 'settings' };

export interface AppState {
  /** 'other-tab': another tab of this profile is open and drives it; this one waits. */
  phase: 'loading' | 'other-tab' | 'first-run' | 'unreadable' | 'ready' | 'failed';
  /** Why the identity cannot be used, or why storage failed: a sentence. */
  problem: string;
  myName: string;
  contacts: ContactView[];
  /** Per contact id: its last message, unread count, archived or not; the list's order is `order`. */
  conversations: Record<string, ConversationView>;
  /** Contact ids, newest activity first. */
  order: string[];
  view: View;
  persistence: PersistenceStatus | 'unknown';
}

export interface AppDeps {
  /** Resolves once this tab may drive the profile; calls `onWaiting` first if it must wait. */
  holdProfile: (onWaiting: () => void) => Promise<void>;
  openStores: () => Promise<Stores>;
  requestPersistence: () => Promise<PersistenceStatus>;
  config: AppConfig;
  /** Called after "delete everything", to start from a clean page. */
  restart: () => void;
  /** Reconnect known contacts through the signaling worker (off in tests that drive it by hand). */
  reconnect: boolean;
}

export interface AppStore {
  state: AppState;
  config: AppConfig;
  /** The messenger once the identity is ready. */
  messenger: () => Messenger | undefined;
  /** The worker's mailbox client, when a worker is configured. */
  mailbox: (() => Promise<MailboxClient>) | undefined;
  actions: {
    start(): Promise<void>;
    /** Reads the stored identity again (after it could not be read), without replacing anything. */
    retry(): Promise<void>;
    createIdentity(name: string): Promise<void>;
    /** Replaces an unreadable (or, from settings, a working) identity: only on explicit request. */
    resetIdentity(name: string): Promise<void>;
    rename(name: string): Promise<void>;
    /** Replaces both identity keys, the new ones signed by the old (Settings → Replace my keys). */
    rotateKeys(): Promise<void>;
    show(view: View): void;
    adopt(connected: Connected, method: PairingMethod): Promise<AdoptOutcome>;
    deleteEverything(): Promise<void>;
  };
}

export function createAppStore(deps: AppDeps): AppStore {
  const [state, setState] = createStore<AppState>({
    phase: 'loading',
    problem: '',
    myName: '',
    contacts: [],
    conversations: {},
    order: [],
    view: { name: 'home' },
    persistence: 'unknown',
  });
  let stores: Stores | undefined;
  let holding: Promise<void> | undefined;
  let messenger: Messenger | undefined;
  let reconnector: Reconnector | undefined;
  let climber: RouteClimber | undefined;
  let mailboxChecks: MailboxChecks | undefined;
  const online = () => {
    reconnector?.retryNow();
    climber?.now();
  };
  // Back in view (a phone unlocked, a tab brought forward): contacts whose connection dropped
  // meanwhile are tried at once, not after their back-off; relayed ones try for a direct path.
  const visible = () => {
    if (globalThis.document?.visibilityState === 'visible') online();
  };

  const refreshContacts = async (): Promise<void> => {
    if (!messenger) return;
    const m = messenger;
    // Reconciled by id: a contact keeps its object (and the list its button) across updates, so a
    // tap is never split between a button that is replaced and its replacement.
    const [list, n] = await Promise.all([m.contacts(), names()]);
    setState(
      'contacts',
      reconcile(
        contactViews(list, n, (c) => ({
          connected: m.live(c.id)?.state === 'open',
          reach: reconnector?.status(c.id) ?? { state: 'connecting' },
        })),
        { key: 'id' },
      ),
    );
  };

  // Summaries are read again on every change; a slower earlier read never overwrites a later one.
  let summariesRead = 0;
  const refreshSummaries = async (): Promise<void> => {
    if (!messenger) return;
    const mine = ++summariesRead;
    const list = await messenger.summaries();
    if (mine !== summariesRead) return;
    const views = conversationViews(list);
    setState('conversations', reconcile(Object.fromEntries(views.map((v) => [v.id, v]))));
    setState('order', reconcile(views.map((v) => v.id)));
    showUnreadTotal(views.reduce((n, v) => n + (v.archived ? 0 : v.unread), 0));
  };
  const refreshList = (): void => {
    void refreshSummaries().catch((e: unknown) => console.error('SecMsg:', e));
  };

  const stop = (): void => {
    reconnector?.dispose();
    reconnector = undefined;
    climber?.dispose();
    climber = undefined;
    mailboxChecks?.dispose();
    mailboxChecks = undefined;
    globalThis.removeEventListener?.('online', online);
    globalThis.document?.removeEventListener('visibilitychange', visible);
    messenger?.dispose();
    messenger = undefined;
  };

  const ready = (m: Messenger): void => {
    messenger = m;
    m.on('contacts', () => void refreshContacts());
    m.on('connection', () => void refreshContacts());
    m.on('contacts', refreshList);
    m.on('messages', refreshList);
    m.on('conversation', refreshList);
    if (deps.reconnect) {
      // Its code loads after the list is up (it brings the connection code with its first attempt).
      void Promise.all([import('../../app/reconnector'), import('../../app/route-climber')]).then(
        ([{ createReconnector }, { createRouteClimber }]) => {
          if (messenger !== m) return; // stopped meanwhile
          const r = createReconnector({ messenger: m, config: deps.config });
          reconnector = r;
          climber = createRouteClimber({ messenger: m, config: deps.config });
          r.on('status', () => void refreshContacts());
          r.start();
          globalThis.addEventListener?.('online', online);
          globalThis.document?.addEventListener('visibilitychange', visible);
          void refreshContacts();
        },
      );
    }
    if (deps.reconnect && mailboxClient) {
      void import('../../app/mailbox-checks').then(({ startMailboxChecks }) => {
        if (messenger !== m) return; // stopped meanwhile
        mailboxChecks = startMailboxChecks(m);
      });
    }
    setState({ phase: 'ready', problem: '', myName: m.identity.displayName });
    void openFromWakeUp(m);
    void refreshContacts();
    refreshList();
    void deps.requestPersistence().then((p) => setState('persistence', p));
  };

  /** The worker's mailboxes, when a worker is configured: the client loads with its first use. */
  const mailboxClient = deps.config.signalingUrl
    ? async (): Promise<MailboxClient> => {
        const { createMailboxClient, mailboxBaseUrl } = await import('../../app/mailbox-client');
        const base = mailboxBaseUrl(deps.config.signalingUrl);
        if (!base) throw new AppError('NO_WORKER', 'The signaling server address is not a web address.');
        return createMailboxClient(base);
      }
    : undefined;
  /** The worker's username directory, beside its mailboxes: the client loads with its first use. */
  const directoryClient = async (): Promise<DirectoryClient> => {
    const [{ createDirectoryClient }, { mailboxBaseUrl }] = await Promise.all([
      import('../../rtc/directory-client'),
      import('../../app/mailbox-client'),
    ]);
    const base = mailboxBaseUrl(deps.config.signalingUrl);
    if (!base) throw new AppError('NO_WORKER', 'The signaling server address is not a web address.');
    return createDirectoryClient(base);
  };
  const messengerFor = (s: Stores, identity: StoredIdentity): Messenger =>
    createMessenger({
      stores: s,
      identity,
      // Read on every use: Settings changes `config` in place.
      settings: () => featureSettings(deps.config),
      ...(mailboxClient
        ? {
            mailbox: mailboxClient,
            directory: directoryClient,
            pushSubscription: () => storedPushSubscription(),
          }
        : {}),
    });

  /**
   * A tapped notification names a mailbox (a wake-up, public/push-sw.js) or a contact (the open
   * app's own, notification-display.ts): in the address of a new window (`?mailbox=`, `?contact=`),
   * or in a message to an open one. Shows that conversation, if it is one of this device's.
   */
  const showMailbox = async (m: Messenger, mailbox: unknown, contact?: unknown): Promise<void> => {
    if (typeof contact === 'string' && contact !== '') {
      if (messenger === m && (await m.contacts()).some((c) => c.id === contact)) {
        setState('view', { name: 'chat', contactId: contact });
        return;
      }
    }
    if (typeof mailbox !== 'string' || mailbox === '') return;
    const contactId = await m.contactForMailbox(mailbox);
    if (contactId && messenger === m) setState('view', { name: 'chat', contactId });
  };
  let listening = false;
  const openFromWakeUp = async (m: Messenger): Promise<void> => {
    const url = new URL(location.href);
    const mailbox = url.searchParams.get('mailbox');
    const contact = url.searchParams.get('contact');
    if (mailbox !== null || contact !== null) {
      url.searchParams.delete('mailbox');
      url.searchParams.delete('contact');
      history.replaceState(null, '', url);
      await showMailbox(m, mailbox, contact);
    }
    if (!listening && 'serviceWorker' in navigator) {
      listening = true;
      navigator.serviceWorker.addEventListener('message', (e: MessageEvent<unknown>) => {
        const data = e.data as { type?: unknown; mailbox?: unknown; contact?: unknown } | null;
        if (data?.type === 'secmsg-open-mailbox' && messenger) {
          void showMailbox(messenger, data.mailbox, data.contact);
        }
      });
    }
  };

  const failed = (e: unknown): void => setState({ phase: 'failed', problem: errorText(e) });

  /** Reads the stored identity: ready, first run, or unreadable (never replaced here). */
  const load = async (s: Stores): Promise<void> => {
    const loaded = await s.identity.load();
    if (loaded.kind === 'ok') ready(messengerFor(s, loaded.identity));
    else if (loaded.kind === 'none') setState({ phase: 'first-run' });
    else setState({ phase: 'unreadable', problem: loaded.reason });
  };

  const store: AppStore = {
    state,
    config: deps.config,
    messenger: () => messenger,
    mailbox: mailboxClient,
    actions: {
      async start() {
        try {
          // Held once for the page's life: a second start (Try again after a failure) keeps it.
          holding ??= deps.holdProfile(() => setState({ phase: 'other-tab' }));
          await holding;
          setState({ phase: 'loading' });
          stores ??= await deps.openStores();
          await load(stores);
        } catch (e) {
          failed(e);
        }
      },
      async retry() {
        if (!stores) return;
        try {
          await load(stores); // the page that asked stays up meanwhile, and says if nothing changed
        } catch (e) {
          failed(e);
        }
      },
      async createIdentity(name) {
        if (!stores) return;
        const problem = (await names()).localNameProblem(name.trim());
        if (problem !== undefined) throw new AppError('BAD_NAME', `This name cannot be used. ${problem}`);
        const created = await stores.identity.create(name.trim());
        if (created.kind === 'created') ready(messengerFor(stores, created.identity));
        else await store.actions.start(); // one appeared meanwhile (another tab): load it
      },
      async resetIdentity(name) {
        if (!stores) return;
        const problem = (await names()).localNameProblem(name.trim());
        if (problem !== undefined) throw new AppError('BAD_NAME', `This name cannot be used. ${problem}`);
        stop();
        const identity = await stores.identity.resetIdentity(name.trim());
        ready(messengerFor(stores, identity));
      },
      async rename(name) {
        await messenger?.rename(name.trim());
        if (messenger) setState('myName', messenger.identity.displayName);
      },
      async rotateKeys() {
        if (!messenger) throw new Error('The app is not ready yet.');
        await messenger.rotateKeys();
        await refreshContacts();
      },
      show(view) {
        setState('view', view);
      },
      async adopt(connected, method) {
        if (!messenger) throw new Error('The app is not ready yet.');
        const { contact, outcome } = await messenger.adopt(connected, { kind: 'pairing', method });
        await refreshContacts();
        setState('view', { name: 'chat', contactId: contact.id });
        return outcome;
      },
      async deleteEverything() {
        const files = messenger;
        stop();
        // Files first: they are named only by the messages that go with the database.
        await files?.forgetFiles();
        await stores?.destroy();
        stores = undefined;
        deps.restart();
      },
    },
  };
  return store;
}

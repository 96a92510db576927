/**
 * The messenger's part in usernames (usernames.ts, loaded on first use, only with a worker): the
 * use case itself, reading contact requests beside the mailbox checks once this device has a
 * username, and publishing its card again when its keys were replaced. Apart from messenger.ts,
 * which composes it.
 */
import type { DirectoryClient } from '../rtc/directory-client';
import type { Stores } from '../store/stores';
import type { ContactOps } from './contact-ops';
import { AppError } from './errors';
import type { MailboxClient } from './mailbox-client';
import type { Usernames } from './usernames';
import type { PushSubscriptionJson } from '../protocol/mailbox';

export interface UsernameCallsDeps {
  readonly ops: ContactOps;
  readonly stores: Stores;
  readonly now: () => number;
  readonly directory?: (() => Promise<DirectoryClient>) | undefined;
  readonly mailbox: (() => Promise<MailboxClient>) | undefined;
  /** This browser's push subscription, when the person turned wake-ups on. */
  readonly pushSubscription?: () => PushSubscriptionJson | undefined;
  /** Requests were read: how many wait for a decision. */
  readonly requestsRead: (waiting: number) => void;
}

export interface UsernameCalls {
  /** The use case; rejects with AppError('NO_WORKER') without a worker. */
  readonly usernames: () => Promise<Usernames>;
  /** Reads the contact requests, when this device has a username (after each mailbox check). */
  checkRequests(): Promise<void>;
  /** This device's keys were replaced: its card names the new ones from now on. */
  keysReplaced(): Promise<void>;
  /** A request wakes this browser too (or, undefined, no longer), as messages do. */
  wakeUps(subscription: PushSubscriptionJson | undefined): Promise<void>;
}

export function usernameCalls(deps: UsernameCallsDeps): UsernameCalls {
  const { stores } = deps;
  let loaded: Promise<Usernames> | undefined;
  const usernames = async (): Promise<Usernames> => {
    const { directory, mailbox } = deps;
    if (!mailbox || !directory) {
      throw new AppError('NO_WORKER', 'Usernames need a signaling server; none is set.');
    }
    // A load that failed (the code could not be fetched) is tried again on the next call.
    loaded ??= import('./usernames')
      .then((m) =>
        m.createUsernames({
          ops: deps.ops,
          stores,
          directory,
          mailbox,
          now: deps.now,
          ...(deps.pushSubscription ? { pushSubscription: deps.pushSubscription } : {}),
        }),
      )
      .catch((e: unknown) => {
        loaded = undefined;
        throw e;
      });
    return loaded;
  };
  return {
    usernames,
    async checkRequests() {
      if (!(await stores.usernames.get())) return;
      deps.requestsRead((await (await usernames()).read()).length);
    },
    async keysReplaced() {
      if (await stores.usernames.get()) await (await usernames()).republish();
    },
    async wakeUps(subscription) {
      if (await stores.usernames.get()) await (await usernames()).setWakeUps(subscription);
    },
  };
}

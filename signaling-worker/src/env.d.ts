/** The worker's bindings (wrangler.jsonc), merged into the `env` type of `cloudflare:workers`. */
declare namespace Cloudflare {
  interface Env {
    ROOMS: DurableObjectNamespace<import('./room').Room>;
    MAILBOXES: DurableObjectNamespace<import('./mailbox').Mailbox>;
    RELAYS: DurableObjectNamespace<import('./relay').Relay>;
    /** The one Nameplates object (named 'nameplates') that holds every short code's nameplate. */
    NAMEPLATES: DurableObjectNamespace<import('./nameplates').Nameplates>;
    /** One Directory per username's handle hash (directory.ts). */
    DIRECTORY: DurableObjectNamespace<import('./directory').Directory>;
    /** One DirectoryLimiter per client address (hashed): the directory's rate limits. */
    DIRECTORY_LIMITS: DurableObjectNamespace<import('./directory').DirectoryLimiter>;
    /** Secret: the VAPID private key, a P-256 JWK as JSON (push.ts). Unset: no wake-ups. */
    VAPID_PRIVATE_JWK?: string;
    /** The `sub` contact push services see (mailto: or https:), optional. */
    VAPID_CONTACT?: string;
    /** '1' in development and tests: push endpoints on this machine over plain http are accepted. */
    PUSH_ALLOW_LOCAL?: string;
    /** Secret: coturn's `static-auth-secret`. With TURN_URLS, selects the coturn provider (turn.ts). */
    TURN_SHARED_SECRET?: string;
    /** The coturn server's URLs, separated by spaces or commas ("turn:turn.example.org:3478 …"). */
    TURN_URLS?: string;
    /** Cloudflare Realtime TURN key id. With TURN_KEY_API_TOKEN, selects the Cloudflare provider. */
    TURN_KEY_ID?: string;
    /** Secret: that TURN key's API token. */
    TURN_KEY_API_TOKEN?: string;
  }
  interface GlobalProps {
    mainModule: typeof import('./index');
    durableNamespaces: 'Room' | 'Mailbox' | 'Relay' | 'Nameplates' | 'Directory' | 'DirectoryLimiter';
  }
}

type Env = Cloudflare.Env;

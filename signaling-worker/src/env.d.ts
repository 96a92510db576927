/** The worker's bindings (wrangler.jsonc), merged into the `env` type of `cloudflare:workers`. */
declare namespace Cloudflare {
  interface Env {
    ROOMS: DurableObjectNamespace<import('./room').Room>;
    MAILBOXES: DurableObjectNamespace<import('./mailbox').Mailbox>;
    /** Secret: the VAPID private key, a P-256 JWK as JSON (push.ts). Unset: no wake-ups. */
    VAPID_PRIVATE_JWK?: string;
    /** The `sub` contact push services see (mailto: or https:), optional. */
    VAPID_CONTACT?: string;
    /** '1' in development and tests: push endpoints on this machine over plain http are accepted. */
    PUSH_ALLOW_LOCAL?: string;
  }
  interface GlobalProps {
    mainModule: typeof import('./index');
    durableNamespaces: 'Room' | 'Mailbox';
  }
}

type Env = Cloudflare.Env;

/** The worker's bindings (wrangler.jsonc), merged into the `env` type of `cloudflare:workers`. */
declare namespace Cloudflare {
  interface Env {
    ROOMS: DurableObjectNamespace<import('./room').Room>;
    MAILBOXES: DurableObjectNamespace<import('./mailbox').Mailbox>;
  }
  interface GlobalProps {
    mainModule: typeof import('./index');
    durableNamespaces: 'Room' | 'Mailbox';
  }
}

type Env = Cloudflare.Env;

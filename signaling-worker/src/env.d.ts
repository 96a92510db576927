/** The worker's bindings (wrangler.jsonc), merged into the `env` type of `cloudflare:workers`. */
declare namespace Cloudflare {
  interface Env {
    ROOMS: DurableObjectNamespace<import('./room').Room>;
  }
  interface GlobalProps {
    mainModule: typeof import('./index');
    durableNamespaces: 'Room';
  }
}

type Env = Cloudflare.Env;

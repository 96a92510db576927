/// <reference types="vite/client" />
/// <reference types="vite-plugin-pwa/solid" />

/**
 * The origins (scheme://host[:port]) that this build's Content-Security-Policy lets the app
 * connect to besides its own: the signaling worker of the build-time VITE_SIGNALING_URL, in its
 * ws(s) and http(s) forms. `['*']` where no CSP applies (dev server, unit tests). Set by `define`
 * in vite.config.ts; see signalingProblem in src/app/config.ts.
 */
declare const __SECMSG_CONNECT_ORIGINS__: readonly string[];

import type { IncomingMessage } from 'node:http';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { Config } from '../../config.js';

/** A `Host` header that may be written into a policy as it is (host name or IP, optional port). */
const PLAIN_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The security headers on every answer (helmet). The policy is the web client's: its built
 * bundle is one script and one stylesheet from this origin, with no inline script or style
 * element (React's `style={}` goes through the CSSOM, which `style-src` does not govern), so no
 * `'unsafe-inline'` anywhere. API answers carry it too: harmless there, and `frame-ancestors`,
 * `nosniff` and the rest are wanted on them as well. `/docs` brings its own (`docsCsp`).
 */
export function securityHeaders(config: Config): FastifyHelmetOptions {
  const publicUrl = config.publicUrl ? new URL(config.publicUrl) : undefined;
  // File links (images, voice notes) and the socket go to PUBLIC_URL when it is set, which may
  // not be the origin the page was loaded from (a second name, a proxy that rewrites Host).
  const publicOrigins = publicUrl ? [publicUrl.origin] : [];
  const publicSocket = publicUrl
    ? [`${publicUrl.protocol === 'https:' ? 'wss:' : 'ws:'}//${publicUrl.host}`]
    : [];
  return {
    contentSecurityPolicy: {
      // helmet's defaults add `upgrade-insecure-requests`, which breaks a plain-http deployment
      // reached by address (http://10.0.0.5:5000): every request would go to https.
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'"],
        // 'self' covers ws:/wss: to the same host in CSP Level 3 browsers; older Safari needs
        // them named. The Host header is only echoed when it is a plain host name.
        'connect-src': ["'self'", ...publicOrigins, ...publicSocket, sameHostSockets],
        // Avatars are the marketplace's profile pictures, on whatever https host it keeps them.
        'img-src': ["'self'", 'data:', 'blob:', 'https:', ...publicOrigins],
        'media-src': ["'self'", 'blob:', ...publicOrigins],
        'font-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
    // Not `no-referrer`: under it a browser sends `Origin: null` on the client's own POSTs, which
    // the origin check refuses. `same-origin` keeps the page's address from every other site.
    referrerPolicy: { policy: 'same-origin' },
    // File links are embedded by the marketplace's own pages (FRONTEND_URL, another origin):
    // `same-origin` here would block its <img> and <audio>.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    strictTransportSecurity: publicUrl?.protocol === 'https:' ? { maxAge: 31_536_000 } : false,
  };
}

function sameHostSockets(request: IncomingMessage): string {
  const host = request.headers.host;
  if (!host || host.length > 260 || !PLAIN_HOST.test(host)) return "'self'";
  return `ws://${host} wss://${host}`;
}

/**
 * Swagger UI's page (`/docs`): scripts from this origin only, like the client's; but its bundle
 * adds a `<style>` element at run time, so styles may be inline here (the page shows no user
 * content). Icons are data: images. It is never framed either.
 */
export const docsCsp = {
  'default-src': "'self'",
  'script-src': "'self'",
  'script-src-attr': "'none'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data:",
  'font-src': "'self' data:",
  'connect-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
};

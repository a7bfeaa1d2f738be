import type { IncomingHttpHeaders } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { type Config, withoutTrailingSlashes } from '../config.js';

/**
 * Longest `Origin` or `Host` worth reading: a host name is at most 253 characters, a scheme and a
 * port add a few. Longer values are refused before anything looks at them.
 */
export const MAX_ORIGIN_LENGTH = 300;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** What the transports need to know about where a request comes from and which links it gets. */
export interface OriginPolicy {
  /**
   * A browser request must come from FRONTEND_URL, PUBLIC_URL or this server's own pages (the
   * request's own origin). Checked by string comparison only: no pattern that input can slow.
   */
  isAllowedOrigin(origin: string, host: string | undefined): boolean;
  /**
   * The base of the absolute links (`file_url`) a request's answers and broadcasts carry:
   * PUBLIC_URL when set; else the origin the request came to, when its host is one of ours
   * (loopback, FRONTEND_URL's or PUBLIC_URL's hosts); else the server's configured address.
   * Never a host or scheme the caller chose freely: the link goes to the other participant.
   */
  linkBase(protocol: string | undefined, host: string | undefined): string;
  /** Whether `host` (a `Host` header value) names this server in development (DNS rebinding). */
  isOwnHost(host: string | undefined): boolean;
  /**
   * The protocol and host of a raw request (the socket handshake), honouring X-Forwarded-Proto
   * and X-Forwarded-Host only from TRUSTED_PROXIES, as Fastify does for REST and tRPC.
   */
  forwarded(
    headers: IncomingHttpHeaders,
    remoteAddress: string | undefined,
    encrypted: boolean,
  ): { protocol: string; host: string | undefined };
}

export function createOriginPolicy(
  config: Pick<Config, 'allowedOrigins' | 'publicUrl' | 'port' | 'trustedProxies'>,
): OriginPolicy {
  const configured = new Set(config.allowedOrigins);
  if (config.publicUrl) configured.add(config.publicUrl);
  // `host[:port]` of each configured origin; loopback names are ours on any port.
  const ownHosts = new Set<string>();
  for (const origin of configured) {
    const parsed = plainOrigin(origin);
    if (parsed) ownHosts.add(parsed.host);
  }
  const fallbackBase = `http://localhost:${config.port}`;
  const trusts = proxyAddr.compile(config.trustedProxies);

  /** The origin `protocol://host` when `host` is a plain host of ours (nothing else smuggled in). */
  const ownOrigin = (protocol: string, host: string | undefined): string | undefined => {
    if (!host || host.length > MAX_ORIGIN_LENGTH) return undefined;
    const parsed = plainOrigin(`${protocol}://${host}`);
    // What the header said must be exactly the parsed host: `localhost\@evil.example`,
    // `evil@localhost` or `localhost#x` parse to a loopback host here and elsewhere to another.
    const written = host.toLowerCase();
    const defaultPort = protocol === 'https' ? ':443' : ':80';
    if (!parsed || (parsed.host !== written && `${parsed.host}${defaultPort}` !== written)) {
      return undefined;
    }
    const ours = LOOPBACK_HOSTS.has(parsed.hostname) || ownHosts.has(parsed.host);
    return ours ? parsed.origin : undefined;
  };
  const isOwnHost = (host: string | undefined): boolean => ownOrigin('http', host) !== undefined;

  return {
    isAllowedOrigin(origin, host) {
      if (origin.length > MAX_ORIGIN_LENGTH) return false;
      const normalized = withoutTrailingSlashes(origin);
      if (configured.has(normalized)) return true;
      if (!host || host.length > MAX_ORIGIN_LENGTH) return false;
      return normalized === `http://${host}` || normalized === `https://${host}`;
    },

    linkBase(protocol, host) {
      if (config.publicUrl) return config.publicUrl;
      const own =
        protocol === 'http' || protocol === 'https' ? ownOrigin(protocol, host) : undefined;
      return own ?? fallbackBase;
    },

    isOwnHost,

    forwarded(headers, remoteAddress, encrypted) {
      const trusted = remoteAddress !== undefined && trusts(remoteAddress, 0);
      const forwardedProto = trusted ? lastEntry(headers['x-forwarded-proto']) : undefined;
      const forwardedHost = trusted ? lastEntry(headers['x-forwarded-host']) : undefined;
      return {
        protocol: forwardedProto ?? (encrypted ? 'https' : 'http'),
        host: forwardedHost ?? headers.host,
      };
    },
  };
}

/**
 * An origin with nothing but a scheme, a host and a port (no user, path, query or fragment), as
 * the URL parser reads it (host lower-cased, a scheme's default port dropped), or undefined.
 */
function plainOrigin(url: string): URL | undefined {
  try {
    const parsed = new URL(url);
    const plain =
      parsed.hostname.length > 0 &&
      parsed.username === '' &&
      parsed.password === '' &&
      parsed.pathname === '/' &&
      parsed.search === '' &&
      parsed.hash === '';
    return plain ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A proxy appends to a forwarded header: the last value is the one the nearest proxy wrote. */
function lastEntry(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value.join(',') : value;
  if (!joined) return undefined;
  const last = joined.slice(joined.lastIndexOf(',') + 1).trim();
  return last.length > 0 ? last : undefined;
}

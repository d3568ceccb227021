/** A `host:port` setting or a URL, split; `null` when it is neither. */
export interface Address {
  host: string;
  port: number;
  /** The URL's path; '' for a plain `host:port`. */
  path: string;
}

const DEFAULT_PORTS: Record<string, number> = { 'redis:': 6379, 'http:': 80, 'https:': 443 };

export function parseAddress(value: string): Address | null {
  if (value.includes('://')) {
    try {
      const url = new URL(value);
      const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
      return port === undefined ? null : { host: url.hostname, port, path: url.pathname };
    } catch {
      return null;
    }
  }
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(value);
  return match ? { host: match[1]!, port: Number(match[2]), path: '' } : null;
}

/** Whether a host means "listen on every interface". */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '[::]' || host === '::';
}

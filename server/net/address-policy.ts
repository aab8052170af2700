/**
 * Which addresses a user-controlled outbound request may reach: only public unicast.
 * Loopback, private (RFC 1918), carrier-grade NAT, link-local (cloud metadata), unique-
 * local, unspecified, multicast, broadcast, reserved and documentation ranges are refused,
 * as are IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo).
 */
import ipaddr from 'ipaddr.js';

/** Host names refused before resolving (cloud metadata services). */
export const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Metadata addresses, named in messages (all are also in refused ranges). */
const METADATA_IPS = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200', '192.0.0.192']);

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  carrierGradeNat: 'a carrier-grade NAT (shared) address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  reserved: 'a reserved address',
  ipv4Mapped: 'an IPv4-mapped address',
  rfc6052: 'a NAT64 address',
  rfc6145: 'an IPv4-translated address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
};

export interface AddressVerdict {
  ok: boolean;
  /** Why it is refused, e.g. "127.0.0.1 is a loopback address". */
  reason?: string;
}

/** Strip brackets from an IPv6 URL host. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(bareHost(host));
}

/** Is this address one a user-controlled request may reach? */
export function checkAddress(address: string): AddressVerdict {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(bareHost(address));
  } catch {
    return { ok: false, reason: `${address} is not an IP address` };
  }
  if (METADATA_IPS.has(ip.toString())) return { ok: false, reason: `${address} is a cloud metadata address` };
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) {
      const inner = checkAddress(v6.toIPv4Address().toString());
      return inner.ok
        ? { ok: false, reason: `${address} is an IPv4-mapped address` }
        : { ok: false, reason: `${address} maps to ${inner.reason}` };
    }
  }
  const range = ip.range();
  if (range === 'unicast') {
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) {
      return { ok: false, reason: `${address} is an IPv4-compatible address` };
    }
    return { ok: true };
  }
  return { ok: false, reason: `${address} is ${RANGE_WORDS[range] ?? `a special-purpose address (${range})`}` };
}

/** Does an allow-list entry name this host? Entries are host names or IPs; `*.example.com` matches subdomains. */
export function hostAllowed(host: string, allowHosts: readonly string[]): boolean {
  const h = bareHost(host).toLowerCase().replace(/\.$/, '');
  for (const raw of allowHosts) {
    const entry = bareHost(raw.trim().toLowerCase()).replace(/\.$/, '');
    if (!entry) continue;
    if (entry === h) return true;
    if (entry.startsWith('*.') && h.endsWith(entry.slice(1))) return true;
  }
  return false;
}

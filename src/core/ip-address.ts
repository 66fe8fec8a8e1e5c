/**
 * IP addresses as Go's net package reads them (the rules kubectl, docker and containerd apply): dotted IPv4
 * without leading zeros, IPv6 with `::` and an IPv4 tail, IPv4-mapped IPv6 taken as IPv4. Pure.
 */

/** A URL's hostname as sockets take it: an IPv6 address without its brackets. */
export function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

export function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** `localhost`, or an address in 127.0.0.0/8 or ::1 (IPv4-mapped too); a host without port or brackets. */
export function isLoopback(host: string): boolean {
  if (host.toLowerCase() === "localhost") return true;
  const address = parseIpAddress(host);
  return address !== null && (address.length === 4 ? address[0] === 127 : sameAddress(address, ipv6Loopback));
}

const ipv6Loopback = Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : 0));

/** 4 bytes for IPv4 (IPv4-mapped IPv6 included, as Go compares them), 16 for IPv6; null when not an IP. */
export function parseIpAddress(text: string): Uint8Array | null {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  const v6 = parseIpv6(text);
  if (!v6) return null;
  const mapped = v6.slice(0, 10).every((byte) => byte === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  // No leading zeros: Go refuses them, and a URL reads them as octal.
  const byte = (part: string) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255;
  return parts.length === 4 && parts.every(byte) ? Uint8Array.from(parts, Number) : null;
}

function parseIpv6(text: string): Uint8Array | null {
  if (!text.includes(":")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // An embedded IPv4 address can only end the address.
  const last = halves.length === 2 ? tail : head;
  let v4: Uint8Array | null = null;
  if (last[last.length - 1]?.includes(".")) {
    v4 = parseIpv4(last.pop()!);
    if (!v4) return null;
  }
  for (const group of [...head, ...tail]) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
  }
  const count = head.length + tail.length + (v4 ? 2 : 0);
  if (halves.length === 2 ? count > 7 : count !== 8) return null;
  const words: number[] = [];
  words.push(...head.map((g) => Number.parseInt(g, 16)));
  for (let i = count; i < 8; i++) words.push(0);
  words.push(...tail.map((g) => Number.parseInt(g, 16)));
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  if (v4) bytes.set(v4, 12);
  return bytes;
}

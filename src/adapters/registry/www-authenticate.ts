/**
 * `WWW-Authenticate` challenges (RFC 7235) as registries send them: `Bearer realm="…",service="…",
 * scope="repository:app:pull"` or `Basic realm="…"`. Several challenges may share one header value
 * (fetch joins repeated headers with ", "). Pure.
 */

/** One challenge: the scheme in lower case, parameters with lower-case names. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

const tokenChar = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Every challenge in a header value, in order; unreadable parts are skipped. */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let current: Challenge | null = null;
  let i = 0;
  const skip = (chars: RegExp) => {
    while (i < header.length && chars.test(header[i]!)) i++;
  };
  const token = () => {
    const start = i;
    while (i < header.length && tokenChar.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  // Unquoted values should be tokens; some servers send URLs unquoted, so read up to the next comma.
  const bare = () => {
    const start = i;
    while (i < header.length && !/[,\s]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  const quoted = () => {
    let value = "";
    i++; // opening quote
    while (i < header.length && header[i] !== '"') {
      if (header[i] === "\\" && i + 1 < header.length) i++;
      value += header[i];
      i++;
    }
    i++; // closing quote
    return value;
  };
  while (i < header.length) {
    skip(/[\s,]/);
    if (i >= header.length) break;
    const word = token();
    if (word === "") {
      i++;
      continue;
    }
    skip(/\s/);
    if (header[i] === "=" && current !== null) {
      i++;
      skip(/\s/);
      const value = header[i] === '"' ? quoted() : bare();
      current.params[word.toLowerCase()] = value;
    } else {
      current = { scheme: word.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

/** How a registry wants to be authenticated, as learned from its challenge. */
export type RegistryAuthScheme =
  | { scheme: "none" }
  | { scheme: "basic" }
  | { scheme: "bearer"; realm: string; service: string | null; scope: string | null };

/**
 * The challenge to answer: Bearer (with a realm) before Basic, as docker and containerd prefer it.
 * Null when the header offers neither.
 */
export function registryAuthScheme(header: string | null): RegistryAuthScheme | null {
  const challenges = parseChallenges(header ?? "");
  const bearer = challenges.find((c) => c.scheme === "bearer" && c.params["realm"]);
  if (bearer) {
    return {
      scheme: "bearer",
      realm: bearer.params["realm"]!,
      service: bearer.params["service"] ?? null,
      scope: bearer.params["scope"] ?? null,
    };
  }
  if (challenges.some((c) => c.scheme === "basic")) return { scheme: "basic" };
  return null;
}

/** The pull scope of a repository for a token request (distribution's resource scope grammar). */
export function pullScope(path: string): string {
  return `repository:${path}:pull`;
}

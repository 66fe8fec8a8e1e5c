/**
 * Trust the operating system's CA certificates for https to registries, as docker and the kubelet do.
 * Node trusts only its own bundled list (plus NODE_EXTRA_CA_CERTS); a private registry whose CA was
 * installed with update-ca-certificates would otherwise fail TLS here while the nodes pull from it fine.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import tls from "node:tls";

/** Where distributions keep their bundle (Debian/Ubuntu/Alpine, Fedora/RHEL, openSUSE, macOS/BSD). */
const bundlePaths = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/** Node ≥ 22.19 / 24.5 can replace its default list; older ones are patched (see below). */
type TlsWithDefaults = typeof tls & {
  getCACertificates?: (type?: "default" | "system" | "bundled" | "extra") => string[];
  setDefaultCACertificates?: (certs: string[]) => void;
};

let trusted = false;

/**
 * Adds the system's CA certificates (`$SSL_CERT_FILE`, as OpenSSL reads it, else the distribution's bundle;
 * and macOS's or Windows' store) to what every TLS connection of this process trusts. Returns how many were
 * read; 0 when there is none.
 */
export function trustSystemCertificates(env: NodeJS.ProcessEnv): number {
  if (trusted) return 0;
  trusted = true;
  const api = tls as TlsWithDefaults;
  const system = [...readSystemBundle(env), ...storeCertificates(api, process.platform)];
  if (system.length === 0) return 0;
  if (api.getCACertificates && api.setDefaultCACertificates) {
    return trustBesidesDefaults({ get: api.getCACertificates, set: api.setDefaultCACertificates }, system);
  }
  // Older Node: every TLS client context is made by tls.createSecureContext (fetch's too); one built with
  // Node's default trust (no `ca` of its own) gets the system's certificates as well. Adding to it swaps
  // the shared store for a copy of Node's bundle that lacks NODE_EXTRA_CA_CERTS: those are added again.
  const extra = env["NODE_EXTRA_CA_CERTS"] ? certificatesIn(env["NODE_EXTRA_CA_CERTS"]) : [];
  const added = [...system, ...(extra ?? [])];
  const original = tls.createSecureContext;
  tls.createSecureContext = (options?: tls.SecureContextOptions) => {
    const context = original(options);
    if (options?.ca === undefined) {
      // One that does not parse is passed over here (Node 20's addCACert does not throw for it).
      const store = context.context as { addCACert(pem: string): void };
      for (const pem of added) store.addCACert(pem);
    }
    return context;
  };
  return system.length;
}

function readSystemBundle(env: NodeJS.ProcessEnv): string[] {
  const candidates = env["SSL_CERT_FILE"] ? [env["SSL_CERT_FILE"]] : bundlePaths;
  for (const path of candidates) {
    const certificates = certificatesIn(path);
    if (certificates !== null) return certificates;
  }
  return [];
}

/**
 * The certificates of the operating system's own store where no bundle file holds them: macOS's keychains
 * and Windows' certificate store, where a company's CA is installed (kubectl and docker trust it there).
 * Read where Node can (22.15 and later: the executable); Linux's store is its bundle.
 */
export function storeCertificates(
  api: Pick<TlsWithDefaults, "getCACertificates">,
  platform: NodeJS.Platform,
): string[] {
  if ((platform !== "darwin" && platform !== "win32") || !api.getCACertificates) return [];
  try {
    return api.getCACertificates("system");
  } catch {
    return [];
  }
}

/**
 * Sets what TLS trusts to Node's own ("default": its bundle and NODE_EXTRA_CA_CERTS) and the system's on
 * top; returns how many of those were added. One that does not parse throws for all: then only those that
 * parse are added (checked only then: ~0.15 ms each).
 */
export function trustBesidesDefaults(
  api: { get(type: "default"): string[]; set(certs: string[]): void },
  system: readonly string[],
): number {
  const defaults = api.get("default");
  try {
    api.set([...defaults, ...system]);
    return system.length;
  } catch {
    const parsed = system.filter(parses);
    api.set([...defaults, ...parsed]);
    return parsed.length;
  }
}

function parses(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** The PEM certificates in a file; null when it can't be read. */
function certificatesIn(path: string): string[] | null {
  try {
    const text = readFileSync(path, "utf8");
    return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  } catch {
    return null;
  }
}

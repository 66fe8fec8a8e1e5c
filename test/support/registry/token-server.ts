/**
 * A small Docker token server (distribution docs/spec/auth/token.md, oauth.md) for `auth: token` registries
 * in tests: it signs real JWTs with a throwaway key whose certificate the registry trusts
 * (`rootcertbundle`), so the Bearer flow runs against the registry's own verification code.
 *
 * distribution 2.8 (registry/auth/token/token.go) finds the signing key through the JWT header: `x5c`
 * (a chain it verifies against the root bundle) or `kid` (the libtrust key ID of a key in the bundle).
 * Both are supported here. The claim set is 2.8's: iss, sub, aud (a string), exp, nbf, iat, jti, access.
 */

import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, createSign, randomUUID, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TokenServerOptions {
  service?: string;
  issuer?: string;
  /** username → password, for Basic credentials on GET. */
  users?: Record<string, string>;
  /** refresh (identity) token → username, for the OAuth2 POST grant_type=refresh_token. */
  refreshTokens?: Record<string, string>;
  /** Repositories pulled without credentials (`*` for all). */
  anonymousPull?: string[];
  /** Seconds; omitted from the answer when null (clients then assume 60). */
  expiresIn?: number | null;
  /** How the JWT names its signing key. */
  keyRef?: "x5c" | "kid";
  keyType?: "rsa" | "ec";
  /** Answer `access_token` instead of `token` (both are valid). */
  accessTokenField?: boolean;
}

interface TokenCall {
  method: string;
  /** Who asked: a username, or null for anonymous. */
  user: string | null;
  grant: "anonymous" | "basic" | "refresh_token" | "rejected";
  service: string;
  scopes: string[];
  status: number;
  /** The raw Authorization header and body, so tests can check what the client sent. */
  authorization: string;
  body: string;
}

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificate file for the registry's `rootcertbundle`. */
  rootCertBundle: string;
  calls: TokenCall[];
  stop(): Promise<void>;
}

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const service = options.service ?? "kau-test-registry";
  const issuer = options.issuer ?? "kau-test-issuer";
  const dir = mkdtempSync(join(tmpdir(), "kau-token-"));
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "cert.pem");
  const newKey =
    options.keyType === "ec"
      ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
      : ["-newkey", "rsa:2048"];
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      ...newKey,
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "2",
      "-subj",
      "/CN=kau-token-signer",
    ],
    { stdio: "pipe" },
  );
  const key = readFileSync(keyPath, "utf8");
  const certPem = readFileSync(certPath, "utf8");
  const certDer = certPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const alg = options.keyType === "ec" ? "ES256" : "RS256";
  const header =
    options.keyRef === "kid"
      ? { typ: "JWT", alg, kid: libtrustKeyId(certPem) }
      : { typ: "JWT", alg, x5c: [certDer] };

  const calls: TokenCall[] = [];
  const users = options.users ?? {};
  const refreshTokens = options.refreshTokens ?? {};
  const anonymous = options.anonymousPull ?? [];

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://token");
    const form = req.method === "POST" ? new URLSearchParams(body) : url.searchParams;
    const scopes = form
      .getAll("scope")
      .flatMap((s) => s.split(" "))
      .filter(Boolean);
    const askedService = form.get("service") ?? "";
    const authorization = req.headers.authorization ?? "";
    const call: TokenCall = {
      method: req.method ?? "",
      user: null,
      grant: "anonymous",
      service: askedService,
      scopes,
      status: 200,
      authorization,
      body,
    };
    calls.push(call);
    const reject = (status: number, message: string) => {
      call.grant = "rejected";
      call.status = status;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ details: message }));
    };

    if (req.method === "POST") {
      if (form.get("grant_type") !== "refresh_token") return reject(400, "unsupported grant_type");
      const user = refreshTokens[form.get("refresh_token") ?? ""];
      if (!user) return reject(401, "invalid refresh token");
      call.user = user;
      call.grant = "refresh_token";
    } else if (authorization.startsWith("Basic ")) {
      const decoded = Buffer.from(authorization.slice(6), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const user = decoded.slice(0, colon);
      if (colon < 0 || users[user] === undefined || users[user] !== decoded.slice(colon + 1)) {
        return reject(401, "incorrect username or password");
      }
      call.user = user;
      call.grant = "basic";
    }
    if (askedService !== service) return reject(400, `unknown service ${askedService}`);

    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(":");
      if (type !== "repository" || !name || !actions) return [];
      // Users may pull and push (tests push through this server); anyone may pull the public repositories.
      const granted = actions
        .split(",")
        .filter((a) => (call.user !== null ? a === "pull" || a === "push" : a === "pull"));
      const allowed = call.user !== null || anonymous.includes("*") || anonymous.includes(name);
      return allowed && granted.length > 0 ? [{ type, name, actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: call.user ?? "",
      aud: service,
      exp: now + (options.expiresIn ?? 300),
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const token = signJwt(header, claims, key, alg);
    const answer: Record<string, unknown> = options.accessTokenField ? { access_token: token } : { token };
    if (options.expiresIn !== null) answer["expires_in"] = options.expiresIn ?? 300;
    answer["issued_at"] = new Date(now * 1000).toISOString();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: certPath,
    calls,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on("end", () => resolve(text));
  });
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

function signJwt(header: object, claims: object, key: string, alg: string): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature =
    alg === "ES256"
      ? sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" })
      : createSign("RSA-SHA256").update(input).sign(key);
  return `${input}.${base64url(signature)}`;
}

/**
 * libtrust's key ID (docker/libtrust util.go keyIDFromCryptoKey): SHA-256 of the DER SubjectPublicKeyInfo,
 * first 240 bits, base32 without padding, in groups of four joined by colons.
 */
function libtrustKeyId(certPem: string): string {
  const spki = createPublicKey(certPem).export({ type: "spki", format: "der" });
  const digest = createHash("sha256").update(spki).digest().subarray(0, 30);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const byte of digest) bits += byte.toString(2).padStart(8, "0");
  let encoded = "";
  for (let i = 0; i < bits.length; i += 5) encoded += alphabet[Number.parseInt(bits.slice(i, i + 5), 2)];
  return encoded.match(/.{4}/g)!.join(":");
}

/**
 * TLS failures as the registry resolver reports them: OpenSSL's error line cut to its reason, a registry that
 * answers plain http named with the flag for it, and every certificate verification code taken as final.
 * Against a plain http server on loopback, asked over https as a host not named insecure would be.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPermanentFailure } from "../../../../src/adapters/http/permanent-failures.js";
import { RegistryResolver } from "../../../../src/adapters/registry/resolver.js";
import { parseImageRef } from "../../../../src/core/image-ref.js";

let server: http.Server;
let port = 0;
let connections = 0;
beforeAll(async () => {
  server = http.createServer((_request, response) => response.writeHead(200).end("{}"));
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("a TLS failure", () => {
  it("of a registry answering plain http is one line naming --insecure-registry, asked once", async () => {
    const resolver = new RegistryResolver({
      isInsecure: () => false,
      timeoutMs: 2000,
      retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1000 },
    });
    const result = await resolver.resolveTag(parseImageRef(`127.0.0.1:${port}/app:1`), []);
    expect(result).toMatchObject({
      reason: `127.0.0.1:${port}: TLS error: wrong version number (it answers plain http: pass --insecure-registry HOST[:PORT])`,
    });
    expect(connections).toBe(1);
  });

  it("is final for every certificate verification code Node.js reports, not asked again", () => {
    const codes = ["INVALID_PURPOSE", "INVALID_CA", "PATH_LENGTH_EXCEEDED", "ERROR_IN_CERT_NOT_AFTER_FIELD"];
    expect(
      codes.concat("CRL_HAS_EXPIRED", "CERT_HAS_EXPIRED").filter((code) => !isPermanentFailure(code)),
    ).toEqual([]);
    expect(["ECONNRESET", "INVALID_ARGUMENT"].filter(isPermanentFailure)).toEqual([]);
  });
});

/**
 * The system's CA certificates on top of Node's own, where Node can set its default list (22.19, 24.5 and
 * the executable's 26): one certificate of the bundle that does not parse makes that call throw for all.
 */
import { X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";
import { expect, it } from "vitest";
import { storeCertificates, trustBesidesDefaults } from "../../../src/adapters/system-ca.js";

/** Node 26's setDefaultCACertificates: refuses the whole list when one certificate does not parse. */
function nodeDefaults() {
  let trusted: string[] = [rootCertificates[0]!];
  return {
    get: () => trusted,
    set(certs: string[]) {
      for (const pem of certs) new X509Certificate(pem);
      trusted = certs;
    },
    trusted: () => trusted,
  };
}

const unparsable = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----";

it("adds the system's certificates; one that does not parse is left out, not the others", () => {
  const system = [rootCertificates[1]!, rootCertificates[2]!];
  const whole = nodeDefaults();
  expect(trustBesidesDefaults(whole, system)).toBe(2);
  expect(whole.trusted()).toEqual([rootCertificates[0], ...system]);

  const damaged = nodeDefaults();
  expect(trustBesidesDefaults(damaged, [unparsable, ...system])).toBe(2);
  expect(damaged.trusted()).toEqual([rootCertificates[0], ...system]);
});

it("reads macOS's and Windows' own store where Node can; Linux's is its bundle file", () => {
  const asked: string[] = [];
  const store = {
    getCACertificates: (type?: string) => {
      asked.push(String(type));
      return [rootCertificates[3]!];
    },
  };
  expect(storeCertificates(store, "darwin")).toEqual([rootCertificates[3]]);
  expect(storeCertificates(store, "win32")).toEqual([rootCertificates[3]]);
  expect(asked).toEqual(["system", "system"]);
  expect(storeCertificates(store, "linux")).toEqual([]);
  // Node 20, which cannot read it; a store that cannot be read adds nothing and stops nothing.
  expect(storeCertificates({}, "darwin")).toEqual([]);
  const broken = {
    getCACertificates: () => {
      throw new Error("keychain locked");
    },
  };
  expect(storeCertificates(broken, "darwin")).toEqual([]);
});

/** The store docker takes for a config with no credential of its own: the platform's, where installed. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultCredentialStore } from "../../../../src/adapters/credentials/default-store.js";

const bin = mkdtempSync(join(tmpdir(), "kau-unit-store-bin-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));
const install = (...programs: string[]) => {
  for (const program of programs) {
    writeFileSync(join(bin, program), "#!/bin/sh\n");
    chmodSync(join(bin, program), 0o755);
  }
};

describe("defaultCredentialStore", () => {
  it("on Linux: pass where the pass tool is, else secretservice; none unless its helper is installed", () => {
    const env = { PATH: bin };
    expect(defaultCredentialStore(env, "linux")).toBeNull();
    install("docker-credential-secretservice");
    expect(defaultCredentialStore(env, "linux")).toBe("secretservice");
    install("pass");
    // The pass tool decides, though only its helper is missing: docker then uses none.
    expect(defaultCredentialStore(env, "linux")).toBeNull();
    install("docker-credential-pass");
    expect(defaultCredentialStore(env, "linux")).toBe("pass");
    expect(defaultCredentialStore({}, "linux")).toBeNull();
    // Found first through a relative directory of $PATH, which Go's exec.LookPath refuses (ErrDot): none,
    // though an absolute one after it holds the helper too.
    expect(defaultCredentialStore({ PATH: relative(process.cwd(), bin) }, "linux")).toBeNull();
    expect(defaultCredentialStore({ PATH: `${relative(process.cwd(), bin)}:${bin}` }, "linux")).toBeNull();
  });

  it("on macOS the keychain's helper; a file that is not executable is not installed", () => {
    writeFileSync(join(bin, "docker-credential-osxkeychain"), "", { mode: 0o644 });
    expect(defaultCredentialStore({ PATH: bin }, "darwin")).toBeNull();
    install("docker-credential-osxkeychain");
    expect(defaultCredentialStore({ PATH: bin }, "darwin")).toBe("osxkeychain");
  });
});

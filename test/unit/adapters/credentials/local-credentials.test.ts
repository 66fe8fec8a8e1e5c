import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LocalCredentials } from "../../../../src/adapters/credentials/local-credentials.js";
import type { Exec, ExecOptions } from "../../../../src/adapters/exec.js";
import { ToolMissingError } from "../../../../src/errors.js";

interface Call {
  file: string;
  args: readonly string[];
  input: string | undefined;
}

/** An exec that plays credential helpers from a table: helper → server address → answer. */
function helpers(
  table: Record<string, Record<string, { Username: string; Secret: string }> | "missing" | "broken">,
) {
  const calls: Call[] = [];
  const exec: Exec = async (file, args, options: ExecOptions = {}) => {
    calls.push({ file, args, input: options.input });
    const store = table[file.replace(/^docker-credential-/, "")];
    if (store === undefined || store === "missing") throw new ToolMissingError(`${file}: not found`);
    if (store === "broken")
      return {
        exitCode: 1,
        stdout: "",
        stderr: "error getting credentials - err: exit status 1, out: `keychain locked`\n",
        interrupted: false,
      };
    const entry = store[options.input ?? ""];
    if (!entry)
      return {
        exitCode: 1,
        stdout: "credentials not found in native keychain\n",
        stderr: "",
        interrupted: false,
      };
    return {
      exitCode: 0,
      stdout: JSON.stringify({ ServerURL: options.input, ...entry }),
      stderr: "",
      interrupted: false,
    };
  };
  return { exec, calls };
}

const homes: string[] = [];
afterAll(() => {
  for (const dir of homes) rmSync(dir, { recursive: true, force: true });
});

function home(config: object | string | null, where: "home" | "DOCKER_CONFIG" = "home") {
  const dir = mkdtempSync(join(tmpdir(), "kau-unit-home-"));
  homes.push(dir);
  const configDir = where === "home" ? join(dir, ".docker") : join(dir, "elsewhere");
  mkdirSync(configDir);
  if (config !== null)
    writeFileSync(
      join(configDir, "config.json"),
      typeof config === "string" ? config : JSON.stringify(config),
    );
  return { home: dir, env: where === "DOCKER_CONFIG" ? { DOCKER_CONFIG: configDir } : {} };
}

describe("LocalCredentials", () => {
  it("runs a helper once per registry, with the server address on stdin and only `get` in argv", async () => {
    const { exec, calls } = helpers({ test: { "reg.example.com": { Username: "u", Secret: "s3cret" } } });
    const h = home({ credHelpers: { "reg.example.com": "test" } });
    const local = new LocalCredentials({ exec, env: h.env, home: h.home });
    const answers = await Promise.all([
      local.lookup("reg.example.com"),
      local.lookup("reg.example.com"),
      local.lookup("reg.example.com"),
    ]);
    for (const answer of answers) {
      expect(answer).toEqual([
        { username: "u", password: "s3cret", source: "docker config credHelpers (docker-credential-test)" },
      ]);
    }
    expect(calls).toEqual([{ file: "docker-credential-test", args: ["get"], input: "reg.example.com" }]);
    expect(local.warnings()).toEqual([]);
  });

  it("asks about Docker Hub by its historical URL; <token> is an identity token", async () => {
    const { exec, calls } = helpers({
      desktop: { "https://index.docker.io/v1/": { Username: "<token>", Secret: "refresh" } },
    });
    const h = home({ credsStore: "desktop" }, "DOCKER_CONFIG");
    const local = new LocalCredentials({ exec, env: h.env, home: "/nonexistent" });
    expect(await local.lookup("docker.io")).toEqual([
      { identityToken: "refresh", source: "docker config credsStore (docker-credential-desktop)" },
    ]);
    expect(calls[0]!.input).toBe("https://index.docker.io/v1/");
  });

  it("a config with no credential of its own takes the platform's helper where it is installed, as docker does", async () => {
    const bin = mkdtempSync(join(tmpdir(), "kau-unit-bin-"));
    homes.push(bin);
    for (const program of ["pass", "docker-credential-pass"]) {
      writeFileSync(join(bin, program), "#!/bin/sh\n", { mode: 0o755 });
    }
    const { exec, calls } = helpers({ pass: { "reg.example.com": { Username: "u", Secret: "from-pass" } } });
    for (const config of [null, {}, { credHelpers: {} }]) {
      const h = home(config);
      const local = new LocalCredentials({ exec, env: { PATH: bin }, home: h.home });
      expect(await local.lookup("reg.example.com")).toEqual([
        { username: "u", password: "from-pass", source: "docker config credsStore (docker-credential-pass)" },
      ]);
    }
    // A config that holds a credential of its own keeps to it.
    const own = home({ auths: { "other.example.com": { auth: Buffer.from("a:b").toString("base64") } } });
    const asked = calls.length;
    expect(
      await new LocalCredentials({ exec, env: { PATH: bin }, home: own.home }).lookup("reg.example.com"),
    ).toEqual([]);
    expect(calls).toHaveLength(asked);
  });

  it("asks one store, as docker does: a helper with nothing for the registry leaves it without a credential", async () => {
    const { exec, calls } = helpers({
      ecr: {},
      desktop: { "reg.example.com": { Username: "AWS", Secret: "STALE-DESKTOP-TOKEN" } },
    });
    const auth = Buffer.from("file-user:file-pw").toString("base64");
    const h = home({
      credHelpers: { "reg.example.com": "ecr" },
      credsStore: "desktop",
      auths: { "reg.example.com": { auth } },
    });
    const local = new LocalCredentials({ exec, env: h.env, home: h.home });
    expect(await local.lookup("reg.example.com")).toEqual([]);
    expect(calls.map((c) => c.file)).toEqual(["docker-credential-ecr"]);
    expect(local.warnings()).toEqual([]);
  });

  it("$DOCKER_AUTH_CONFIG's auths come before every store, as docker 28.3 reads them (GitLab CI sets it)", async () => {
    const { exec, calls } = helpers({ desktop: { "other.example.com": { Username: "o", Secret: "o-pw" } } });
    const auth = Buffer.from("ci-bot:ci-pw").toString("base64");
    const h = home({ credsStore: "desktop" });
    const env = { ...h.env, DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { "reg.example.com": { auth } } }) };
    const local = new LocalCredentials({ exec, env, home: h.home });
    expect(await local.lookup("reg.example.com")).toEqual([
      { username: "ci-bot", password: "ci-pw", source: "DOCKER_AUTH_CONFIG" },
    ]);
    expect(calls).toEqual([]);
    expect(await local.lookup("other.example.com")).toEqual([
      { username: "o", password: "o-pw", source: "docker config credsStore (docker-credential-desktop)" },
    ]);
    const broken = new LocalCredentials({ exec, env: { ...h.env, DOCKER_AUTH_CONFIG: "{" }, home: h.home });
    await broken.lookup("reg.example.com");
    expect(broken.warnings()).toEqual([
      "$DOCKER_AUTH_CONFIG is not what docker reads (auths only, each with an auth of user:password alone); its credentials are not used",
    ]);
  });

  it("a helper that fails leaves the file's own entry, as docker falls back on it", async () => {
    const { exec } = helpers({ broken: "broken" });
    const auth = Buffer.from("file-user:file-pw").toString("base64");
    const h = home({ credsStore: "broken", auths: { "reg.example.com": { auth } } });
    const local = new LocalCredentials({ exec, env: h.env, home: h.home });
    expect(await local.lookup("reg.example.com")).toEqual([
      { username: "file-user", password: "file-pw", source: "docker config auths" },
    ]);
    expect(local.warnings()).toEqual([expect.stringContaining("docker-credential-broken get failed")]);
  });

  it("a missing or failing helper, an unreadable config: no credentials and a warning, never a throw", async () => {
    const missing = helpers({ gone: "missing", broken: "broken" });
    const h = home({ credHelpers: { a: "gone", b: "broken" } });
    const local = new LocalCredentials({ exec: missing.exec, env: h.env, home: h.home });
    expect(await local.lookup("a")).toEqual([]);
    expect(await local.lookup("b")).toEqual([]);
    expect(local.warnings()).toEqual([
      "docker-credential-gone (docker config credHelpers) is not on PATH; its credentials are not used",
      "docker-credential-broken get failed for b: error getting credentials - err: exit status 1, out: `keychain locked`",
    ]);

    // A helper that printed its answer, then failed: the warning does not repeat what it printed.
    const leaky: Exec = async () => ({
      exitCode: 1,
      stdout: '{"ServerURL":"c","Username":"bob","Secret":"S3cr3t-helper-pw"}\n',
      stderr: "",
      interrupted: false,
    });
    const c = home({ credHelpers: { c: "leaky" } });
    const failing = new LocalCredentials({ exec: leaky, env: c.env, home: c.home });
    expect(await failing.lookup("c")).toEqual([]);
    expect(failing.warnings()).toEqual(["docker-credential-leaky get failed for c: exit 1"]);

    const bad = home("{not json");
    const unreadable = new LocalCredentials({ exec: missing.exec, env: bad.env, home: bad.home });
    expect(await unreadable.lookup("a")).toEqual([]);
    expect(unreadable.warnings()).toEqual([
      `${join(bad.home, ".docker", "config.json")} is not valid JSON; its credentials are not used`,
    ]);

    const none = home(null);
    const absent = new LocalCredentials({ exec: missing.exec, env: none.env, home: none.home });
    expect(await absent.lookup("a")).toEqual([]);
    expect(absent.warnings()).toEqual([]);
  });
});

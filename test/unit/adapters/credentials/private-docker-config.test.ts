/**
 * The throwaway docker configs keep the user's docker context: `docker --config DIR` would otherwise talk
 * to the default socket while `docker version` and `docker image inspect` talk to the context's engine.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  userDockerEngine,
  writeDockerConfig,
  writeEmptyDockerConfig,
} from "../../../../src/adapters/credentials/private-docker-config.js";
import { removePrivateDirs } from "../../../../src/adapters/private-dir.js";

const homes: string[] = [];
afterEach(() => {
  removePrivateDirs();
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** A home whose ~/.docker names `context` (and holds a context store), or no config at all. */
function home(config?: object): string {
  const dir = mkdtempSync(join(tmpdir(), "kau-docker-home-"));
  homes.push(dir);
  if (config) {
    mkdirSync(join(dir, ".docker", "contexts", "meta", "abc"), { recursive: true });
    writeFileSync(join(dir, ".docker", "contexts", "meta", "abc", "meta.json"), '{"Name":"colima"}');
    writeFileSync(join(dir, ".docker", "config.json"), JSON.stringify(config));
  }
  return dir;
}

const credential = { username: "puller", password: "s3cret", source: "secret shop/regcred" };

describe("the user's docker context, kept by every private config", () => {
  it("a current context: named in the private config.json, its store linked, not copied", () => {
    const engine = userDockerEngine(
      {},
      home({ currentContext: "colima", auths: { "x.io": { auth: "eA==" } } }),
    );
    expect(engine.currentContext).toBe("colima");
    for (const dir of [
      writeDockerConfig("registry.example", credential, engine),
      writeEmptyDockerConfig(engine),
    ]) {
      const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
      expect(config.currentContext).toBe("colima");
      // Only what the private config is for: the user's own logins are not copied.
      expect(Object.keys(config.auths)).not.toContain("x.io");
      expect(lstatSync(join(dir, "contexts")).isSymbolicLink()).toBe(true);
      expect(realpathSync(join(dir, "contexts"))).toBe(realpathSync(join(engine.configDir, "contexts")));
      expect(statSync(join(dir, "config.json")).mode & 0o077).toBe(0);
    }
    removePrivateDirs();
    // Removing the private configs removes the links, never the user's context store.
    expect(existsSync(join(engine.configDir, "contexts", "meta", "abc", "meta.json"))).toBe(true);
  });

  it("a relative $DOCKER_CONFIG is taken from the working directory, so the link resolves", () => {
    const elsewhere = home({ currentContext: "rootless" });
    const engine = userDockerEngine(
      { DOCKER_CONFIG: relative(process.cwd(), join(elsewhere, ".docker")) },
      home(),
    );
    expect(engine.configDir).toBe(join(elsewhere, ".docker"));
    const dir = writeEmptyDockerConfig(engine);
    expect(existsSync(join(dir, "contexts", "meta", "abc", "meta.json"))).toBe(true);
  });

  it("$DOCKER_CONFIG is where the config is read", () => {
    const elsewhere = home({ currentContext: "rootless" });
    const engine = userDockerEngine({ DOCKER_CONFIG: join(elsewhere, ".docker") }, home());
    expect(engine).toEqual({ configDir: join(elsewhere, ".docker"), currentContext: "rootless" });
  });

  it("the config's HttpHeaders, which docker sends its engine on every request, go with it", () => {
    const headers = { "X-Daemon-Token": "gateway-token" };
    const engine = userDockerEngine({}, home({ HttpHeaders: { ...headers, Ignored: 7 } }));
    expect(engine.httpHeaders).toEqual(headers);
    for (const dir of [
      writeDockerConfig("registry.example", credential, engine),
      writeEmptyDockerConfig(engine),
    ]) {
      expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).HttpHeaders).toEqual(headers);
    }
    expect(userDockerEngine({}, home({ HttpHeaders: "x" })).httpHeaders).toBeUndefined();
  });

  it("no context, the default one, or no readable config: the private config names none", () => {
    for (const engine of [
      userDockerEngine({}, home({ auths: {} })),
      userDockerEngine({}, home({ currentContext: "default" })),
      userDockerEngine({}, home()),
    ]) {
      expect(engine.currentContext).toBeUndefined();
      const dir = writeDockerConfig("registry.example", credential, engine);
      expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).currentContext).toBeUndefined();
      // The store is still linked where there is one: $DOCKER_CONTEXT may name a context in it.
      expect(existsSync(join(dir, "contexts"))).toBe(existsSync(join(engine.configDir, "contexts")));
    }
  });
});

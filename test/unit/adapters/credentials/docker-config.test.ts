import { describe, expect, it } from "vitest";
import {
  convertToHostname,
  dockerServerAddress,
  envAuthsAsDockerReads,
  helperCredential,
  localCredentialStore,
} from "../../../../src/adapters/credentials/docker-config.js";

describe("local docker config lookup (docker's order)", () => {
  const auth = (u: string) => ({ auth: Buffer.from(`${u}:pw-${u}`).toString("base64") });

  it("uses Docker Hub's historical server address and docker's ConvertToHostname", () => {
    expect(dockerServerAddress("docker.io")).toBe("https://index.docker.io/v1/");
    expect(dockerServerAddress("localhost:5000")).toBe("localhost:5000");
    expect(convertToHostname("https://reg.example.com:5000/v2/")).toBe("reg.example.com:5000");
    expect(convertToHostname("reg.example.com")).toBe("reg.example.com");
  });

  it("one store a registry: credHelpers[host], else credsStore, else auths; auths kept for a failing helper", () => {
    const file = { username: "file", password: "pw-file", source: "docker config auths" };
    const config = {
      credHelpers: { "reg.example.com": "ecr-login", "plain.example.com": "" },
      credsStore: "desktop",
      auths: { "https://reg.example.com/v1/": auth("file"), "plain.example.com": auth("file") },
    };
    expect(localCredentialStore(config, "reg.example.com")).toEqual({
      kind: "helper",
      helper: "ecr-login",
      serverAddress: "reg.example.com",
      via: "credHelpers",
      onFailure: file,
    });
    expect(localCredentialStore(config, "other.example.com")).toEqual({
      kind: "helper",
      helper: "desktop",
      serverAddress: "other.example.com",
      via: "credsStore",
      onFailure: null,
    });
    // An empty helper name is docker's way of sending a registry to the file.
    expect(localCredentialStore(config, "plain.example.com")).toEqual({ kind: "auths", credential: file });
    expect(localCredentialStore({ auths: config.auths }, "reg.example.com")).toEqual({
      kind: "auths",
      credential: file,
    });
  });

  it("matches auths exactly, then by hostname; Docker Hub by its URL", () => {
    const config = {
      auths: {
        "https://index.docker.io/v1/": auth("hub"),
        "http://localhost:5000": auth("local"),
        "localhost:5001": { identitytoken: "idt" },
        "empty.example.com": {},
      },
    };
    const users = (domain: string) => {
      const store = localCredentialStore(config, domain);
      return store.kind === "auths" && store.credential ? [store.credential] : [];
    };
    expect(users("docker.io")).toEqual([
      { username: "hub", password: "pw-hub", source: "docker config auths" },
    ]);
    expect(users("localhost:5000")).toEqual([
      { username: "local", password: "pw-local", source: "docker config auths" },
    ]);
    expect(users("localhost:5001")).toEqual([{ identityToken: "idt", source: "docker config auths" }]);
    expect(users("empty.example.com")).toEqual([]);
    expect(users("localhost:5002")).toEqual([]);
    expect(localCredentialStore({}, "docker.io")).toEqual({ kind: "auths", credential: null });
  });

  it("reads keys as docker does: credHelpers exactly; auths exactly, else a legacy key of that very address", () => {
    // `docker login index.docker.io` writes a key docker never reads for Docker Hub.
    expect(localCredentialStore({ auths: { "index.docker.io": auth("me") } }, "docker.io")).toEqual({
      kind: "auths",
      credential: null,
    });
    expect(
      localCredentialStore({ auths: { "https://index.docker.io/v2/": auth("me") } }, "docker.io"),
    ).toEqual({
      kind: "auths",
      credential: null,
    });
    // A URL-shaped credHelpers key is no host's helper: credsStore answers.
    const helpers = {
      credsStore: "desktop",
      credHelpers: { "https://reg.example.com": "team", "index.docker.io": "team" },
    };
    expect(localCredentialStore(helpers, "reg.example.com")).toMatchObject({
      helper: "desktop",
      via: "credsStore",
    });
    expect(localCredentialStore(helpers, "docker.io")).toMatchObject({
      helper: "desktop",
      via: "credsStore",
    });
  });

  it("takes $DOCKER_AUTH_CONFIG's auths by their exact key, as docker's memory store does", () => {
    const env = { "https://reg.example.com": auth("ci"), "other.example.com": auth("ci") };
    expect(localCredentialStore({}, "reg.example.com", env)).toEqual({ kind: "auths", credential: null });
    expect(localCredentialStore({}, "other.example.com", env)).toEqual({
      kind: "auths",
      credential: { username: "ci", password: "pw-ci", source: "DOCKER_AUTH_CONFIG" },
    });
  });

  it.each<[string, unknown, boolean]>([
    ["auths of auth alone", { auths: { "reg.example.com": auth("ci") } }, true],
    ["no auths", {}, true],
    [
      "an entry of username and password",
      { auths: { "reg.example.com": { username: "ci", password: "pw" } } },
      false,
    ],
    [
      "an auth beside other fields",
      { auths: { "reg.example.com": { ...auth("ci"), email: "ci@example.com" } } },
      false,
    ],
    ["an auth that is not user:password", { auths: { "reg.example.com": { auth: "bm9jb2xvbg==" } } }, false],
    ["a field besides auths", { auths: {}, credsStore: "desktop" }, false],
    ["not an object", [], false],
    [
      "names in other cases, as Go's JSON matches them",
      { Auths: { "reg.example.com": { Auth: auth("ci").auth } } },
      true,
    ],
    [
      "an auth without its padding",
      { auths: { "reg.example.com": { auth: auth("ci").auth.replace(/=+$/, "") } } },
      false,
    ],
    ["an auth in base64url", { auths: { "reg.example.com": { auth: "Y2k6cHc-_w==" } } }, false],
    // `base64` wraps at 76 columns; Go's decoder skips line breaks.
    ["an auth wrapped over lines", { auths: { "reg.example.com": { auth: "Y2k6\ncHctY2k=" } } }, true],
  ])("$DOCKER_AUTH_CONFIG with %s: docker reads it only as auths of an auth alone", (_, parsed, read) => {
    expect(envAuthsAsDockerReads(parsed) !== null).toBe(read);
  });

  it("reads helper answers; <token> means an identity token", () => {
    expect(helperCredential({ ServerURL: "x", Username: "AWS", Secret: "pw" }, "s")).toEqual({
      username: "AWS",
      password: "pw",
      source: "s",
    });
    expect(helperCredential({ Username: "<token>", Secret: "refresh" }, "s")).toEqual({
      identityToken: "refresh",
      source: "s",
    });
    expect(helperCredential({ Username: "u", Secret: "" }, "s")).toBeNull();
    expect(helperCredential(null, "s")).toBeNull();
  });
});

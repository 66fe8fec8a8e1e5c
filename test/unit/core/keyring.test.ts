import { describe, expect, it } from "vitest";
import {
  type DockerAuths,
  Keyring,
  keyedCredentials,
  keyringKey,
  pullSecretAuths,
} from "../../../src/core/keyring.js";

const basic = (user: string) => ({ auth: Buffer.from(`${user}:pw-${user}`).toString("base64") });
const ring = (auths: DockerAuths, source = "secret ns/s") => new Keyring(keyedCredentials(auths, source));
const users = (k: Keyring, repo: string) => k.lookup(repo).map((c) => c.username);

describe("keyringKey strips scheme and /v1/ /v2/ like the kubelet", () => {
  it.each([
    ["https://index.docker.io/v1/", "index.docker.io"],
    ["index.docker.io", "index.docker.io"],
    ["http://localhost:5000", "localhost:5000"],
    ["https://registry.example.com/v2/", "registry.example.com"],
    ["registry.example.com/team", "registry.example.com/team"],
    ["https://quay.io/v2/coreos", "quay.io/coreos"],
    ["*.example.com", "*.example.com"],
    // A scheme's default port stays: reg.corp:80 is not reg.corp (443), as the kubelet keys it.
    ["registry.example.com:443", "registry.example.com:443"],
    ["http://reg.corp:80/v2/", "reg.corp:80"],
    ["https://[::1]:443", "[::1]:443"],
    // The host as written, as the kubelet's url.Parse leaves it.
    ["https://Reg.Example.com/v2/", "Reg.Example.com"],
    ["REG.example.com:5000/team", "REG.example.com:5000/team"],
  ])("%s → %s", (location, key) => {
    expect(keyringKey(location)).toBe(key);
  });
});

describe("Keyring.lookup", () => {
  it("a key with an explicit default port is not the host without one", () => {
    const k = ring({ "http://reg.corp:80": basic("eighty"), "registry.example.com:443": basic("tls") });
    expect(users(k, "reg.corp/app")).toEqual([]);
    expect(users(k, "reg.corp:80/app")).toEqual(["eighty"]);
    expect(users(k, "registry.example.com:443/app")).toEqual(["tls"]);
  });

  it("compares hosts case-sensitively on both sides, as the kubelet's keyring does", () => {
    const k = ring({ "Reg.Example.com": basic("capitals"), "https://reg.corp/v2/": basic("lower") });
    expect(users(k, "Reg.Example.com/app")).toEqual(["capitals"]);
    expect(users(k, "reg.example.com/app")).toEqual([]);
    expect(users(k, "reg.corp/app")).toEqual(["lower"]);
    expect(users(k, "Reg.Corp/app")).toEqual([]);
    expect(users(ring({ "*.Example.com": basic("glob") }), "reg.Example.com/app")).toEqual(["glob"]);
    expect(users(ring({ "*.Example.com": basic("glob") }), "reg.example.com/app")).toEqual([]);
  });

  it("matches host and port exactly", () => {
    const k = ring({ "localhost:5000": basic("a"), "localhost:5001": basic("b"), localhost: basic("c") });
    expect(users(k, "localhost:5000/app")).toEqual(["a"]);
    expect(users(k, "localhost/app")).toEqual(["c"]);
    expect(users(k, "localhost:5002/app")).toEqual([]);
  });

  it("puts the more specific path first and tries every match", () => {
    const k = ring({
      "quay.io": basic("host"),
      "quay.io/coreos": basic("coreos"),
      "quay.io/other": basic("other"),
    });
    expect(users(k, "quay.io/coreos/etcd")).toEqual(["coreos", "host"]);
    expect(users(k, "quay.io/prometheus/node")).toEqual(["host"]);
  });

  it("globs one label per *", () => {
    const k = ring({ "*.example.com": basic("glob") });
    expect(users(k, "reg.example.com/app")).toEqual(["glob"]);
    expect(users(k, "a.reg.example.com/app")).toEqual([]);
    expect(users(k, "example.com/app")).toEqual([]);
  });

  it("serves Docker Hub images from the legacy Hub key and from docker.io", () => {
    expect(users(ring({ "https://index.docker.io/v1/": basic("hub") }), "docker.io/library/nginx")).toEqual([
      "hub",
    ]);
    expect(users(ring({ "docker.io": basic("hub2") }), "docker.io/library/nginx")).toEqual(["hub2"]);
    expect(users(ring({ "https://index.docker.io/v1/": basic("hub") }), "ghcr.io/a/b")).toEqual([]);
  });

  it("never sends Hub's credential to localhost or a one-label host, as the kubelet's match would", () => {
    const hub = ring({ "https://index.docker.io/v1/": basic("hub") });
    expect(users(hub, "localhost/app")).toEqual([]);
    expect(users(hub, "Registry/app")).toEqual([]);
    expect(users(hub, "index.docker.io/library/nginx")).toEqual(["hub"]);
  });

  it("keeps several secrets for the same key, in order (rotation)", () => {
    const k = new Keyring([
      ...keyedCredentials({ "reg.io": basic("old") }, "secret ns/old"),
      ...keyedCredentials({ "https://reg.io": basic("new") }, "secret ns/new"),
    ]);
    expect(k.lookup("reg.io/app").map((c) => c.source)).toEqual(["secret ns/old", "secret ns/new"]);
  });

  it("one secret copied into many namespaces is tried once, under its first source; other secrets stay", () => {
    const copies = ["shop", "web", "api"].map((ns) =>
      keyedCredentials({ "reg.io": basic("ci") }, `secret ${ns}/regcred`),
    );
    const hub = ["shop", "web"].map((ns) =>
      keyedCredentials({ "https://index.docker.io/v1/": basic("hub") }, `secret ${ns}/hub`),
    );
    const k = new Keyring([
      ...copies.flat(),
      ...keyedCredentials({ "reg.io": basic("other") }, "secret web/other"),
      ...hub.flat(),
    ]);
    expect(k.lookup("reg.io/app").map((c) => c.source)).toEqual(["secret shop/regcred", "secret web/other"]);
    expect(k.lookup("docker.io/library/nginx").map((c) => c.source)).toEqual(["secret shop/hub"]);
  });

  it("reads auth, username/password, identity and registry tokens; skips empty entries", () => {
    const k = ring({
      "a.io": { username: "u", password: "p" },
      "b.io": { identitytoken: "refresh" },
      "c.io": { registrytoken: "bearer" },
      "d.io": {},
      "e.io": { auth: Buffer.from("user:pass:with:colons").toString("base64") },
    });
    expect(k.lookup("a.io/x")[0]).toMatchObject({ username: "u", password: "p" });
    expect(k.lookup("b.io/x")[0]).toMatchObject({ identityToken: "refresh" });
    expect(k.lookup("c.io/x")[0]).toMatchObject({ registryToken: "bearer" });
    expect(k.lookup("d.io/x")).toEqual([]);
    expect(k.lookup("e.io/x")[0]).toMatchObject({ username: "user", password: "pass:with:colons" });
  });
});

describe("pullSecretAuths", () => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64");
  const configJson = (config: unknown) => ({
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": b64(config) },
  });
  /** The auths of a secret the kubelet reads. */
  const authsOf = (secret: Parameters<typeof pullSecretAuths>[0]) => {
    const read = pullSecretAuths(secret);
    if (read === null || !("auths" in read)) throw new Error(`not read: ${JSON.stringify(read)}`);
    return read.auths;
  };

  it("reads kubernetes.io/dockerconfigjson", () => {
    expect(authsOf(configJson({ auths: { "r.io": basic("x") } }))).toEqual({ "r.io": basic("x") });
  });
  it("reads the legacy kubernetes.io/dockercfg", () => {
    const secret = { type: "kubernetes.io/dockercfg", data: { ".dockercfg": b64({ "r.io": basic("y") }) } };
    expect(authsOf(secret)).toEqual({ "r.io": basic("y") });
  });
  it("what the kubelet cannot read is unreadable, and says why: its keyring, so every pull of the pod, would fail", () => {
    const token = Buffer.from("glpat-abcdef123456").toString("base64");
    for (const [auths, why] of [
      [{ "b.io": { auth: 123456 } }, "auth of b.io is not a string"],
      [{ "c.io": ["x"] }, "the entry of c.io is not an object"],
      [{ "d.io": { username: 1, password: 2 } }, "username of d.io is not a string"],
      [{ "e.io": { auth: token } }, "auth of e.io is not base64 of username:password"],
      [{ "f.io": { auth: "dXNlcjpwYXNz!" } }, "auth of f.io is not base64 of username:password"],
      [[], "auths is not an object"],
      ["text", "auths is not an object"],
      [42, "auths is not an object"],
      // Named by its key, as the kubelet reads it: user info written in it is no part of that.
      [
        { "https://ci-bot:glpat-TOKEN@g.io/v2/": { auth: token } },
        "auth of g.io is not base64 of username:password",
      ],
      // Without a scheme, a `/` in the password ends the host before its `@`.
      [{ "ci-bot:Ab9/xYz+Qw@g.io": { auth: token } }, "auth of g.io is not base64 of username:password"],
      [
        { "ci-bot:12@g.io:5000/team": { auth: token } },
        "auth of g.io:5000/team is not base64 of username:password",
      ],
    ] as const) {
      expect(pullSecretAuths(configJson({ auths }))).toEqual({ unreadable: `its .dockerconfigjson: ${why}` });
    }
    expect(
      pullSecretAuths({ type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "!!!" } }),
    ).toEqual({ unreadable: "its .dockerconfigjson is not JSON" });
  });
  it("HttpHeaders the kubelet cannot read as a map of strings makes the whole secret unreadable", () => {
    for (const headers of [{ "X-Build": 42 }, "User-Agent: ci", ["x"]]) {
      expect(pullSecretAuths(configJson({ auths: { "r.io": basic("x") }, HttpHeaders: headers }))).toEqual({
        unreadable: "its .dockerconfigjson: HttpHeaders is not an object of strings",
      });
    }
    // Its name in any case, as Go reads it; strings, null values and none at all are read.
    expect(pullSecretAuths(configJson({ auths: {}, httpheaders: 1 }))).toHaveProperty("unreadable");
    for (const headers of [{ "User-Agent": "ci", "X-None": null }, null, undefined]) {
      expect(authsOf(configJson({ auths: { "r.io": basic("x") }, HttpHeaders: headers }))).toEqual({
        "r.io": basic("x"),
      });
    }
  });
  it("what the kubelet reads as Go does: a null entry is none, unpadded base64, members in any case", () => {
    const unpadded = Buffer.from("u:p1").toString("base64").replace(/=+$/, "");
    const auths = authsOf(
      configJson({
        auths: {
          "a.io": null,
          "b.io": { auth: unpadded },
          "c.io": { Username: "u", Password: "p", Email: "e" },
        },
      }),
    );
    expect(
      keyedCredentials(auths, "secret ns/s").map(({ key, credential }) => [key, credential.username]),
    ).toEqual([
      ["b.io", "u"],
      ["c.io", "u"],
    ]);
  });
  it("keeps only what the kubelet pulls with: docker's token fields are no credential in a pull secret", () => {
    const secret = configJson({
      auths: {
        "a.io": { identitytoken: "refresh-token" },
        "b.io": { registrytoken: "bearer-token" },
        "c.io": { ...basic("ok"), identitytoken: "refresh-token" },
      },
    });
    expect(keyedCredentials(authsOf(secret), "secret ns/tokens")).toEqual([
      {
        key: "c.io",
        credential: { username: "ok", password: expect.any(String), source: "secret ns/tokens" },
      },
    ]);
  });
  it("passes over other types, and a pull secret without its data, as the kubelet does", () => {
    expect(pullSecretAuths({ type: "Opaque", data: { ".dockerconfigjson": b64({}) } })).toBeNull();
    expect(pullSecretAuths({ type: "kubernetes.io/dockerconfigjson", data: {} })).toBeNull();
    expect(
      pullSecretAuths({ type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "" } }),
    ).toBeNull();
  });
});

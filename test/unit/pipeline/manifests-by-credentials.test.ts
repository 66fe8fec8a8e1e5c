/**
 * A manifest read by digest serves every image that needs it, but its failure only images asking with the
 * same credentials: on a registry that answers 404 for what a credential may not see, one team's robot
 * account cannot read another team's repository, and that 404 must not judge the other team's pods.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { imagesInUse, imagesToResolve } from "../../../src/core/images-in-use.js";
import type { Credential } from "../../../src/core/keyring.js";
import { indexOwners } from "../../../src/core/owners.js";
import { resolveImages } from "../../../src/pipeline/resolve.js";
import { Limiter } from "../../../src/util/limiter.js";
import { makePod, makeReplicaSet } from "../../support/pods.js";
import { fakeFetch, ref, resolver } from "../../support/registry/fake-api.js";

const sha = (b: string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const dockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
const configBody = JSON.stringify({ architecture: "amd64", os: "linux", config: {} });
const C = sha(configBody);
const manifest = (note: string) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: dockerManifest,
    config: {
      mediaType: "application/vnd.docker.container.image.v1+json",
      digest: C,
      size: configBody.length,
    },
    layers: [],
    annotations: { note },
  });
// team-b/app:1 was pushed again: another manifest digest, the same image (config C).
const running = manifest("first push");
const D = sha(running);
const retagged = manifest("second push");
const teamA = manifest("team-a");

const basicFor = (user: string) => `Basic ${Buffer.from(`${user}:pw`).toString("base64")}`;
const robotA: Credential = { username: "robot-a", password: "pw", source: "secret team-a/robot" };
const robotB: Credential = { username: "robot-b", password: "pw", source: "secret team-b/robot" };

// Artifactory-like: what a credential may not see is "not found".
const registry = () =>
  fakeFetch(async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/v2/")
      return new Response("", { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname)!;
    const [, repo, kind, reference] = m as unknown as [string, string, string, string];
    const who =
      req.authorization === basicFor("robot-a")
        ? "a"
        : req.authorization === basicFor("robot-b")
          ? "b"
          : null;
    if (who === null)
      return new Response("", { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
    const visible = (repo === "team-a/app" && who === "a") || (repo === "team-b/app" && who === "b");
    const notFound = () => new Response('{"errors":[{"code":"NAME_UNKNOWN"}]}', { status: 404 });
    if (!visible) return notFound();
    if (repo === "team-b/app" && reference === "1") await new Promise((r) => setTimeout(r, 30));
    if (kind === "blobs") return reference === C ? new Response(configBody, { status: 200 }) : notFound();
    const bodies = repo === "team-a/app" ? { "1": teamA } : { "1": retagged };
    const all = [...Object.values(bodies), ...(repo === "team-b/app" ? [running] : [])];
    const body = (bodies as Record<string, string>)[reference] ?? all.find((b) => sha(b) === reference);
    if (!body) return notFound();
    const headers = { "content-type": dockerManifest, "docker-content-digest": sha(body) };
    return new Response(req.method === "HEAD" ? null : body, { status: 200, headers });
  });

describe("a manifest read by digest, with other credentials", () => {
  it("resolver: a 404 seen by a credential that cannot see the repository is not the answer for one that can", async () => {
    const { fetch } = registry();
    const r = resolver(fetch);
    const teamB = ref("reg.test/team-b/app:1");
    // Read first with a credential the registry hides team-b from.
    expect(await r.inspectManifest(teamB, D, [robotA])).toMatchObject({ ok: false, missing: true });
    // Then with team-b's own credential, which sees it.
    expect(await r.inspectManifest(teamB, D, [robotB])).toMatchObject({ ok: true, config: C });
  });

  it("plan: team-b's pod, running the tag's very image, is not restarted on team-a's 404", async () => {
    const { fetch } = registry();
    const pods = [
      // containerd names the image by the smallest repo digest it knows: team-b's, for team-a's pod.
      makePod({
        name: "a-1",
        namespace: "team-a",
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        imagePullSecrets: ["robot"],
        containers: [{ name: "app", image: "reg.test/team-a/app:1", imageID: `reg.test/team-b/app@${D}` }],
      }),
      makePod({
        name: "b-1",
        namespace: "team-b",
        owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
        imagePullSecrets: ["robot"],
        containers: [{ name: "app", image: "reg.test/team-b/app:1", imageID: `reg.test/team-b/app@${D}` }],
      }),
    ];
    const resolutions = await resolveImages(imagesToResolve(imagesInUse(pods)), resolver(fetch), {
      limiter: new Limiter(4),
      // Each namespace's pull secret (keyed `reg.test`) is its robot's.
      credentialsFor: async (image) => (image.ref.path === "team-a/app" ? [robotA] : [robotB]),
    });
    const plan = decidePlan({
      resolver: "registry",
      pods,
      owners: indexOwners([
        makeReplicaSet("web-7d9c8b", "web", "team-a"),
        makeReplicaSet("web-7d9c8b", "web", "team-b"),
      ]),
      resolutions,
    });
    const b = plan.pods.find((p) => p.name === "b-1")!;
    expect([b.action, b.containers[0]!.status, b.containers[0]!.reason]).toEqual([
      "none",
      "current",
      expect.anything(),
    ]);
  });
});

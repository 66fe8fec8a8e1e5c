/**
 * What a plan shows of a stale container's new image: its build time and OCI labels. The plan document and
 * the webhook's report carry them, so a URL among them goes without its user info and query, as everywhere
 * this tool quotes one: a CI often sets the source label from its clone URL, token included.
 */
import { expect, it } from "vitest";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import { digestOf, makePod } from "../../support/pods.js";
import { singleManifest } from "../../support/resolutions.js";

it("keeps the labels, a source URL without the clone token it was given", () => {
  const [OLD, NEW] = [digestOf("app v1"), digestOf("app v2")];
  const labels = {
    "org.opencontainers.image.source": "https://oauth2:glpat-s3cr3t@gitlab.example/shop/app.git",
    "org.opencontainers.image.revision": "4f2c1e9",
    "org.opencontainers.image.version": "2.1.0",
  };
  const decided = decidePlan({
    resolver: "registry",
    pods: [
      makePod({
        name: "app",
        containers: [{ name: "app", image: "registry.example/app:main", runningDigest: OLD }],
      }),
    ],
    owners: indexOwners([]),
    resolutions: new Map([
      [
        "registry.example/app:main",
        {
          tag: { ok: true, tag: { digest: NEW, sameImageDigests: [], isIndex: false } },
          manifests: new Map([singleManifest(OLD), singleManifest(NEW)]),
          newImage: { digest: NEW, description: { ok: true, created: "2026-11-29T12:00:00Z", labels } },
        },
      ],
    ]),
    nodePlatforms: new Map(),
    now: Date.parse("2026-11-30T12:00:00Z"),
  });
  expect(decided.pods[0]!.containers[0]!.latestImage).toEqual({
    created: "2026-11-29T12:00:00Z",
    source: "https://gitlab.example/shop/app.git",
    revision: "4f2c1e9",
    version: "2.1.0",
  });
});

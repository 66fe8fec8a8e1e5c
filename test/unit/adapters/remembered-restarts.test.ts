/** What the next runs read back of this tool's Events: one list, the server keeping only this tool's. */
import { describe, expect, it } from "vitest";
import { kubectlListing } from "../../support/listing-kubectl.js";

const digest = `sha256:${"c".repeat(64)}`;

const event = (overrides: Record<string, unknown>) => ({
  apiVersion: "events.k8s.io/v1",
  kind: "Event",
  metadata: {
    name: "web-7d9c8b.autoupdate-x7k2p",
    namespace: "shop",
    creationTimestamp: "2026-12-01T11:00:00Z",
    annotations: { "kubectl-autoupdate/restarted-for": `app=${digest}` },
  },
  eventTime: "2026-12-01T11:00:00.123000Z",
  reason: "ImageUpdateFailed",
  regarding: {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    name: "web-7d9c8b",
    namespace: "shop",
    uid: "uid-rs",
  },
  ...overrides,
});

describe("the restarts this tool's Events remember", () => {
  it("one list of the namespace's Events by this tool; those naming what a restart was for, with when", async () => {
    const { calls, kubectl } = kubectlListing([
      [
        event({}),
        event({ series: { count: 3, lastObservedTime: "2026-12-01T11:40:00.000000Z" } }),
        event({ metadata: { namespace: "shop", name: "web.autoupdate-ok" }, reason: "ImageUpdated" }),
      ],
    ]);
    expect(await kubectl.listRememberedRestarts({ namespace: "shop", allNamespaces: false })).toEqual([
      {
        namespace: "shop",
        controller: { kind: "ReplicaSet", name: "web-7d9c8b", uid: "uid-rs" },
        restartedFor: `app=${digest}`,
        at: Date.parse("2026-12-01T11:00:00.123Z"),
      },
      expect.objectContaining({ at: Date.parse("2026-12-01T11:40:00Z") }),
    ]);
    expect(calls).toEqual([
      [
        "--context=prod",
        "get",
        "--raw",
        "/apis/events.k8s.io/v1/namespaces/shop/events?limit=2000&fieldSelector=reportingController%3Dkubectl-autoupdate",
      ],
    ]);
  });

  it("when, on the API server's clock, which drops the Event: a writer's clock minutes off is corrected", async () => {
    // A laptop 15 minutes fast: read as 15 minutes younger, the Event would not be written again before
    // the server dropped it, and the next run would restart the pods once more.
    const { kubectl } = kubectlListing([
      [
        event({ eventTime: "2026-12-01T11:15:00.123000Z" }),
        event({
          eventTime: "2026-12-01T11:15:00.123000Z",
          series: { count: 2, lastObservedTime: "2026-12-01T11:55:00.000000Z" },
        }),
      ],
    ]);
    const remembered = await kubectl.listRememberedRestarts({ namespace: "shop", allNamespaces: false });
    expect(remembered.map((r) => new Date(r.at).toISOString())).toEqual([
      "2026-12-01T11:00:00.000Z",
      "2026-12-01T11:39:59.877Z",
    ]);
  });

  it("page by page: a run that restarted thousands of pods left an Event for each", async () => {
    const failed = (n: number) =>
      event({ metadata: { namespace: "shop", name: `web-${n}.autoupdate-x7k2p`, annotations: {} } });
    const pages = [
      [failed(1), event({})],
      [failed(2), event({ reason: "ImageUpdateHeld" })],
    ];
    const { calls, kubectl } = kubectlListing(pages);
    const remembered = await kubectl.listRememberedRestarts({ namespace: "shop", allNamespaces: false });
    expect(remembered).toHaveLength(2);
    expect(calls.map((argv) => argv.at(-1))).toEqual([
      "/apis/events.k8s.io/v1/namespaces/shop/events?limit=2000&fieldSelector=reportingController%3Dkubectl-autoupdate",
      "/apis/events.k8s.io/v1/namespaces/shop/events?limit=2000&fieldSelector=reportingController%3Dkubectl-autoupdate&continue=page-1",
    ]);
  });

  it("an unchecked restart's Event (--no-wait) says when the pod went; one whose time does not read is left out", async () => {
    const unchecked = (at: string) =>
      event({
        metadata: {
          namespace: "shop",
          name: "web-7d9c8b.autoupdate-nw41t",
          annotations: {
            "kubectl-autoupdate/restarted-for": `app=${digest}`,
            "kubectl-autoupdate/unchecked-restart-at": at,
          },
        },
        reason: "ImageUpdated",
      });
    const { kubectl } = kubectlListing([[unchecked("2026-12-01T10:59:58.500Z"), unchecked("soon")]]);
    expect(await kubectl.listRememberedRestarts({ namespace: "shop", allNamespaces: false })).toEqual([
      {
        namespace: "shop",
        controller: { kind: "ReplicaSet", name: "web-7d9c8b", uid: "uid-rs" },
        restartedFor: `app=${digest}`,
        at: Date.parse("2026-12-01T11:00:00.123Z"),
        uncheckedRestartAt: Date.parse("2026-12-01T10:59:58.500Z"),
      },
    ]);
  });

  it("an unchecked restart's time is brought to the API server's clock by its Event's own two times", async () => {
    // The restarting laptop's clock was 3 minutes ahead: it evicted at 12:03:00 by its clock, 12:00:00 on
    // the server, and wrote the Event a second later. A hold's Event already carries the server's time.
    const skewed = (reason: string) =>
      event({
        metadata: {
          namespace: "shop",
          name: "web-7d9c8b.autoupdate-nw41t",
          creationTimestamp: "2026-12-01T12:00:01Z",
          annotations: {
            "kubectl-autoupdate/restarted-for": `app=${digest}`,
            "kubectl-autoupdate/unchecked-restart-at": "2026-12-01T12:03:00.000Z",
          },
        },
        eventTime: "2026-12-01T12:03:01.000000Z",
        reason,
      });
    const { kubectl } = kubectlListing([[skewed("ImageUpdated"), skewed("ImageUpdateHeld")]]);
    const remembered = await kubectl.listRememberedRestarts({ namespace: "shop", allNamespaces: false });
    expect(remembered.map((r) => new Date(r.uncheckedRestartAt!).toISOString())).toEqual([
      "2026-12-01T12:00:00.000Z",
      "2026-12-01T12:03:00.000Z",
    ]);
  });

  it("a continue token that expired: the list is read again from its first page, and the warning says so", async () => {
    const pages = [[event({})], [event({ reason: "ImageUpdateHeld" })]];
    const { calls, kubectl } = kubectlListing(pages, undefined, { expireFirstContinue: true });
    const warnings: string[] = [];
    const scope = { namespace: "shop", allNamespaces: false };
    const remembered = await kubectl.listRememberedRestarts(scope, (line) => warnings.push(line));
    expect(remembered).toHaveLength(2);
    expect(calls).toHaveLength(4);
    expect(warnings).toEqual([
      expect.stringMatching(/^the get events.events.k8s.io list took longer .*410 Expired/),
    ]);
  });

  it("-A reads every namespace's", async () => {
    const { calls, kubectl } = kubectlListing([[]]);
    expect(await kubectl.listRememberedRestarts({ allNamespaces: true })).toEqual([]);
    expect(calls[0]?.at(-1)).toBe(
      "/apis/events.k8s.io/v1/events?limit=2000&fieldSelector=reportingController%3Dkubectl-autoupdate",
    );
  });
});

describe("when the pods that an unchecked restart may have left were made", () => {
  it("one paged list of the namespace's pods by their shared labels (list, as the pods' own), by UID", async () => {
    const pod = (uid: string, creationTimestamp?: string) => ({
      metadata: { name: `web-${uid}`, namespace: "shop", uid, creationTimestamp, labels: { app: "web" } },
      spec: { containers: [{ name: "app", image: "web:main", env: [{ name: "A", value: "1" }] }] },
      status: { phase: "Running" },
    });
    const { calls, kubectl } = kubectlListing([
      [pod("uid-a", "2026-12-01T11:00:01Z"), pod("uid-b", "2026-11-20T10:00:00Z"), pod("uid-c")],
    ]);
    const times = await kubectl.listPodCreationTimes("shop", "app=web,pod-template-hash=7d9c8b");
    expect([...times]).toEqual([
      ["uid-a", Date.parse("2026-12-01T11:00:01Z")],
      ["uid-b", Date.parse("2026-11-20T10:00:00Z")],
    ]);
    expect(calls).toEqual([
      [
        "--context=prod",
        "get",
        "--raw",
        "/api/v1/namespaces/shop/pods?limit=2000&labelSelector=app%3Dweb%2Cpod-template-hash%3D7d9c8b",
      ],
    ]);
  });
});

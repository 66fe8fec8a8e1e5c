import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { decidePlan } from "../../../src/core/decide.js";
import { indexOwners } from "../../../src/core/owners.js";
import type { Plan } from "../../../src/core/plan.js";
import { makeChalk } from "../../../src/output/color.js";
import type { PlanFormat } from "../../../src/output/plan-format.js";
import { planRenderer } from "../../../src/output/render-plan.js";
import { toYaml } from "../../../src/output/yaml.js";
import { digestOf, makePod, makeReplicaSet } from "../../support/pods.js";
import { tagAt } from "../../support/resolutions.js";

/** What a renderer writes to stdout, in one string. */
const text = (pieces: Iterable<string>) => [...pieces].join("");

const OLD = digestOf("v1");
const NEW = digestOf("v2");
const resolved = (digest: string) => tagAt(digest, OLD, NEW);
const plan = decidePlan({
  resolver: "docker",
  owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
  resolutions: new Map([
    ["docker.io/library/nginx:latest", resolved(NEW)],
    ["ghcr.io/org/api:main", resolved(OLD)],
  ]),
  pods: [
    makePod({
      name: "web-7d9c8b-x2x9q",
      owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
      emptyDir: ["cache"],
      containers: [
        { name: "app", image: "nginx:latest", runningDigest: OLD },
        { name: "api", image: "ghcr.io/org/api:main", runningDigest: OLD },
      ],
    }),
    makePod({
      name: "debug",
      namespace: "tools",
      owner: null,
      containers: [{ name: "sh", image: "nginx", runningDigest: OLD }],
    }),
    makePod({
      name: "kind-loaded",
      owner: null,
      containers: [{ name: "x", image: "app:dev", imageID: OLD }],
    }),
  ],
});
const colors = { stdout: makeChalk(false), stderr: makeChalk(false) };
const now = Date.parse("2026-11-30T12:00:00Z");
const formats = ["table", "wide", "json", "yaml", "name"] as const;
const renderers = new Map(await Promise.all(formats.map(async (f) => [f, await planRenderer(f)] as const)));
/** The format's renderer with no warnings or notes, headers shown, of the pods in namespace shop. */
const rendered = (p: Plan, format: PlanFormat, namespace: string | null = "shop") =>
  renderers.get(format)!({ plan: p, warnings: [], notes: [], noHeaders: false, colors, now, namespace });

describe("planRenderer", () => {
  it("prints the pods that need action, kubectl-style, with a summary; warnings go to stderr", () => {
    const out = rendered(plan, "table", null);
    expect(text(out.stdout)).toMatchInlineSnapshot(`
      "NAMESPACE   POD                OWNER            CONTAINER   IMAGE          RUNNING        LATEST         ACTION   REASON
      default     web-7d9c8b-x2x9q   Deployment/web   app         nginx:latest   3bfc269594ef   fb04dcb6970e   delete   <none>
      tools       debug              <none>           sh          nginx          3bfc269594ef   fb04dcb6970e   skip     no controller owns it: deleting it would lose it for good

      2 stale (1 to restart in 1 namespace, 1 skipped), 1 unknown, 0 current (3 pods checked)
      "
    `);
    expect(out.stderr).toBe(
      "Warning: pod default/web-7d9c8b-x2x9q: emptyDir volume cache: its data is lost with the pod\n" +
        "1 container could not be checked; -o wide shows why\n",
    );
  });

  it("shows NAMESPACE only for every namespace (-A), as kubectl get does", () => {
    const inDefault = { ...plan, pods: plan.pods.filter((p) => p.namespace === "default") };
    const lines = (format: PlanFormat, namespace: string | null) =>
      text(rendered(inDefault, format, namespace).stdout).split("\n");
    expect(lines("table", "default")[0]).toMatch(/^POD {2,}OWNER {2,}CONTAINER /);
    expect(lines("table", "default")[1]).toMatch(/^web-7d9c8b-x2x9q {2,}Deployment\/web /);
    expect(lines("wide", "default")[0]).toMatch(/^POD {2,}OWNER {2,}NODE /);
    expect(lines("table", null)[0]).toMatch(/^NAMESPACE {2,}POD /);
    expect(lines("wide", null)[1]).toMatch(/^default {2,}web-7d9c8b-x2x9q /);
  });

  it("one warning line per workload: a few of its pods named, the rest counted; a lone pod named as before", () => {
    const replica = (rs: string, suffix: string, imagePullPolicy: "IfNotPresent" | "Always") =>
      makePod({
        name: `${rs}-${suffix}`,
        owner: { kind: "ReplicaSet", name: rs },
        containers: [{ name: "app", image: "nginx:latest", runningDigest: OLD, imagePullPolicy }],
      });
    const cached = decidePlan({
      resolver: "docker",
      owners: indexOwners([makeReplicaSet("web-7d9c8b", "web"), makeReplicaSet("api-5f6d7c", "api")]),
      resolutions: new Map([["docker.io/library/nginx:latest", resolved(NEW)]]),
      pods: [
        ...["a", "b", "c", "d", "e"].map((s) => replica("web-7d9c8b", s, "IfNotPresent")),
        replica("api-5f6d7c", "a", "IfNotPresent"),
        replica("api-5f6d7c", "b", "Always"),
      ],
    });
    expect(cached.pods.map((p) => p.action)).toEqual(Array(7).fill("delete"));
    const out = rendered(cached, "table");
    const why =
      "imagePullPolicy IfNotPresent on container app: the node may start its cached old image again";
    expect(out.stderr).toBe(
      `Warning: 5 pods of Deployment default/web (web-7d9c8b-a, web-7d9c8b-b, web-7d9c8b-c, 2 more): ${why}\n` +
        `Warning: pod default/api-5f6d7c-a: ${why}\n`,
    );
    const three = { ...cached, pods: cached.pods.slice(0, 3) };
    expect(rendered(three, "table").stderr).toBe(
      `Warning: 3 pods of Deployment default/web (web-7d9c8b-a, web-7d9c8b-b, web-7d9c8b-c): ${why}\n`,
    );
  });

  it("an opted-out pod is not counted among the containers that could not be checked", () => {
    const optedOut = decidePlan({
      resolver: "docker",
      owners: indexOwners([]),
      resolutions: new Map(),
      pods: [
        makePod({
          name: "autoupdate-29001-x",
          owner: { kind: "Job", name: "autoupdate-29001" },
          labels: { "kubectl-autoupdate/ignore": "true" },
          containers: [{ name: "run", image: "ghcr.io/org/kubectl-autoupdate:1", imageID: "" }],
        }),
      ],
    });
    expect(optedOut.pods[0]).toMatchObject({ action: "skip", reason: expect.stringContaining("opted out") });
    const out = rendered(optedOut, "table");
    expect(out.stderr).toBe("");
    expect(text(out.stdout)).toContain("0 stale, 0 unknown, 0 current, 1 opted out (1 pod checked)");
    // -o wide says why it is skipped, as the table does, then why its container could not be checked.
    const wide = text(rendered(optedOut, "wide").stdout);
    expect(wide).toMatch(/skip\s+opted out with label kubectl-autoupdate\/ignore=true; \S/);
  });

  it("-o wide: a pod left for its container's reason says that reason once on the container's row", () => {
    const missing = {
      tag: { ok: false, reason: "tag not found (404)", missing: true },
      manifests: new Map(),
    } as never;
    const gone = decidePlan({
      resolver: "registry",
      owners: indexOwners([makeReplicaSet("web-7d9c8b", "web")]),
      resolutions: new Map([
        ["docker.io/library/nginx:latest", resolved(NEW)],
        ["docker.io/library/envoy:v1", missing],
        ["docker.io/library/fluentbit:v1", missing],
      ]) as never,
      pods: [
        makePod({
          name: "web-7d9c8b-x2x9q",
          owner: { kind: "ReplicaSet", name: "web-7d9c8b" },
          containers: [
            { name: "app", image: "nginx:latest", runningDigest: OLD },
            { name: "side", image: "envoy:v1", runningDigest: digestOf("e1") },
            { name: "logs", image: "fluentbit:v1", runningDigest: digestOf("f1") },
          ],
        }),
      ],
    });
    const rows = text(rendered(gone, "wide").stdout).split("\n");
    const row = (container: string) => rows.find((line) => line.split(/\s+/)[3] === container);
    expect(row("side")).toMatch(/skip\s+container side \(envoy:v1\): tag not found \(404\)/);
    expect(row("side")?.split("tag not found (404)")).toHaveLength(2);
    // Another container gone the same way says so on its own row, after the pod's reason.
    expect(row("logs")).toMatch(/could not start it; tag not found \(404\)$/);
  });

  /** The plan of one Job's pod that has finished, its container on the old digest or never started. */
  const finishedJobPod = (phase: "Succeeded" | "Failed", runningDigest?: string) =>
    decidePlan({
      resolver: "registry",
      owners: indexOwners([]),
      resolutions: new Map([["docker.io/library/nginx:latest", resolved(NEW)]]),
      pods: [
        makePod({
          name: "report-29210-7kq2p",
          owner: { kind: "Job", name: "report-29210" },
          phase,
          containers: [{ name: "run", image: "nginx:latest", ...(runningDigest ? { runningDigest } : {}) }],
        }),
      ],
    });

  it("a finished pod on the old image is counted as finished, not stale: it runs nothing", () => {
    const finished = finishedJobPod("Succeeded", OLD);
    expect(finished.pods[0]).toMatchObject({ action: "skip", reason: "pod has finished (Succeeded)" });
    expect(text(rendered(finished, "table").stdout)).toContain(
      "0 stale, 0 unknown, 0 current, 1 finished (1 pod checked)",
    );
  });

  it.each(["table", "name", "json"] as const)(
    "-o %s: a finished pod's container that never started is not one that could not be checked",
    (format) => {
      const failed = finishedJobPod("Failed");
      expect(failed.pods[0]!.containers[0]!.status).toBe("unknown");
      expect(rendered(failed, format).stderr).toBe("");
    },
  );

  it("-o wide lists every container with its status and reason", () => {
    const out = renderers.get("wide")!({
      plan,
      warnings: [],
      notes: ["docker.io: 97 of 100 pulls left"],
      noHeaders: true,
      colors,
      now,
      namespace: null,
    });
    expect(text(out.stdout).split("\n").filter(Boolean)).toHaveLength(4);
    expect(text(out.stdout)).toMatch(
      /web-7d9c8b-x2x9q\s+Deployment\/web\s+node-1\s+api\s+ghcr.io\/org\/api:main\s+current/,
    );
    expect(text(out.stdout)).toMatch(
      /kind-loaded\s+<none>\s+node-1\s+x\s+app:dev\s+unknown(\s+<none>){4}\s+none\s+imageID is a bare image ID/,
    );
    expect(out.stderr).toContain("docker.io: 97 of 100 pulls left");
  });

  it("text from registries and the cluster reaches the terminal escaped; the documents keep it as data", () => {
    // What a pushed image's labels, another tenant's pod spec or a registry's error may hold.
    const hostile = "v1\u001b]0;all pods current\u0007\u001b[2K\nsecond line";
    const escaped = "v1^[]0;all pods current^G^[[2K\\nsecond line";
    const labelled: Plan = {
      ...plan,
      pods: plan.pods.map((pod) => ({
        ...pod,
        containers: pod.containers.map((c) =>
          c.status === "stale"
            ? { ...c, image: `${c.image}${hostile}`, latestImage: { created: null, revision: hostile } }
            : c,
        ),
      })),
    };
    const render = (format: PlanFormat) =>
      renderers.get(format)!({
        plan: labelled,
        warnings: [hostile],
        notes: [hostile],
        noHeaders: true,
        colors,
        now,
        namespace: "shop",
      });
    const control = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
    for (const format of ["table", "wide"] as const) {
      const out = render(format);
      const rows = text(out.stdout).trimEnd().split("\n");
      expect(rows).toHaveLength(format === "wide" ? 4 : 2);
      expect(text(out.stdout)).not.toMatch(control);
      expect(rows[0]).toContain(`nginx:latest${escaped}`);
      if (format === "wide") expect(rows[0]).toContain(` ${escaped} `);
      expect(out.stderr).toContain(`Warning: ${escaped}\n`);
      if (format === "wide") expect(out.stderr).toContain(`\n${escaped}\n`);
      expect(out.stderr).not.toMatch(control);
    }
    const json = JSON.parse(text(render("json").stdout)) as { pods: { containers: { image: string }[] }[] };
    expect(json.pods[0]!.containers[0]!.image).toBe(`nginx:latest${hostile}`);
  });

  it("json and yaml print only the document, the warnings on stderr; nothing found says so on stderr, naming where, as kubectl get", () => {
    const input = { plan, warnings: ["w"], notes: [], noHeaders: false, colors, now, namespace: "shop" };
    // The unknown count too: a CI gate reading the document passes on them, and its log should say so. The
    // pods' warnings as the table says them: apply -o json may ask before anyone reads the document.
    for (const format of ["json", "yaml"] as const) {
      expect(renderers.get(format)!(input).stderr).toBe(
        "Warning: w\nWarning: pod default/web-7d9c8b-x2x9q: emptyDir volume cache: its data is lost with the pod\n1 container could not be checked; the plan says why\n",
      );
    }
    const none: Plan = { resolver: "docker", pods: [] };
    const empty = rendered(none, "table");
    expect({ ...empty, stdout: text(empty.stdout) }).toEqual({
      stdout: "",
      stderr: "No resources found in shop namespace.\n",
    });
    expect(rendered(none, "wide", null).stderr).toBe("No resources found\n");
    // The namespace is the user's -n or the kubeconfig's: escaped like any text the plugin did not write.
    expect(rendered(none, "table", "x\u001b]0;title\u0007\u202ey").stderr).toBe(
      "No resources found in x^[]0;title^G\\u202ey namespace.\n",
    );
    for (const format of ["json", "yaml"] as const) expect(rendered(none, format).stderr).toBe("");
  });

  it("-o name: a line for each pod apply would restart, as kubectl names pods; warnings as the table's", () => {
    // Under -A too, as `kubectl get pods -A -o name` prints them: without the namespace.
    const out = rendered(plan, "name", null);
    expect(text(out.stdout)).toBe("pod/web-7d9c8b-x2x9q\n");
    expect(out.stderr).toBe(
      "Warning: pod default/web-7d9c8b-x2x9q: emptyDir volume cache: its data is lost with the pod\n" +
        "1 container could not be checked; -o wide shows why\n",
    );
    // A name no API server would take (a hostile one's) stays one line with no control character.
    const hostile = {
      ...plan,
      pods: plan.pods.map((pod) => ({ ...pod, name: "web\u001b]0;x\u0007\npod/db" })),
    };
    expect(text(rendered(hostile, "name", null).stdout)).toBe("pod/web^[]0;x^G\\npod/db\n");
    // Nothing to restart: nothing printed, as kubectl prints no name for no object.
    const none = rendered({ resolver: "docker", pods: [] }, "name");
    expect({ stdout: text(none.stdout), stderr: none.stderr }).toEqual({ stdout: "", stderr: "" });
  });
});

describe("the Plan document, written a piece at a time", () => {
  const json = (p: typeof plan) => text(rendered(p, "json").stdout);

  it("is JSON.stringify's two-space document, byte for byte, in pieces of bounded size", () => {
    // Pods that share their containers list, as pods of one controller do, and one with no containers.
    const many = { ...plan, pods: Array.from({ length: 400 }, (_, i) => plan.pods[i % plan.pods.length]!) };
    const none = { ...plan, pods: [{ ...plan.pods[0]!, containers: [] }, plan.pods[1]!] };
    for (const p of [plan, many, none, { ...plan, pods: [] }]) {
      const out = json(p);
      expect(out).toBe(`${JSON.stringify(JSON.parse(out), null, 2)}\n`);
      expect(JSON.parse(out)).toEqual(YAML.parse(text(rendered(p, "yaml").stdout)));
      expect(JSON.parse(out).pods).toHaveLength(p.pods.length);
    }
    const pieces = [...rendered(many, "json").stdout];
    expect(pieces.length).toBeGreaterThan(2);
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThan(80 * 1024);
  });

  it("as YAML is the whole document's YAML, byte for byte, in pieces of bounded size", () => {
    const many = { ...plan, pods: Array.from({ length: 400 }, (_, i) => plan.pods[i % plan.pods.length]!) };
    const none = { ...plan, pods: [{ ...plan.pods[0]!, containers: [] }, plan.pods[1]!] };
    // Text that YAML quotes, folds or writes as a block scalar, when nested and when not.
    const awkward = [
      "two\nlines\n\nwith a blank one",
      `a long reason ${"x".repeat(120)} that no line width may fold`,
      'key: value # not a comment, "quoted"',
      "",
      "- not an item",
      "ünïcödé ✓",
      // Line breaks to YAML 1.1 readers (escaped), and a multiline regex's ^ starts a line after them.
      "web\u2028api\u2029end\rcr",
      // Booleans and a timestamp to YAML 1.1 (kubectl's, PyYAML's): quoted.
      "no",
      "on",
      "y",
      "2026-11-20T10:00:00Z",
    ];
    const odd = {
      ...plan,
      strategy: "auto" as const,
      pods: plan.pods.map((pod, i) => ({
        ...pod,
        reason: awkward[i % awkward.length]!,
        warnings: awkward,
        containers: pod.containers.map((c, j) => ({ ...c, reason: awkward[(i + j + 1) % awkward.length]! })),
      })),
    };
    for (const p of [plan, many, none, odd, { ...plan, pods: [] }]) {
      const out = text(rendered(p, "yaml").stdout);
      const document = JSON.parse(json(p));
      expect(out).toBe(toYaml(document));
      expect(YAML.parse(out)).toEqual(document);
      expect(YAML.parse(out, { version: "1.1" })).toEqual(document);
    }
    expect(
      text(rendered({ ...odd, pods: odd.pods.map((p) => ({ ...p, namespace: "no" })) }, "yaml").stdout),
    ).toContain('namespace: "no"');
    const pieces = [...rendered(many, "yaml").stdout];
    expect(pieces.length).toBeGreaterThan(2);
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThan(80 * 1024);
  });
});

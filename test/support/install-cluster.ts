/**
 * kubectl answered in-process for install-cron and uninstall-cron: the objects of one installation kept by
 * kind and name, the gets, applies (server dry runs too) and deletes they make, refusals by argv or by what
 * an apply carries, and every call logged. Label selectors are not read: every object here is the
 * installation's.
 */
import { PassThrough } from "node:stream";
import type { Exec } from "../../src/adapters/exec.js";
import type { ExecResult } from "../../src/adapters/exec-result.js";
import { Kubectl } from "../../src/adapters/kubectl.js";
import { kindResources } from "../../src/core/kind-resources.js";
import { objectRef } from "../../src/cron/core/object-refs.js";
import type { CronDeps } from "../../src/cron/deps.js";
import { makeChalk } from "../../src/output/color.js";
import { FakeClock } from "./fake-clock.js";

interface StoredObject {
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  [key: string]: unknown;
}

export interface InstallCall {
  args: string[];
  /** The kinds an apply sent, in order. */
  kinds: string[];
  dryRun: boolean;
}

/** A refusal: the calls it applies to, and kubectl's stderr. */
interface Refusal {
  applies: (call: InstallCall) => boolean;
  stderr: string;
}

const forbiddenClusterRoles =
  'Error from server (Forbidden): clusterroles.rbac.authorization.k8s.io is forbidden: User "ns-admin" cannot list resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope\n';

const resourceKinds = new Map<string, string>(
  Object.entries(kindResources).map(([kind, resource]) => [resource, kind]),
);

export class InstallCluster {
  readonly calls: InstallCall[] = [];
  private readonly refusals: Refusal[] = [];
  private version = 100;
  private readonly objects: StoredObject[];

  constructor(objects: readonly object[] = []) {
    this.objects = objects.map((o) => structuredClone(o) as StoredObject);
  }

  /** Refuse the calls `applies` picks with kubectl's `stderr` (exit 1). */
  refuse(applies: (call: InstallCall) => boolean, stderr: string): this {
    this.refusals.push({ applies, stderr });
    return this;
  }

  /** The namespace admin's lot: ClusterRoles and ClusterRoleBindings may not be listed. */
  refuseClusterLists(): this {
    return this.refuse(
      (call) => call.args[0] === "get" && call.args[1]!.includes("clusterrole"),
      forbiddenClusterRoles,
    );
  }

  /** `Kind/name` of every object held. */
  held(): string[] {
    return this.objects.map((o) => `${o.kind}/${o.metadata.name}`);
  }

  /** The calls that may change the cluster (applies and deletes, dry runs left out). */
  writes(): InstallCall[] {
    return this.calls.filter((c) => c.args[0] !== "get" && !c.dryRun);
  }

  readonly exec: Exec = async (_file, argv, options) => {
    const args = [...argv];
    const input = options?.input === undefined ? undefined : JSON.parse(String(options.input));
    const sent = (input?.items ?? []) as StoredObject[];
    const call: InstallCall = {
      args,
      kinds: sent.map((o) => o.kind),
      dryRun: args.includes("--dry-run=server"),
    };
    this.calls.push(call);
    const refusal = this.refusals.find((r) => r.applies(call));
    if (refusal) return { exitCode: 1, stdout: "", stderr: refusal.stderr, interrupted: false };
    const verb = args[0];
    if (verb === "get" && args.includes("--ignore-not-found")) return this.getByName(args);
    if (verb === "get") return this.listKinds(args[1]!.split(","));
    if (verb === "apply") return this.apply(sent, call.dryRun);
    if (verb === "delete") return this.delete(args, call.dryRun);
    throw new Error(`unexpected kubectl ${args.join(" ")}`);
  };

  private getByName(args: string[]): ExecResult {
    const refs = new Set(args.filter((a) => a.includes("/")).map((ref) => this.kindRef(ref)));
    const items = this.objects.filter((o) => refs.has(`${o.kind}/${o.metadata.name}`));
    return answer(items.length === 0 ? "" : JSON.stringify({ kind: "List", items }));
  }

  private listKinds(resources: string[]): ExecResult {
    const kinds = new Set(resources.map((r) => resourceKinds.get(r)));
    return answer(JSON.stringify({ kind: "List", items: this.objects.filter((o) => kinds.has(o.kind)) }));
  }

  private apply(sent: StoredObject[], dryRun: boolean): ExecResult {
    const items = sent.map((object) => {
      const index = this.objects.findIndex(
        (o) => o.kind === object.kind && o.metadata.name === object.metadata.name,
      );
      this.version += 1;
      const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(this.version) } };
      if (dryRun) return index < 0 ? stored : this.objects[index]!;
      if (index < 0) this.objects.push(stored);
      else this.objects[index] = stored;
      return stored;
    });
    return answer(JSON.stringify({ kind: "List", items }));
  }

  private delete(args: string[], dryRun: boolean): ExecResult {
    const held = (ref: string) =>
      this.objects.findIndex((o) => `${o.kind}/${o.metadata.name}` === this.kindRef(ref));
    const deleted = args.filter((a) => a.includes("/") && held(a) >= 0);
    if (!dryRun) for (const ref of deleted) this.objects.splice(held(ref), 1);
    // As -o name prints them (`cronjob.batch/NAME`): each object deleted (--ignore-not-found: of the others,
    // nothing).
    const named = deleted.map((ref) => {
      const [kind, name] = this.kindRef(ref).split("/") as [string, string];
      return `${objectRef(kind, name)}\n`;
    });
    return answer(named.join(""));
  }

  /** `roles.rbac.authorization.k8s.io/NAME` → `Role/NAME`. */
  private kindRef(ref: string): string {
    const slash = ref.indexOf("/");
    return `${resourceKinds.get(ref.slice(0, slash))}/${ref.slice(slash + 1)}`;
  }
}

function answer(stdout: string): ExecResult {
  return { exitCode: 0, stdout, stderr: "", interrupted: false };
}

/** The CronJob verbs' deps over `exec`, with what they print collected. */
export function cronVerbDeps(
  exec: Exec,
  { clock = new FakeClock(), signal = new AbortController().signal } = {},
) {
  const out = { stdout: "", stderr: "" };
  const stream = (key: "stdout" | "stderr") => {
    const s = new PassThrough();
    s.on("data", (chunk) => {
      out[key] += String(chunk);
    });
    return s as unknown as NodeJS.WriteStream;
  };
  const deps: CronDeps = {
    io: {
      stdout: stream("stdout"),
      stderr: stream("stderr"),
      stdin: process.stdin,
      env: {},
      home: "/home/tester",
      hostname: "test-host",
      signal,
    },
    kubectl: new Kubectl(exec, "kubectl", {}),
    colors: { stdout: makeChalk(false), stderr: makeChalk(false) },
    clock,
  };
  return { deps, out };
}

/**
 * The API requests a run really makes: a kubectl that runs the real one with -v=6, logs its request lines
 * aside (off the stderr the plugin reads), and reads them back as RBAC tuples `group/resource:verb`, e.g.
 * `apps/deployments:patch` or `/pods/eviction:create` — what a Role must allow for each.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RequestRecorder {
  /** The kubectl to hand the plugin (--kubectl). */
  path: string;
  /** Requests answered (anything but 403), or refused (403), as sorted unique tuples. */
  requests(answer: "allowed" | "refused"): string[];
}

/** HTTP method (and, for GET, list, watch or get) → the RBAC verb. */
function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case "GET":
      return watch ? "watch" : named ? "get" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    default:
      return method.toLowerCase();
  }
}

/** `/api/v1/namespaces/NS/pods/NAME/eviction` → `/pods/eviction:create`; null for what is not a resource. */
function rbacTuple(method: string, address: string): string | null {
  const url = new URL(address);
  const parts = url.pathname.split("/").filter(Boolean);
  // Discovery and /openapi are non-resource URLs every account may read.
  if (parts[0] !== "api" && parts[0] !== "apis") return null;
  const group = parts[0] === "apis" ? parts[1]! : "";
  const rest = parts.slice(parts[0] === "apis" ? 3 : 2);
  if (rest.length === 0) return null;
  const scoped = rest[0] === "namespaces" && rest.length >= 3 ? rest.slice(2) : rest;
  const [resource, name, subresource] = scoped;
  const verb = verbOf(method, name !== undefined, url.searchParams.get("watch") === "true");
  return `${group}/${resource}${subresource ? `/${subresource}` : ""}:${verb}`;
}

export function recordingKubectl(real: string): RequestRecorder {
  const dir = mkdtempSync(join(tmpdir(), "kau-api-log-"));
  const log = join(dir, "requests.log");
  const path = join(dir, "kubectl");
  writeFileSync(log, "");
  writeFileSync(
    path,
    [
      "#!/usr/bin/env bash",
      // kubectl takes this process's place, so a stop (the end of a watch) reaches it; one awk sorts its
      // stderr as it comes: the request lines to the log, and to stderr what kubectl prints without -v (not
      // its log entries, some of which span lines: a response object). The plugin reads stderr to its end,
      // so the log is written before the call is over.
      `exec "${real}" -v=6 "$@" 2> >(awk -v logfile='${log}' '/"Response"/{print >> logfile} /^[IWEF][0-9][0-9][0-9][0-9] /{k=1; next} k && /^([[:space:]]|[]}])/{next} {k=0; print}' >&2)`,
      "",
    ].join("\n"),
  );
  chmodSync(path, 0o755);
  const requests = (answer: "allowed" | "refused") => {
    const seen = new Set<string>();
    for (const line of readFileSync(log, "utf8").split("\n")) {
      const m = /verb="(\w+)" url="([^"]+)" status="(\d+)/.exec(line);
      if (!m || (m[3] === "403") !== (answer === "refused")) continue;
      const tuple = rbacTuple(m[1]!, m[2]!);
      if (tuple) seen.add(tuple);
    }
    return [...seen].sort();
  };
  return { path, requests };
}

/** A Role's (or ClusterRole's) rules as the same sorted tuples. */
export function ruleTuples(
  rules: readonly { apiGroups?: string[]; resources?: string[]; verbs: string[] }[],
): string[] {
  return rules
    .flatMap((r) =>
      (r.apiGroups ?? [""]).flatMap((g) =>
        (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)),
      ),
    )
    .sort();
}

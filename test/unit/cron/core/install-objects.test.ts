import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { parseInstallCronOptions, type RawInstallCronFlags } from "../../../../src/cli/cron-options.js";
import { ignoreLabel } from "../../../../src/core/k8s.js";
import { buildInstallObjects, type InstallObject } from "../../../../src/cron/core/install-objects.js";
import type { InstallSpec } from "../../../../src/cron/core/installation.js";
import { renderObjectsJson, renderObjectsYaml } from "../../../../src/cron/output/objects.js";

/** The spec install-cron builds from these flags, installed in namespace "tools". */
function specFor(flags: RawInstallCronFlags): InstallSpec {
  const options = parseInstallCronOptions(flags, {});
  return { ...options.spec, namespace: options.namespace ?? "tools" };
}

const manifestsFor = (flags: RawInstallCronFlags) => buildInstallObjects(specFor(flags));

/** Leaf paths whose values differ between two object trees, as "path: old -> new". */
function changes(before: unknown, after: unknown, path = ""): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObject = (v: unknown) => typeof v === "object" && v !== null;
  if (!isObject(before) || !isObject(after) || Array.isArray(before) !== Array.isArray(after)) {
    return [`${path}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`];
  }
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((k) => changes(a[k], b[k], path ? `${path}.${k}` : k));
}

function cronJobOf(manifests: InstallObject[]) {
  const cron = manifests.find((m) => m.kind === "CronJob");
  if (!cron) throw new Error("no CronJob");
  // biome-ignore lint/suspicious/noExplicitAny: walking a plain manifest
  return cron as any;
}

describe("install-cron manifests", () => {
  it("namespace scope (the defaults)", async () => {
    await expect(renderObjectsYaml(manifestsFor({ namespace: "tools" }))).toMatchFileSnapshot(
      "__snapshots__/namespace-scope.yaml",
    );
  });

  it("cluster scope (-A)", async () => {
    await expect(
      renderObjectsYaml(manifestsFor({ namespace: "tools", allNamespaces: true })),
    ).toMatchFileSnapshot("__snapshots__/cluster-scope.yaml");
  });

  it("--resolver docker --docker-socket", async () => {
    await expect(
      renderObjectsYaml(manifestsFor({ namespace: "tools", resolver: "docker", dockerSocket: true })),
    ).toMatchFileSnapshot("__snapshots__/docker-socket.yaml");
  });

  it("a namespace YAML 1.1 reads as a boolean (`-n no`, `-n on`) is quoted: kubectl reads YAML 1.1", () => {
    for (const namespace of ["no", "on", "y"]) {
      const text = renderObjectsYaml(manifestsFor({ namespace }));
      expect(text).toContain(`namespace: "${namespace}"`);
      for (const document of YAML.parseAllDocuments(text, { version: "1.1" })) {
        expect(document.toJS().metadata.namespace).toBe(namespace);
      }
    }
  });

  it("a name kubectl's reader takes for a number (`0o17`, `0b-1`) is quoted", () => {
    for (const name of ["0o17", "0b-1"]) {
      const text = renderObjectsYaml(manifestsFor({ namespace: "tools", name }));
      expect(text).toContain(`name: "${name}"`);
      expect(text).toContain(`app.kubernetes.io/instance: "${name}"`);
      expect(text).not.toMatch(new RegExp(`: ${name}$`, "m"));
    }
  });

  it("-o json prints the same objects as a v1 List", () => {
    const manifests = manifestsFor({ namespace: "tools" });
    expect(JSON.parse(renderObjectsJson(manifests))).toEqual({
      apiVersion: "v1",
      kind: "List",
      items: manifests,
    });
  });

  const base = manifestsFor({ namespace: "tools" });
  it.each<[string, RawInstallCronFlags, string[]]>([
    ["--schedule", { schedule: "0 3 * * mon-fri" }, ['spec.schedule: "*/10 * * * *" -> "0 3 * * mon-fri"']],
    ["--schedule macro", { schedule: "@hourly" }, ['spec.schedule: "*/10 * * * *" -> "@hourly"']],
    ["--time-zone", { timeZone: "Europe/Berlin" }, ['spec.timeZone: undefined -> "Europe/Berlin"']],
    ["--suspend", { suspend: true }, ["spec.suspend: false -> true"]],
    [
      "--max-requests",
      { maxRequests: "500" },
      ['spec.jobTemplate.spec.template.spec.containers.0.command.8: undefined -> "--max-requests=500"'],
    ],
    [
      "--image by tag",
      { image: "registry.example.com/tools/kubectl-autoupdate:main" },
      [
        `spec.jobTemplate.spec.template.spec.containers.0.image: "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0" -> "registry.example.com/tools/kubectl-autoupdate:main"`,
      ],
    ],
    // Pinned, it is pulled only where missing: a tag is pulled at each run, as it may have moved.
    [
      "--image by digest",
      { image: "registry.example.com/tools/kubectl-autoupdate@sha256:" + "a".repeat(64) },
      [
        `spec.jobTemplate.spec.template.spec.containers.0.image: "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0" -> "registry.example.com/tools/kubectl-autoupdate@sha256:${"a".repeat(64)}"`,
        'spec.jobTemplate.spec.template.spec.containers.0.imagePullPolicy: "Always" -> "IfNotPresent"',
      ],
    ],
  ])("%s changes only the CronJob field it is about", (_flag, flags, expected) => {
    const changed = manifestsFor({ namespace: "tools", ...flags });
    const others = (objects: typeof base) => objects.filter((o) => o.kind !== "CronJob");
    expect(others(changed)).toEqual(others(base));
    expect(changes(cronJobOf(base), cronJobOf(changed))).toEqual(expected);
  });

  it("-l adds the selector to the job's command and nowhere else", () => {
    const changed = manifestsFor({ namespace: "tools", selector: "app=web,tier!=db" });
    expect(cronJobOf(changed).spec.jobTemplate.spec.template.spec.containers[0].command).toEqual([
      "kubectl-autoupdate",
      "apply",
      "--yes",
      "--summary-json",
      "--color=never",
      "--namespace=tools",
      "--selector=app=web,tier!=db",
      "--resolver=registry",
      "--strategy=auto",
    ]);
    const withoutCommand = (m: InstallObject[]) => JSON.stringify(m).replace(/"command":\[[^\]]*\]/, "");
    expect(withoutCommand(changed)).toBe(withoutCommand(base));
  });

  it("the job's pod turns off mesh sidecar injection: a proxy that outlives the run keeps the Job from ending", () => {
    const template = cronJobOf(manifestsFor({ namespace: "tools" })).spec.jobTemplate.spec.template;
    expect(template.metadata.annotations).toEqual({
      "sidecar.istio.io/inject": "false",
      "linkerd.io/inject": "disabled",
    });
  });

  it("--name renames every object, the binding's references and the labels' instance", () => {
    const changed = manifestsFor({ namespace: "tools", name: "nightly" });
    expect(changed.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      "ServiceAccount/nightly",
      "Role/nightly",
      "RoleBinding/nightly",
      "ConfigMap/nightly",
      "CronJob/nightly",
    ]);
    expect(changed[2]).toMatchObject({
      roleRef: { kind: "Role", name: "nightly" },
      subjects: [{ kind: "ServiceAccount", name: "nightly", namespace: "tools" }],
    });
    const pod = cronJobOf(changed).spec.jobTemplate.spec.template;
    expect(pod.spec.serviceAccountName).toBe("nightly");
    expect(pod.spec.containers[0].env).toContainEqual({
      name: "KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP",
      value: "tools/nightly",
    });
    for (const object of changed)
      expect(object.metadata.labels["app.kubernetes.io/instance"]).toBe("nightly");
  });

  it("-A: ClusterRole and ClusterRoleBinding named namespace:name, labelled with the namespace; job checks every namespace", () => {
    const changed = manifestsFor({ namespace: "tools", allNamespaces: true });
    expect(changed.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([
      "ServiceAccount/kubectl-autoupdate",
      "ClusterRole/tools:kubectl-autoupdate",
      "ClusterRoleBinding/tools:kubectl-autoupdate",
      "Role/kubectl-autoupdate",
      "RoleBinding/kubectl-autoupdate",
      "ConfigMap/kubectl-autoupdate",
      "CronJob/kubectl-autoupdate",
    ]);
    for (const object of changed.slice(1, 3)) {
      expect(object.metadata.namespace).toBeUndefined();
      expect(object.metadata.labels["kubectl-autoupdate/namespace"]).toBe("tools");
    }
    // The record's rule moves to a Role of its own in the install's namespace.
    const baseRules = base[1]!["rules"] as object[];
    expect(changed[1]!["rules"]).toEqual(baseRules.slice(0, -1));
    expect(changed[3]!["rules"]).toEqual(baseRules.slice(-1));
    expect(changes(cronJobOf(base), cronJobOf(changed))).toEqual([
      'spec.jobTemplate.spec.template.spec.containers.0.command.5: "--namespace=tools" -> "--all-namespaces"',
    ]);
  });

  it.each([
    ["namespace", {}],
    ["cluster", { allNamespaces: true }],
    ["docker", { resolver: "docker", dockerSocket: true }],
  ])("%s: every object carries the name, managed-by and instance labels", (_, flags) => {
    for (const object of manifestsFor({ namespace: "tools", ...flags })) {
      expect(object.metadata.labels).toMatchObject({
        "app.kubernetes.io/name": "kubectl-autoupdate",
        "app.kubernetes.io/managed-by": "kubectl-autoupdate",
        "app.kubernetes.io/instance": "kubectl-autoupdate",
      });
    }
  });

  it("the job's pods are marked so the tool never restarts them, and the Job runs once per schedule", () => {
    const cron = cronJobOf(base);
    expect(cron.spec.jobTemplate.spec.template.metadata.labels[ignoreLabel]).toBe("true");
    expect(cron.spec).toMatchObject({
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: 1800,
          ttlSecondsAfterFinished: 86400,
          template: { spec: { restartPolicy: "Never", serviceAccountName: "kubectl-autoupdate" } },
        },
      },
    });
  });

  it("hardened: non-root, read-only root fs, no escalation, no capabilities, RuntimeDefault seccomp, limits", () => {
    const pod = cronJobOf(base).spec.jobTemplate.spec.template.spec;
    // The image's own user, checked non-root by the kubelet: a uid given here would be refused where the
    // platform assigns one (OpenShift's restricted SCC, a range per namespace).
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    // No nodeSelector: it is an atomic map, so one set here would take over any added by hand on each
    // install (README: where the job runs).
    expect(pod.nodeSelector).toBeUndefined();
    const container = pod.containers[0];
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.resources).toEqual({
      requests: { cpu: "50m", memory: "256Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
    expect(pod.volumes).toEqual([{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }]);
    expect(JSON.stringify(pod)).not.toContain("hostPath");
  });

  it("--docker-socket changes only what the socket needs: root, the hostPath volume, the docker resolver and image", () => {
    const docker = manifestsFor({ namespace: "tools", resolver: "docker", dockerSocket: true });
    expect(changes(cronJobOf(base), cronJobOf(docker))).toEqual([
      "spec.jobTemplate.spec.template.spec.securityContext.runAsNonRoot: true -> false",
      "spec.jobTemplate.spec.template.spec.securityContext.runAsUser: undefined -> 0",
      "spec.jobTemplate.spec.template.spec.securityContext.runAsGroup: undefined -> 0",
      'spec.jobTemplate.spec.template.spec.containers.0.image: "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0" -> "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0-docker"',
      'spec.jobTemplate.spec.template.spec.containers.0.command.6: "--resolver=registry" -> "--resolver=docker"',
      "spec.jobTemplate.spec.template.spec.containers.0.securityContext.runAsNonRoot: true -> false",
      'spec.jobTemplate.spec.template.spec.containers.0.volumeMounts.1: undefined -> {"name":"docker-socket","mountPath":"/var/run/docker.sock"}',
      'spec.jobTemplate.spec.template.spec.volumes.1: undefined -> {"name":"docker-socket","hostPath":{"path":"/var/run/docker.sock","type":"Socket"}}',
    ]);
  });

  it("--webhook-secret adds only an environment variable taken from the Secret's key url: nothing in the command", () => {
    const hooked = manifestsFor({ namespace: "tools", webhookSecret: "team-hooks" });
    expect(changes(cronJobOf(base), cronJobOf(hooked))).toEqual([
      'spec.jobTemplate.spec.template.spec.containers.0.env.6: undefined -> {"name":"KUBECTL_AUTOUPDATE_WEBHOOK_URL","valueFrom":{"secretKeyRef":{"name":"team-hooks","key":"url"}}}',
    ]);
    // The Role is the same: the job never reads the Secret itself (the kubelet injects it).
    expect(hooked.filter((m) => m.kind !== "CronJob")).toEqual(base.filter((m) => m.kind !== "CronJob"));
  });

  it("a proxy adds HTTPS_PROXY, HTTP_PROXY and a NO_PROXY that always holds the API server's address", () => {
    const proxied = manifestsFor({
      namespace: "tools",
      proxy: "http://proxy.corp:3128",
      proxyBypass: ".corp.example,10.0.0.0/8",
    });
    expect(changes(cronJobOf(base), cronJobOf(proxied))).toEqual([
      'spec.jobTemplate.spec.template.spec.containers.0.env.6: undefined -> {"name":"HTTPS_PROXY","value":"http://proxy.corp:3128"}',
      'spec.jobTemplate.spec.template.spec.containers.0.env.7: undefined -> {"name":"HTTP_PROXY","value":"http://proxy.corp:3128"}',
      'spec.jobTemplate.spec.template.spec.containers.0.env.8: undefined -> {"name":"NO_PROXY","value":".corp.example,10.0.0.0/8,$(KUBERNETES_SERVICE_HOST)"}',
    ]);
    const fromSecret = manifestsFor({ namespace: "tools", proxySecret: "egress" });
    const env = cronJobOf(fromSecret).spec.jobTemplate.spec.template.spec.containers[0].env;
    expect(env.slice(6)).toEqual([
      { name: "HTTPS_PROXY", valueFrom: { secretKeyRef: { name: "egress", key: "url" } } },
      { name: "HTTP_PROXY", valueFrom: { secretKeyRef: { name: "egress", key: "url" } } },
      { name: "NO_PROXY", value: "$(KUBERNETES_SERVICE_HOST)" },
    ]);
    // Nothing else changes: the kubelet reads the Secret, the job never does.
    expect(fromSecret.filter((m) => m.kind !== "CronJob")).toEqual(base.filter((m) => m.kind !== "CronJob"));
  });
});

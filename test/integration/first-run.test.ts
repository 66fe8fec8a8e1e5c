/**
 * First run without a working cluster: for each way kubectl 1.35 fails to reach one, the fake kubectl
 * replays kubectl's real stderr (recorded against the test bed: test/fixtures/kubectl-failures/) and its
 * real `config view`, and the plugin says one line naming the kubeconfig and context and what to do —
 * never kubectl's klog lines, which --verbose still shows. (The plugin reads pods with `kubectl get --raw`,
 * which ends each failure with the same kind of line as the recorded `get pods`; a server that never answers
 * ends `get --raw` with another timeout's words, which test/e2e/first-run.test.ts meets with the real
 * kubectl.) The same against a real control plane: test/e2e/first-run.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runCli } from "../support/cli.js";
import { FakeCluster } from "../support/fake-kubectl.js";

const fixtures = join(repoRoot, "test", "fixtures", "kubectl-failures");
const recorded = (file: string) =>
  readFileSync(join(fixtures, file), "utf8").replaceAll("@FIXTURES@", fixtures);

/** A home with an existing (content-free: the fake reads none) ~/.kube/config, or none at all. */
function home(withKubeconfig: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "kau-first-run-"));
  if (withKubeconfig) {
    mkdirSync(join(dir, ".kube"));
    writeFileSync(join(dir, ".kube", "config"), "apiVersion: v1\nkind: Config\n");
  }
  return dir;
}

/**
 * `plan` where kubectl fails as recorded in `name`.stderr, its config view answering `view`.config-view.json.
 */
async function planFailing(name: string, options: { view?: string; home?: string; args?: string[] } = {}) {
  const fake = new FakeCluster()
    .on(["get", "--raw"], { stderr: recorded(`${name}.stderr`), exitCode: 1 })
    .on(["config", "view", "json"], { stdout: recorded(`${options.view ?? name}.config-view.json`) });
  const dir = options.home ?? home(true);
  const result = await runCli(["plan", ...(options.args ?? [])], fake.env({ HOME: dir, KUBECONFIG: "" }));
  return { ...result, dir, fake };
}

describe("plan on a first run: one line for each way kubectl cannot reach a cluster", () => {
  it("no kubeconfig at all: kubectl fell back to localhost:8080", async () => {
    const { code, stdout, stderr, dir } = await planFailing("no-kubeconfig", { home: home(false) });
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toBe(
      `error: no cluster configured: ${dir}/.kube/config does not exist and $KUBECONFIG is not set; point --kubeconfig or $KUBECONFIG at your cluster's kubeconfig, or create a cluster (e.g. kind create cluster)\n`,
    );
  });

  it("a kubeconfig with contexts but no current one", async () => {
    const { stderr, dir } = await planFailing("no-current-context");
    expect(stderr).toBe(
      `error: no current context in kubeconfig ${dir}/.kube/config: choose one of kind-dev with --context, or set it with kubectl config use-context kind-dev\n`,
    );
  });

  it("a context that is not in the kubeconfig", async () => {
    const { stderr, dir } = await planFailing("unknown-context", { args: ["--context", "nope"] });
    expect(stderr).toBe(
      `error: context "nope" is not in kubeconfig ${dir}/.kube/config, which has kind-dev; see kubectl config get-contexts\n`,
    );
  });

  it("an API server that refuses the connection", async () => {
    const { stderr, dir, fake } = await planFailing("refused");
    expect(stderr).toBe(
      `error: cannot reach the cluster of context "kind-dev" (kubeconfig ${dir}/.kube/config): https://127.0.0.1:40147 refused the connection; is the cluster running? (kubectl --context kind-dev cluster-info)\n`,
    );
    // Without -n the context's namespace is asked first; the kubeconfig's facts are read only after
    // the failure.
    expect(fake.calls().map((c) => c.argv.slice(0, 2).join(" "))).toEqual([
      "config view",
      "get --raw",
      "config view",
    ]);
  });

  it("an API server that does not answer in time", async () => {
    // The kubeconfig (refused's) names the server, so its URL is the one said, not the one in kubectl's line.
    const { stderr } = await planFailing("timeout", { view: "refused" });
    expect(stderr).toMatch(
      /^error: cannot reach the cluster of context "kind-dev" \(kubeconfig .*\): https:\/\/127\.0\.0\.1:40147 did not answer in time; is the cluster running, and reachable from here \(VPN, firewall\)\? \(kubectl --context kind-dev cluster-info\)\n$/,
    );
  });

  it("a server certificate the kubeconfig's CA did not sign", async () => {
    const { stderr } = await planFailing("unknown-authority");
    expect(stderr).toMatch(
      /^error: cannot trust the cluster of context "kind-dev" \(kubeconfig .*\): https:\/\/127\.0\.0\.1:49901 presented a certificate that the kubeconfig's certificate-authority did not sign; get a current kubeconfig for this cluster \(was it recreated\?\)\n$/,
    );
  });

  it("an invalid token, whether kubectl's discovery cache was cold or warm", async () => {
    for (const name of ["bad-token", "bad-token-cached-discovery"]) {
      const { stderr, dir } = await planFailing(name, { view: "bad-token" });
      expect(stderr).toBe(
        `error: the cluster of context "kind-dev" (kubeconfig ${dir}/.kube/config) rejected the credentials of user "dev" (Unauthorized): its token is invalid or has expired; get a new token or a current kubeconfig from your cluster's provider\n`,
      );
    }
  });

  it("an expired client certificate, told by its date", async () => {
    const { stderr, dir } = await planFailing("expired-certificate");
    expect(stderr).toBe(
      `error: the cluster of context "kind-dev" (kubeconfig ${dir}/.kube/config) rejected the credentials of user "dev" (Unauthorized): its client certificate expired on 2020-01-02 00:00 UTC; renew it or get a current kubeconfig from your cluster's provider\n`,
    );
  });

  it("a credential plugin that is missing, or that fails saying why", async () => {
    const missing = await planFailing("credential-plugin-missing");
    expect(missing.stderr).toBe(
      `error: cannot get credentials of context "gke_prod" (kubeconfig ${missing.dir}/.kube/config): the kubeconfig's credential plugin no-such-auth-plugin is not installed (or not on PATH); install it, then try again\n`,
    );
    const failed = await planFailing("credential-plugin-failed");
    expect(failed.stderr).toBe(
      `error: cannot get credentials of context "gke_prod" (kubeconfig ${failed.dir}/.kube/config): the kubeconfig's credential plugin sh failed: token expired, run aws sso login; log in again with your cluster provider's tool\n`,
    );
  });

  it("a --kubeconfig that does not exist", async () => {
    const { stderr } = await planFailing("kubeconfig-flag-missing", {
      view: "no-kubeconfig",
      args: ["--kubeconfig", "/tmp/fr/nope.kubeconfig"],
    });
    expect(stderr).toBe(
      "error: kubeconfig /tmp/fr/nope.kubeconfig does not exist; point --kubeconfig at your cluster's kubeconfig\n",
    );
  });

  it("$KUBECONFIG is named as such", async () => {
    const fake = new FakeCluster()
      .on(["get", "--raw"], { stderr: recorded("refused.stderr"), exitCode: 1 })
      .on(["config", "view", "json"], { stdout: recorded("refused.config-view.json") });
    const dir = home(true);
    const kubeconfig = join(dir, ".kube", "config");
    const result = await runCli(["plan"], fake.env({ HOME: home(false), KUBECONFIG: kubeconfig }));
    expect(result.stderr).toContain(`(kubeconfig ${kubeconfig} from $KUBECONFIG)`);
  });

  it("--verbose shows kubectl's own output too", async () => {
    const { stderr } = await planFailing("refused", { args: ["--verbose"] });
    expect(stderr).toContain(`kubectl's output:\n${recorded("refused.stderr")}`);
    expect(stderr).toContain('error: cannot reach the cluster of context "kind-dev"');
  });

  it("every verb says it the same way (cron-status, which reads the context's namespace first)", async () => {
    const fake = new FakeCluster()
      .on(["--minify"], { stdout: "" })
      .on(["get"], { stderr: recorded("refused.stderr"), exitCode: 1 })
      .on(["config", "view", "json"], { stdout: recorded("refused.config-view.json") });
    const result = await runCli(["cron-status"], fake.env({ HOME: home(true), KUBECONFIG: "" }));
    expect(result.stderr).toMatch(/^error: cannot reach the cluster of context "kind-dev" \(kubeconfig /);
    expect(result.code).toBe(1);
  });

  it("without a current context, cron-status says so the same way (its namespace found as plan finds it)", async () => {
    const fake = new FakeCluster()
      .on(["--minify"], { stderr: recorded("no-current-context-minify.stderr"), exitCode: 1 })
      .on(["config", "view", "json"], { stdout: recorded("no-current-context.config-view.json") })
      .on(["get"], { stderr: recorded("no-current-context.stderr"), exitCode: 1 });
    const dir = home(true);
    const result = await runCli(["cron-status"], fake.env({ HOME: dir, KUBECONFIG: "" }));
    expect(result.stderr).toBe(
      `error: no current context in kubeconfig ${dir}/.kube/config: choose one of kind-dev with --context, or set it with kubectl config use-context kind-dev\n`,
    );
  });
});

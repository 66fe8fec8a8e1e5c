/**
 * kubectl 1.35's own stderr when it cannot reach a cluster, recorded against the test bed
 * (test/fixtures/kubectl-failures/*.stderr), read into a problem; and the one line said for each.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ClusterAccessError,
  explainClusterProblem,
  type KubeconfigFacts,
  kubectlFailure,
  readKubectlStderr,
} from "../../../src/adapters/kubectl-errors.js";
import { ToolFailedError } from "../../../src/errors.js";
import { repoRoot } from "../../support/cli.js";

const recorded = (name: string) =>
  readFileSync(join(repoRoot, "test", "fixtures", "kubectl-failures", `${name}.stderr`), "utf8");

describe("readKubectlStderr: kubectl's recorded failures", () => {
  it.each([
    ["no-kubeconfig", { kind: "refused", server: "http://localhost:8080" }],
    ["no-current-context", { kind: "refused", server: "http://localhost:8080" }],
    ["refused", { kind: "refused", server: "https://127.0.0.1:40147" }],
    ["timeout", { kind: "timeout", server: "https://127.0.0.1:34227" }],
    [
      "unknown-authority",
      {
        kind: "untrusted",
        server: "https://127.0.0.1:49901",
        detail: "certificate signed by unknown authority",
      },
    ],
    ["bad-token", { kind: "unauthorized" }],
    ["bad-token-cached-discovery", { kind: "unauthorized" }],
    ["expired-certificate", { kind: "unauthorized" }],
    ["credential-plugin-missing", { kind: "plugin-missing", command: "no-such-auth-plugin" }],
    [
      "credential-plugin-failed",
      { kind: "plugin-failed", command: "sh", detail: "token expired, run aws sso login" },
    ],
    ["unknown-context", { kind: "no-such-context", context: "nope" }],
    ["unknown-context-minify", { kind: "no-such-context", context: "nope" }],
    ["unknown-context-raw", { kind: "no-such-context", context: "nope" }],
    ["no-current-context-minify", { kind: "no-current-context" }],
    ["kubeconfig-flag-missing", { kind: "no-kubeconfig-file", path: "/tmp/fr/nope.kubeconfig" }],
    // A context with no user, on an https server: kubectl prompts for a username and reads an empty stdin.
    ["login-prompt", { kind: "login-prompt" }],
  ])("%s", (name, problem) => {
    expect(readKubectlStderr(recorded(name)).problem).toEqual(problem);
  });

  it("kubectl's own line is never one of its klog lines", () => {
    expect(readKubectlStderr(recorded("refused")).line).toBe(
      "The connection to the server 127.0.0.1:40147 was refused - did you specify the right host or port?",
    );
    // The multi-line klog values (err=< … >) are left out too.
    expect(readKubectlStderr(recorded("credential-plugin-missing")).line).toMatch(
      /^Unable to connect to the server: getting credentials/,
    );
  });

  // The real plugins' own lines, before kubectl's, often start with "error" too.
  it.each([
    ["kubectl", "error: get-token: authentication error: authcode-browser error: context deadline exceeded"],
    ["aws", "Error when retrieving token from sso: Token has expired and refresh failed"],
    ["kubelogin", "Error: failed to get token: AADSTS700082: The refresh token has expired"],
    // By a path with a space in it (macOS's Application Support, a home such as /Users/Jane Doe).
    ["/Users/Jane Doe/bin/kubelogin", "token expired, run kubelogin login"],
  ])("a credential plugin (%s) that failed: its own line says why, error or not", (command, said) => {
    const stderr = `${said}\nUnable to connect to the server: getting credentials: exec: executable ${command} failed with exit code 1\n`;
    expect(readKubectlStderr(stderr).problem).toEqual({ kind: "plugin-failed", command, detail: said });
    const error = kubectlFailure({ exitCode: 1, stdout: "", stderr, interrupted: false }, "kubectl get");
    expect(error).toBeInstanceOf(ClusterAccessError);
  });

  it("a credential plugin not found by a path with a space in it is one not installed", () => {
    const stderr =
      "Unable to connect to the server: getting credentials: exec: executable /Users/Jane Doe/bin/kubelogin not found\n";
    expect(readKubectlStderr(stderr).problem).toEqual({
      kind: "plugin-missing",
      command: "/Users/Jane Doe/bin/kubelogin",
    });
  });

  it("anything else is not a cluster problem: the error keeps kubectl's line", () => {
    const forbidden =
      'Error from server (Forbidden): pods is forbidden: User "nobody" cannot list resource "pods" in API group "" in the namespace "default"\n';
    expect(readKubectlStderr(forbidden)).toEqual({ line: forbidden.trim() });
    const error = kubectlFailure(
      { exitCode: 1, stdout: "", stderr: forbidden, interrupted: false },
      "kubectl get",
    );
    expect(error).toBeInstanceOf(ToolFailedError);
    expect(error).not.toBeInstanceOf(ClusterAccessError);
    expect(error.message).toBe(`kubectl get failed: ${forbidden.trim()}`);
  });

  it("a refused escalation names the rules not held, which kubectl lists on the lines after", () => {
    // kubectl 1.34 against its API server, as a namespace admin applying a Role with Events of events.k8s.io.
    const stderr = [
      'Error from server (Forbidden): roles.rbac.authorization.k8s.io "r" is forbidden: user "u1" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:',
      '{APIGroups:["events.k8s.io"], Resources:["events"], Verbs:["list" "create"]}',
      "",
    ].join("\n");
    expect(readKubectlStderr(stderr).line).toBe(
      'Error from server (Forbidden): roles.rbac.authorization.k8s.io "r" is forbidden: user "u1" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held: {APIGroups:["events.k8s.io"], Resources:["events"], Verbs:["list" "create"]}',
    );
  });

  it("a header ending in a colon is followed by its causes, one `* ` line each: they say what is wrong", () => {
    // kubectl 1.35.4 with a kubeconfig whose client certificate and key files are gone.
    const stderr = [
      "Error in configuration: ",
      "* unable to read client-cert /home/me/mk/client.crt for mk due to open /home/me/mk/client.crt: no such file or directory",
      "* unable to read client-key /home/me/mk/client.key for mk due to open /home/me/mk/client.key: no such file or directory",
      "",
    ].join("\n");
    expect(readKubectlStderr(stderr).line).toBe(
      "Error in configuration: unable to read client-cert /home/me/mk/client.crt for mk due to open /home/me/mk/client.crt: no such file or directory; unable to read client-key /home/me/mk/client.key for mk due to open /home/me/mk/client.key: no such file or directory",
    );
  });

  it("a server's warning is never the failure, and an invalid request is kubectl's error line", () => {
    // A validating admission policy refuses a rollout's patch of a Deployment whose env repeats a name.
    const stderr = [
      'Warning: spec.template.spec.containers[0].env[3]: hides previous definition of "LOG_LEVEL", which may be dropped when using apply',
      "The deployments \"web\" is invalid: : ValidatingAdmissionPolicy 'no-restarts' with binding 'b' denied request: frozen",
      "",
    ].join("\n");
    expect(readKubectlStderr(stderr).line).toBe(
      "The deployments \"web\" is invalid: : ValidatingAdmissionPolicy 'no-restarts' with binding 'b' denied request: frozen",
    );
    const onlyWarnings = "Warning: policy/v1beta1 PodDisruptionBudget is deprecated\n";
    const error = kubectlFailure(
      { exitCode: 1, stdout: "", stderr: onlyWarnings, interrupted: false },
      "kubectl get",
    );
    expect(error.message).toBe("kubectl get failed: exit 1");
  });

  it("an admission webhook's denial keeps the policy and why, which follow on lines of their own", () => {
    // Kyverno refusing a rollout's patch.
    const stderr = [
      'Error from server: admission webhook "validate.kyverno.svc-fail" denied the request: ',
      "",
      "resource Deployment/shop/web was blocked due to the following policies ",
      "",
      "require-change-ticket:",
      "  check-ticket: 'validation error: changes to production Deployments need the annotation",
      "    change-ticket. rule check-ticket failed at path /metadata/annotations/change-ticket/'",
      "",
    ].join("\n");
    expect(readKubectlStderr(stderr).line).toBe(
      "Error from server: admission webhook \"validate.kyverno.svc-fail\" denied the request: resource Deployment/shop/web was blocked due to the following policies require-change-ticket: check-ticket: 'validation error: changes to production Deployments need the annotation change-ticket. rule check-ticket failed at path /metadata/annotations/change-ticket/'",
    );
  });

  it("a kubectl killed by a signal this tool did not send says so, not that it timed out", () => {
    const killed = { exitCode: -1, stdout: "", stderr: "", interrupted: true, killedBy: "SIGKILL" } as const;
    expect(kubectlFailure({ ...killed, killedFromOutside: true }, "kubectl get").message).toBe(
      "kubectl get failed: killed by SIGKILL",
    );
    expect(kubectlFailure(killed, "kubectl get").message).toBe(
      "kubectl get failed: timed out or interrupted",
    );
  });

  it("credentials in a form this kubectl no longer takes are a credential problem, with what to do", () => {
    const failed = (stderr: string) =>
      kubectlFailure(
        { exitCode: 1, stdout: "", stderr, interrupted: false },
        "kubectl get",
      ) as ClusterAccessError;
    const oldExec = failed(
      'error: exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"\n',
    );
    expect(oldExec).toBeInstanceOf(ClusterAccessError);
    expect(oldExec.problem).toMatchObject({
      kind: "no-credentials",
      detail: 'exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"',
    });
    const gcp = failed(
      [
        "error: The gcp auth plugin has been removed.",
        'Please use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead.',
        "See https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke for further details",
        "",
      ].join("\n"),
    );
    expect(explainClusterProblem(gcp.problem, {})).toBe(
      'cannot get credentials: The gcp auth plugin has been removed; use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead',
    );
  });

  it("an unknown context among other causes is named alone", () => {
    const stderr = [
      "Error in configuration: ",
      "* context was not found for specified context: nosuch",
      "* cluster has no server defined",
      "",
    ].join("\n");
    const error = kubectlFailure({ exitCode: 1, stdout: "", stderr, interrupted: false }, "kubectl get");
    expect((error as ClusterAccessError).problem).toEqual({ kind: "no-such-context", context: "nosuch" });
  });

  it("a timeout while a list's body was still coming is the cluster's timeout, as one before its headers", () => {
    const stderr =
      "error: net/http: request canceled (Client.Timeout or context cancellation while reading body)\n";
    const error = kubectlFailure({ exitCode: 1, stdout: "", stderr, interrupted: false }, "kubectl get");
    expect(error).toBeInstanceOf(ClusterAccessError);
    expect((error as ClusterAccessError).problem).toMatchObject({ kind: "timeout" });
  });

  it("a cluster problem is a ClusterAccessError keeping kubectl's whole output, and says something without the kubeconfig's facts", () => {
    const stderr = recorded("refused");
    const error = kubectlFailure({ exitCode: 1, stdout: "", stderr, interrupted: false }, "kubectl get");
    expect(error).toBeInstanceOf(ClusterAccessError);
    expect((error as ClusterAccessError).kubectlOutput).toBe(stderr);
    // No command to check it with: one without the run's connection flags may check another cluster (this
    // line is the run's result and its report's error).
    expect(error.message).toBe(
      "cannot reach the cluster: https://127.0.0.1:40147 refused the connection; is the cluster running?",
    );
  });
});

describe("explainClusterProblem", () => {
  const home: KubeconfigFacts = {
    kubeconfig: "/home/me/.kube/config",
    kubeconfigSource: "default",
    kubeconfigExists: true,
    contexts: ["kind-dev", "prod"],
    context: "kind-dev",
    server: "https://127.0.0.1:6443",
    user: "kind-dev",
  };
  const fallback = { kind: "refused", server: "http://localhost:8080" } as const;

  it("no kubeconfig at all", () => {
    expect(
      explainClusterProblem(fallback, { ...home, kubeconfigExists: false, contexts: [], context: undefined }),
    ).toBe(
      "no cluster configured: /home/me/.kube/config does not exist and $KUBECONFIG is not set; point --kubeconfig or $KUBECONFIG at your cluster's kubeconfig, or create a cluster (e.g. kind create cluster)",
    );
  });

  it("in a pod with no kubeconfig (the CronJob's job): the in-cluster config is named, not a kubeconfig to make", () => {
    const pod: KubeconfigFacts = {
      kubeconfig: "/tmp/.kube/config",
      kubeconfigSource: "default",
      kubeconfigExists: false,
      inCluster: true,
      server: "https://10.96.0.1:443",
    };
    expect(explainClusterProblem({ kind: "refused", server: "10.96.0.1:443" }, pod)).toBe(
      "cannot reach the cluster (in-cluster config: this pod's ServiceAccount): https://10.96.0.1:443 refused the connection; is the cluster running? (kubectl cluster-info)",
    );
    expect(
      explainClusterProblem(
        { kind: "untrusted", detail: "x509: certificate signed by unknown authority" },
        pod,
      ),
    ).toBe(
      "cannot trust the cluster (in-cluster config: this pod's ServiceAccount): https://10.96.0.1:443 presented a certificate that the CA mounted in this pod (its ServiceAccount's ca.crt) did not sign; a pod started since the cluster's CA changed mounts the new one",
    );
    expect(explainClusterProblem({ kind: "unauthorized" }, pod)).toBe(
      "the cluster (in-cluster config: this pod's ServiceAccount) rejected this pod's ServiceAccount token (Unauthorized): check that its ServiceAccount still exists and its token is mounted (automountServiceAccountToken)",
    );
  });

  it("no current context, but --cluster named: the refusal of that cluster's server, not a context to choose", () => {
    const facts = { ...home, context: undefined, clusterFlag: "c", server: "https://127.0.0.1:1" };
    expect(explainClusterProblem(fallback, facts)).toBe(
      "cannot reach the cluster (kubeconfig /home/me/.kube/config): https://127.0.0.1:1 refused the connection; is the cluster running? (kubectl --cluster c cluster-info)",
    );
  });

  it("a context whose cluster the kubeconfig does not have: that, not a cluster that is not running", () => {
    const facts = { ...home, missingCluster: "gone" };
    expect(explainClusterProblem(fallback, facts)).toMatch(
      /: the context names cluster "gone", which the kubeconfig does not have, so kubectl tried .*; add that cluster to the kubeconfig, or choose another context \(kubectl config get-contexts\)$/,
    );
  });

  it("a kubeconfig without contexts, or without a current one", () => {
    expect(explainClusterProblem(fallback, { ...home, contexts: [], context: undefined })).toBe(
      "no cluster configured: kubeconfig /home/me/.kube/config has no contexts; add one (kubectl config set-context) or point --kubeconfig at another kubeconfig",
    );
    expect(explainClusterProblem(fallback, { ...home, kubeconfigSource: "env", context: undefined })).toBe(
      "no current context in kubeconfig /home/me/.kube/config from $KUBECONFIG: choose one of kind-dev, prod with --context, or set it with kubectl config use-context kind-dev",
    );
  });

  it.each([
    [
      "refused by the kuberc's credential plugin policy",
      'plugin "aws" not allowed: policy set to "DenyAll"',
      'kubectl\'s credential plugin policy does not let the kubeconfig\'s plugin run (plugin "aws" not allowed: policy set to "DenyAll"); allow it in your kuberc',
    ],
    [
      "left out of the kuberc's allowlist",
      'plugin path "/usr/bin/aws" is not permitted by the credential plugin allowlist',
      "kubectl's credential plugin policy does not let the kubeconfig's plugin run",
    ],
    [
      "named by a path that is not there",
      "exec: fork/exec /usr/local/bin/aws-iam-authenticator: no such file or directory",
      "the kubeconfig's credential plugin /usr/local/bin/aws-iam-authenticator is not installed",
    ],
    [
      "not executable",
      "exec: fork/exec /opt/bin/kubelogin: permission denied",
      'exec: fork/exec /opt/bin/kubelogin: permission denied; check the credentials of user "kind-dev" in the kubeconfig',
    ],
  ])(
    "a credential plugin kubectl did not run (%s): a credential problem, not the network",
    (_, why, said) => {
      const { problem } = readKubectlStderr(`Unable to connect to the server: getting credentials: ${why}\n`);
      const line = explainClusterProblem(problem!, home);
      expect(line).toMatch(
        /^cannot get credentials of context "kind-dev" \(kubeconfig \/home\/me\/.kube\/config\): /,
      );
      expect(line).toContain(said);
    },
  );

  it("the server's certificate expired (or this machine's clock is off): no kubeconfig can help", () => {
    const stderr =
      "Unable to connect to the server: tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-03-02T10:00:00Z is after 2026-02-28T09:12:41Z\n";
    expect(explainClusterProblem(readKubectlStderr(stderr).problem!, home)).toBe(
      "cannot trust the cluster of context \"kind-dev\" (kubeconfig /home/me/.kube/config): https://127.0.0.1:6443 presented a certificate that has expired or is not yet valid (current time 2026-03-02T10:00:00Z is after 2026-02-28T09:12:41Z); check this machine's clock, or have the cluster's certificates renewed (kubeadm: kubeadm certs renew)",
    );
  });

  it("a server that refuses or does not answer", () => {
    expect(explainClusterProblem({ kind: "refused", server: "https://127.0.0.1:6443" }, home)).toBe(
      'cannot reach the cluster of context "kind-dev" (kubeconfig /home/me/.kube/config): https://127.0.0.1:6443 refused the connection; is the cluster running? (kubectl --context kind-dev cluster-info)',
    );
    expect(explainClusterProblem({ kind: "timeout" }, { ...home, kubeconfigSource: "flag" })).toBe(
      'cannot reach the cluster of context "kind-dev" (kubeconfig /home/me/.kube/config): https://127.0.0.1:6443 did not answer in time; is the cluster running, and reachable from here (VPN, firewall)? (kubectl --kubeconfig /home/me/.kube/config --context kind-dev cluster-info)',
    );
  });

  it("--server, --cluster or --user named: the check command uses them too, and no kubeconfig is missed", () => {
    const flagged = { ...home, serverFlag: "https://10.0.0.9:6443" };
    expect(explainClusterProblem({ kind: "refused", server: "10.0.0.9:6443" }, flagged)).toBe(
      'cannot reach the cluster of context "kind-dev" (kubeconfig /home/me/.kube/config): https://10.0.0.9:6443 refused the connection; is the cluster running? (kubectl --context kind-dev --server https://10.0.0.9:6443 cluster-info)',
    );
    // A password in it (the CLI refuses one; this is the last guard) is not repeated.
    const withPassword = { ...home, serverFlag: "https://admin:s3cr3t@10.0.0.9:6443" };
    expect(explainClusterProblem({ kind: "refused", server: "10.0.0.9:6443" }, withPassword)).not.toContain(
      "s3cr3t",
    );
    const elsewhere = { ...home, clusterFlag: "other", userFlag: "ops" };
    expect(explainClusterProblem({ kind: "refused", server: "https://127.0.0.1:7443" }, elsewhere)).toMatch(
      /\(kubectl --context kind-dev --cluster other --user ops cluster-info\)$/,
    );
    const none = { ...flagged, kubeconfigExists: false, contexts: [], context: undefined };
    expect(explainClusterProblem({ kind: "refused", server: "10.0.0.9:6443" }, none)).toMatch(
      /^cannot reach the cluster \(kubeconfig \/home\/me\/.kube\/config\): https:\/\/10.0.0.9:6443 refused the connection/,
    );
  });

  it("credentials refused: a token, an expired client certificate, a current one, a credential plugin's", () => {
    const unauthorized = { kind: "unauthorized" } as const;
    expect(explainClusterProblem(unauthorized, { ...home, auth: "token" })).toBe(
      'the cluster of context "kind-dev" (kubeconfig /home/me/.kube/config) rejected the credentials of user "kind-dev" (Unauthorized): its token is invalid or has expired; get a new token or a current kubeconfig from your cluster\'s provider',
    );
    const certificate = { ...home, auth: "client-certificate", now: "2026-11-30T12:00:00.000Z" } as const;
    expect(
      explainClusterProblem(unauthorized, {
        ...certificate,
        certificateNotAfter: "2026-01-02T00:00:00.000Z",
      }),
    ).toContain("its client certificate expired on 2026-01-02 00:00 UTC; renew it");
    expect(
      explainClusterProblem(unauthorized, {
        ...certificate,
        certificateNotAfter: "2027-01-02T00:00:00.000Z",
      }),
    ).toContain("the cluster does not accept its client certificate (signed by another CA?)");
    expect(
      explainClusterProblem(unauthorized, { ...home, auth: "credential-plugin", authCommand: "aws" }),
    ).toContain("the token from aws is invalid or has expired; log in again");
  });

  it("an unknown context names the kubeconfig's contexts", () => {
    expect(
      explainClusterProblem({ kind: "no-such-context", context: "nope" }, { ...home, context: "nope" }),
    ).toBe(
      'context "nope" is not in kubeconfig /home/me/.kube/config, which has kind-dev, prod; see kubectl config get-contexts',
    );
    // kubeadm names its contexts user@cluster, oc login project/host:port/user: named as well. A URL or
    // user:password@host given by mistake is not.
    for (const name of ["kubernetes-admin@kubernetes", "shop/api-crc-testing:6443/jane@example.com"]) {
      expect(explainClusterProblem({ kind: "no-such-context", context: name }, home)).toMatch(
        `context "${name}" is not in kubeconfig`,
      );
    }
    for (const pasted of ["https://hooks.example.test/services/s3cr3t", "admin:s3cr3t@prod.example.com"]) {
      expect(explainClusterProblem({ kind: "no-such-context", context: pasted }, home)).toMatch(
        /^context \(not shown: it may hold credentials\) is not in kubeconfig/,
      );
    }
  });
});

describe("a server URL with a password in it (a kubeconfig written by hand)", () => {
  it("is named without it", () => {
    const facts = { context: "c", kubeconfig: "/k", server: "https://admin:s3cretPw@127.0.0.1:1" };
    const message = explainClusterProblem({ kind: "refused", server: "https://127.0.0.1:1" }, facts);
    expect(message).toContain("https://127.0.0.1:1 refused the connection");
    expect(message).not.toContain("s3cretPw");
  });
});

describe("a user without credentials", () => {
  it("says kubectl asked for a login it cannot be given, and what to do", () => {
    const { problem } = readKubectlStderr(recorded("login-prompt"));
    expect(explainClusterProblem(problem!, { context: "dev", kubeconfig: "/k" })).toBe(
      'cannot log in to the cluster of context "dev" (kubeconfig /k): the kubeconfig gives its context no credentials, so kubectl asked for a username, which the kubectl this tool runs cannot answer; add credentials with kubectl config set-credentials, or use a context that has them',
    );
    expect(explainClusterProblem(problem!, { context: "dev", kubeconfig: "/k", user: "me" })).toContain(
      'gives user "me" no credentials',
    );
  });

  it("with --server and no kubeconfig, names the server and blames no context or file that is not there", () => {
    const { problem } = readKubectlStderr(recorded("login-prompt"));
    const facts = {
      kubeconfig: "/root/.kube/config",
      kubeconfigExists: false,
      serverFlag: "https://10.0.0.1:6443",
    };
    expect(explainClusterProblem(problem!, facts)).toBe(
      "cannot log in to https://10.0.0.1:6443: no kubeconfig user gives it credentials (kubeconfig /root/.kube/config does not exist), so kubectl asked for a username, which the kubectl this tool runs cannot answer; pass --user (or --context) naming a kubeconfig user that has credentials, or --kubeconfig naming a kubeconfig with them",
    );
  });
});

describe("a credential plugin that needs a terminal", () => {
  // kubectl 1.35.4's words when the user's exec plugin has interactiveMode: Always and stdin is a pipe, as
  // it always is for the kubectl this tool runs.
  const stderr =
    "Unable to connect to the server: getting credentials: exec plugin cannot support interactive mode: standard input is not a terminal\n";

  it("is a credential problem with its fix, not the network's", () => {
    const { problem } = readKubectlStderr(stderr);
    expect(problem).toEqual({ kind: "plugin-needs-terminal" });
    expect(
      explainClusterProblem(problem!, { context: "sso", kubeconfig: "/k", authCommand: "kubelogin" }),
    ).toBe(
      "cannot get credentials of context \"sso\" (kubeconfig /k): the kubeconfig's credential plugin kubelogin asks for a terminal (interactiveMode: Always), which the kubectl this tool runs never has; set that user's interactiveMode to IfAvailable in the kubeconfig, or use credentials that need no prompt",
    );
  });
});

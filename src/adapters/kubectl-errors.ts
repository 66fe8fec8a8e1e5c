/**
 * kubectl's failures to reach a cluster, read from its stderr and said in one line that names the kubeconfig
 * and context and what to do. Pure: kubectl 1.35's wording (measured against the test bed: no kubeconfig,
 * no current context, an unknown context, a closed port, a server that never answers, a CA that is not the
 * cluster's, a bad token, an expired client certificate, a missing or failing credential plugin, one whose
 * interactiveMode is Always, a user with no credentials at all) is matched here and nowhere else. Its klog
 * lines ("E1130 … memcache.go:265] "Unhandled Error" …", repeated for each discovery retry) are never shown
 * as the message; --verbose prints them whole.
 */
import { ToolFailedError } from "../errors.js";
import { clipped } from "../util/clipped.js";
import { shellWords } from "../util/shell-words.js";
import { quotedName, shownValue } from "../util/shown-value.js";
import { withoutUrlSecrets } from "../util/url-secrets.js";
import { type ExecResult, howItEnded } from "./exec-result.js";

/** Why kubectl could not talk to the cluster at all. */
export type ClusterProblem =
  /**
   * Nothing listens at the server's address (also kubectl's fallback http://localhost:8080 without
   * a kubeconfig).
   */
  | { kind: "refused"; server: string }
  | { kind: "timeout"; server?: string }
  /** Another network failure: an unknown host name, no route. */
  | { kind: "unreachable"; server?: string; detail: string }
  /** The server's certificate is not trusted (x509). */
  | { kind: "untrusted"; server?: string; detail: string }
  /** 401: the credentials were sent and refused (an invalid or expired token or client certificate). */
  | { kind: "unauthorized" }
  | { kind: "plugin-missing"; command: string }
  | { kind: "plugin-failed"; command: string; detail?: string }
  /** kubectl's credential plugin policy (the kuberc's, kubectl ≥ 1.35) does not let the plugin run. */
  | { kind: "plugin-not-allowed"; detail: string }
  /**
   * Another failure to get the kubeconfig user's credentials (a plugin that is not executable, an exec
   * entry or auth provider this kubectl no longer takes); `fix` where kubectl or this tool knows one.
   */
  | { kind: "no-credentials"; detail: string; fix?: string }
  /** The credential plugin's interactiveMode is Always, and kubectl run by this tool has no terminal. */
  | { kind: "plugin-needs-terminal" }
  /**
   * The user has no credentials for an https server: kubectl asked for a username on a stdin that is empty.
   */
  | { kind: "login-prompt" }
  | { kind: "no-such-context"; context: string }
  /** No --context and no current context (kubectl says so only where it needs one: config view --minify). */
  | { kind: "no-current-context" }
  | { kind: "no-kubeconfig-file"; path: string };

/**
 * A kubectl call that failed while the cluster could be reached (refused by RBAC, not found, a server error):
 * a part of a run can go on without its answer, where a cluster out of reach stops the run.
 */
export function isCallFailure(error: unknown): error is ToolFailedError {
  return error instanceof ToolFailedError && !(error instanceof ClusterAccessError);
}

/** A kubectl call that failed because the cluster could not be reached or refused who we are. */
export class ClusterAccessError extends ToolFailedError {
  constructor(
    message: string,
    readonly problem: ClusterProblem,
    /** kubectl's whole stderr, for --verbose. */
    readonly kubectlOutput: string,
  ) {
    super(message);
  }
}

/** The error for a kubectl call that exited non-zero: `what` is e.g. "kubectl get". */
export function kubectlFailure(result: ExecResult, what: string): ToolFailedError {
  const { problem, line } = readKubectlStderr(result.stderr);
  if (problem) return new ClusterAccessError(explainClusterProblem(problem, {}), problem, result.stderr);
  // Killed by a signal this tool did not send (the OOM killer, kill -9): not its own timeout or stop.
  const stopped = result.interrupted && !result.killedFromOutside;
  const detail = line || (stopped ? "timed out or interrupted" : howItEnded(result));
  return new ToolFailedError(`${what} failed: ${detail}`);
}

/** klog's line header: severity, date, time, thread, file:line]. */
const klogLine = /^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^\]]+\] /;

/** The lines in which kubectl says it could not reach or log in to the server. */
const clusterAccessLine =
  /^(Unable to connect to the server: |The connection to the server |error: You must be logged in to the server)/;

/** The lines in which kubectl says a call failed: its own errors, and a request the server found invalid. */
const errorLine = /^(error|Error|Unable|The connection|The request is invalid|The \S+ "[^"]*" is invalid)/;

/** How much of a webhook's denial is kept: enough to name its policy and why, one line of a report. */
const deniedMax = 600;

/** kubectl's own lines (its klog lines and their indented continuations left out) and what they mean. */
export function readKubectlStderr(stderr: string): { problem?: ClusterProblem; line: string } {
  const all = stderr.split("\n");
  const own: string[] = [];
  let inKlogBlock = false;
  for (const line of all) {
    if (klogLine.test(line)) {
      // A multi-line value (err=<) continues with tab-indented lines up to " >".
      inKlogBlock = line.trimEnd().endsWith("=<");
      continue;
    }
    if (inKlogBlock) {
      if (line.trim() === ">") inKlogBlock = false;
      continue;
    }
    if (line.trim() !== "") own.push(line.trim());
  }
  const server = serverIn(stderr);
  // kubectl's own word on reaching the server first: a failing credential plugin's line comes before it, and
  // often starts with "error" too (kubelogin's `error: get-token: …`, aws's `Error when retrieving token`).
  // A server's warning (`Warning: … hides previous definition`) is never the failure, whatever comes after.
  const first =
    own.find((l) => clusterAccessLine.test(l)) ??
    own.find((l) => errorLine.test(l)) ??
    own.find((l) => !l.startsWith("Warning: ")) ??
    "";
  // RBAC's escalation check names the rules not held on the lines after: they are what to ask for. A header
  // ending in a colon (`Error in configuration:`, an object that is invalid) lists its causes as `* …` lines;
  // an admission webhook's denial (Kyverno's) says its policy and why on plain lines.
  const after = own.slice(own.indexOf(first) + 1).filter((l) => !l.startsWith("Warning: "));
  const notHeld = first.endsWith("not currently held:") ? after.filter((l) => l.startsWith("{")) : [];
  const causes = first.endsWith(":") ? after.filter((l) => l.startsWith("* ")).map((l) => l.slice(2)) : [];
  const said =
    first.endsWith("denied the request:") && causes.length === 0 ? clipped(after.join(" "), deniedMax) : "";
  const line =
    causes.length > 0
      ? `${first} ${causes.join("; ")}`
      : said
        ? `${first} ${said}`
        : [first, ...notHeld].join(" ");
  return { line, ...(classify(line, own, server) ?? {}) };
}

function classify(
  line: string,
  own: readonly string[],
  server: string | undefined,
): { problem: ClusterProblem } | undefined {
  const at = server ? { server } : {};
  const refused = /^The connection to the server (\S+) was refused/.exec(line);
  if (refused) return { problem: { kind: "refused", server: server ?? refused[1] ?? "" } };
  if (/^error: You must be logged in to the server/.test(line)) return { problem: { kind: "unauthorized" } };
  // Each kubectl command words an unknown --context its own way (get, config view --minify, the rest).
  const context =
    // Its other causes, if any, follow after a "; ".
    /^Error in configuration: context was not found for specified context: (.+?)(?:; .*)?$/.exec(line) ??
    /^error: cannot locate context (.+)$/.exec(line) ??
    /^error: context "(.+)" does not exist$/.exec(line);
  if (context) return { problem: { kind: "no-such-context", context: context[1] ?? "" } };
  if (/^error: current-context must exist/.test(line)) return { problem: { kind: "no-current-context" } };
  // Its prompt ("Please enter Username:") went to stdout; the stdin this tool gives kubectl is empty.
  if (line === "error: EOF") return { problem: { kind: "login-prompt" } };
  const file = /^error: stat (.+): no such file or directory$/.exec(line);
  if (file) return { problem: { kind: "no-kubeconfig-file", path: file[1] ?? "" } };
  // The kubeconfig's credentials in a form this kubectl no longer takes (aws-cli v1's EKS entries; gcloud's
  // and az's providers, removed in kubectl 1.26, which says what to use on the next line).
  const oldExec = /^error: exec plugin: (invalid apiVersion .*)$/.exec(line);
  if (oldExec) {
    const fix =
      "regenerate the user's exec entry with client.authentication.k8s.io/v1beta1 or v1 (aws eks update-kubeconfig, with a current aws CLI)";
    return { problem: { kind: "no-credentials", detail: `exec plugin: ${oldExec[1]}`, fix } };
  }
  const removed = /^error: (The (?:gcp|azure) auth plugin has been removed)\.?$/.exec(line);
  if (removed) {
    const fix = own
      .find((l) => /^Please use /.test(l))
      ?.replace(/^Please use/, "use")
      .replace(/\.$/, "");
    return { problem: { kind: "no-credentials", detail: removed[1] ?? "", ...(fix ? { fix } : {}) } };
  }
  // A timeout while a list's body was still coming: the server answered, then stopped in time to.
  if (/^error: .*(Client\.Timeout|context deadline exceeded).*while reading body/.test(line)) {
    return { problem: { kind: "timeout", ...at } };
  }
  const unable = /^Unable to connect to the server: (.*)$/.exec(line);
  if (!unable) return undefined;
  const detail = unable[1] ?? "";
  // By name on PATH, or by a path that is not there (which may hold spaces: /Users/Jane Doe/bin/…).
  const missing =
    /getting credentials: exec: executable (.+?) not found/.exec(detail) ??
    /getting credentials: exec: fork\/exec (.+?): no such file or directory/.exec(detail);
  if (missing) return { problem: { kind: "plugin-missing", command: missing[1] ?? "" } };
  if (/getting credentials: exec plugin cannot support interactive mode/.test(detail)) {
    return { problem: { kind: "plugin-needs-terminal" } };
  }
  const failed = /getting credentials: exec: executable (.+?) failed(?: with\b|$)/.exec(detail);
  if (failed) {
    // What the plugin itself printed passes through kubectl's stderr: the first such line says why.
    const said = own.find((l) => l !== line);
    return {
      problem: { kind: "plugin-failed", command: failed[1] ?? "", ...(said ? { detail: said } : {}) },
    };
  }
  const credentials = /getting credentials: (.*)$/.exec(detail);
  if (credentials) {
    const why = credentials[1] ?? "";
    return {
      problem: /not allowed: policy set to|not permitted by the credential plugin allowlist/.test(why)
        ? { kind: "plugin-not-allowed", detail: why }
        : { kind: "no-credentials", detail: why },
    };
  }
  if (/x509:|tls: failed to verify/.test(detail)) {
    return { problem: { kind: "untrusted", ...at, detail: detail.replace(/^.*x509: /, "") } };
  }
  if (/deadline exceeded|i\/o timeout|Client\.Timeout|handshake timeout/.test(detail)) {
    return { problem: { kind: "timeout", ...at } };
  }
  if (/connection refused/.test(detail)) return { problem: { kind: "refused", server: server ?? "" } };
  return { problem: { kind: "unreachable", ...at, detail: detail.replace(/^.*dial tcp: /, "") } };
}

/** The server kubectl tried, from its discovery errors (`Get "https://127.0.0.1:6443/api?timeout=32s"`). */
function serverIn(stderr: string): string | undefined {
  const m = /Get \\?"(https?:\/\/[^/"\\]+)/.exec(stderr);
  return m?.[1];
}

/** Where kubectl looked: what the one-line message names. Each part is optional: none is known for sure. */
export interface KubeconfigFacts {
  /** The kubeconfig as the user would name it: a path, or $KUBECONFIG's list. */
  kubeconfig?: string;
  /** Where that came from: --kubeconfig, $KUBECONFIG, or the default ~/.kube/config. */
  kubeconfigSource?: "flag" | "env" | "default";
  /** False when no file of it exists. */
  kubeconfigExists?: boolean;
  /** No kubeconfig, in a pod: kubectl used the in-cluster config (the pod's ServiceAccount). */
  inCluster?: boolean;
  /** Every context of the kubeconfig. */
  contexts?: readonly string[];
  /** The context used (--context, or the current context), when there is one. */
  context?: string;
  /** The server of that context's cluster. */
  server?: string;
  /** The cluster that context names, where the kubeconfig has no such cluster (kubectl then tries localhost). */
  missingCluster?: string;
  /** The server --server named, which kubectl used instead of the kubeconfig's. */
  serverFlag?: string;
  /** The kubeconfig cluster and user --cluster and --user named instead of the context's. */
  clusterFlag?: string;
  userFlag?: string;
  /**
   * The other connection flags the call was given (`--as=ops`, `--request-timeout=5s`), as kubectl's words.
   */
  otherFlags?: readonly string[];
  /** The CA file and client certificate named by flags, which kubectl used instead of the kubeconfig's. */
  certificateAuthorityFlag?: string;
  clientCertificateFlag?: string;
  /** The context's user and how it authenticates. */
  user?: string;
  auth?: "token" | "client-certificate" | "credential-plugin" | "auth-provider" | "basic" | "none";
  /** The credential plugin's command, for auth "credential-plugin". */
  authCommand?: string;
  /** The client certificate's end of validity (ISO 8601), when it could be read. */
  certificateNotAfter?: string;
  /** Now, to tell an expired certificate (ISO 8601). */
  now?: string;
}

/** The one line for a problem: what failed, where (context and kubeconfig), and what to do. */
export function explainClusterProblem(problem: ClusterProblem, facts: KubeconfigFacts): string {
  const where = whereText(facts);
  // Without the facts (a kubectl call's own error, before they are read), no command that would repeat the
  // run's connection: one without its flags may check another cluster.
  const check = Object.keys(facts).length === 0 ? "" : ` (${checkCommand(facts)})`;
  const contexts = facts.contexts ?? [];
  // Without a context kubectl falls back to http://localhost:8080: say why there was no context.
  const withoutContext = problem.kind === "refused" || problem.kind === "no-current-context";
  if (
    withoutContext &&
    facts.kubeconfig !== undefined &&
    !facts.context &&
    !facts.serverFlag &&
    !facts.clusterFlag &&
    !facts.inCluster
  ) {
    const noContext = noContextText(facts, contexts);
    if (noContext) return noContext;
  }
  const unreached =
    problem.kind === "refused" || problem.kind === "timeout" || problem.kind === "unreachable";
  if (unreached && facts.missingCluster !== undefined && !facts.serverFlag && !facts.clusterFlag) {
    return `cannot reach the cluster${where}: the context names cluster "${facts.missingCluster}", which the kubeconfig does not have, so kubectl tried ${serverText(problem.server, facts)}; add that cluster to the kubeconfig, or choose another context (kubectl config get-contexts)`;
  }
  switch (problem.kind) {
    case "refused":
      return `cannot reach the cluster${where}: ${serverText(problem.server, facts)} refused the connection; is the cluster running?${check}`;
    case "timeout":
      return `cannot reach the cluster${where}: ${serverText(problem.server, facts)} did not answer in time; is the cluster running, and reachable from here (VPN, firewall)?${check}`;
    case "unreachable":
      return `cannot reach the cluster${where}: ${problem.detail}; check the server address and your network${check}`;
    case "untrusted":
      return `cannot trust the cluster${where}: ${serverText(problem.server, facts)} presented a certificate that ${untrustedText(problem.detail, facts)}`;
    case "unauthorized":
      return unauthorizedText(where, facts);
    case "plugin-missing":
      return `cannot get credentials${where}: the kubeconfig's credential plugin ${problem.command} is not installed (or not on PATH); install it, then try again`;
    case "plugin-failed":
      return `cannot get credentials${where}: the kubeconfig's credential plugin ${problem.command} failed${problem.detail ? `: ${problem.detail}` : ""}; log in again with your cluster provider's tool`;
    case "plugin-not-allowed":
      return `cannot get credentials${where}: kubectl's credential plugin policy does not let the kubeconfig's plugin run (${problem.detail}); allow it in your kuberc (credentialPluginPolicy, credentialPluginAllowlist), whose policy this tool's kubectl follows`;
    case "no-credentials":
      if (problem.fix) return `cannot get credentials${where}: ${problem.detail}; ${problem.fix}`;
      return `cannot get credentials${where}: ${problem.detail}; check the credentials of ${facts.user ? `user "${facts.user}"` : "its user"} in the kubeconfig (is its credential plugin an executable file?)`;
    case "plugin-needs-terminal":
      return `cannot get credentials${where}: the kubeconfig's credential plugin${facts.authCommand ? ` ${facts.authCommand}` : ""} asks for a terminal (interactiveMode: Always), which the kubectl this tool runs never has; set that user's interactiveMode to IfAvailable in the kubeconfig, or use credentials that need no prompt`;
    case "login-prompt":
      // --server with no context to give it a user: no kubeconfig's fault.
      if (facts.serverFlag && (!facts.context || facts.kubeconfigExists === false)) {
        const none =
          facts.kubeconfigExists === false ? ` (kubeconfig ${facts.kubeconfig} does not exist)` : "";
        return `cannot log in to ${serverText(undefined, facts)}: no kubeconfig user gives it credentials${none}, so kubectl asked for a username, which the kubectl this tool runs cannot answer; pass --user (or --context) naming a kubeconfig user that has credentials, or --kubeconfig naming a kubeconfig with them`;
      }
      return `cannot log in to the cluster${where}: the kubeconfig gives ${facts.user ? `user "${facts.user}"` : "its context"} no credentials, so kubectl asked for a username, which the kubectl this tool runs cannot answer; add credentials with kubectl config set-credentials, or use a context that has them`;
    case "no-such-context":
      return `context ${quotedName(problem.context)} is not in kubeconfig ${facts.kubeconfig ? shownValue(facts.kubeconfig) : "(unknown)"}${sourceText(facts)}${contexts.length > 0 ? `, which has ${list(contexts)}` : ""}; see kubectl config get-contexts`;
    case "no-current-context":
      return "no current context: choose one with --context, or set it with kubectl config use-context";
    case "no-kubeconfig-file":
      return `kubeconfig ${shownValue(problem.path)} does not exist; point --kubeconfig at your cluster's kubeconfig`;
  }
}

function noContextText(facts: KubeconfigFacts, contexts: readonly string[]): string | undefined {
  const kubeconfig = `kubeconfig ${facts.kubeconfig}${sourceText(facts)}`;
  if (facts.kubeconfigExists === false) {
    const missing =
      facts.kubeconfigSource === "default"
        ? `${facts.kubeconfig} does not exist and $KUBECONFIG is not set`
        : `${kubeconfig} does not exist`;
    return `no cluster configured: ${missing}; point --kubeconfig or $KUBECONFIG at your cluster's kubeconfig, or create a cluster (e.g. kind create cluster)`;
  }
  if (contexts.length === 0) {
    return `no cluster configured: ${kubeconfig} has no contexts; add one (kubectl config set-context) or point --kubeconfig at another kubeconfig`;
  }
  return `no current context in ${kubeconfig}: choose one of ${list(contexts)} with --context, or set it with kubectl config use-context ${contexts[0]}`;
}

function unauthorizedText(where: string, facts: KubeconfigFacts): string {
  if (facts.inCluster) {
    return `the cluster${where} rejected this pod's ServiceAccount token (Unauthorized): check that its ServiceAccount still exists and its token is mounted (automountServiceAccountToken)`;
  }
  const user = facts.user ? ` of user "${facts.user}"` : "";
  const rejected = `the cluster${where} rejected the credentials${user} (Unauthorized)`;
  switch (facts.auth) {
    case "client-certificate": {
      const flag = facts.clientCertificateFlag;
      const certificate = flag
        ? `the client certificate ${flag} (--client-certificate)`
        : "its client certificate";
      const fix = flag ? "give a current one" : "get a current kubeconfig from your cluster's provider";
      if (facts.certificateNotAfter && facts.now && facts.certificateNotAfter < facts.now) {
        return `${rejected}: ${certificate} expired on ${utcMinute(facts.certificateNotAfter)}; renew it or ${fix}`;
      }
      return `${rejected}: the cluster does not accept ${certificate} (signed by another CA?); ${fix}`;
    }
    case "token":
      return `${rejected}: its token is invalid or has expired; get a new token or a current kubeconfig from your cluster's provider`;
    case "credential-plugin":
    case "auth-provider":
      return `${rejected}: the token from ${facts.authCommand ?? "its credential plugin"} is invalid or has expired; log in again with your cluster provider's tool`;
    case "none":
      return `${rejected}: the kubeconfig gives that user no credentials; get a current kubeconfig from your cluster's provider`;
    default:
      return `${rejected}: they are invalid or have expired; get a current kubeconfig from your cluster's provider`;
  }
}

function untrustedText(detail: string, facts: KubeconfigFacts): string {
  const flag = facts.certificateAuthorityFlag;
  const fix = flag
    ? "check that --certificate-authority names this cluster's CA"
    : facts.inCluster
      ? "a pod started since the cluster's CA changed mounts the new one"
      : "get a current kubeconfig for this cluster (was it recreated?)";
  const ca = flag
    ? `the CA in ${flag} (--certificate-authority)`
    : facts.inCluster
      ? "the CA mounted in this pod (its ServiceAccount's ca.crt)"
      : "the kubeconfig's certificate-authority";
  if (/unknown authority/.test(detail)) return `${ca} did not sign; ${fix}`;
  // The server presents it to every client: a new kubeconfig cannot help.
  const expired = /expired or is not yet valid(?:: (.*))?/.exec(detail);
  if (expired) {
    return `has expired or is not yet valid${expired[1] ? ` (${expired[1]})` : ""}; check this machine's clock, or have the cluster's certificates renewed (kubeadm: kubeadm certs renew)`;
  }
  return `failed verification (${detail}); ${fix}`;
}

/** ` of context "kind-dev" (kubeconfig /home/me/.kube/config)`, with whatever is known. */
function whereText(facts: KubeconfigFacts): string {
  if (facts.inCluster) return " (in-cluster config: this pod's ServiceAccount)";
  const context = facts.context ? ` of context "${facts.context}"` : "";
  const kubeconfig = facts.kubeconfig ? ` (kubeconfig ${facts.kubeconfig}${sourceText(facts)})` : "";
  return `${context}${kubeconfig}`;
}

function sourceText(facts: KubeconfigFacts): string {
  return facts.kubeconfigSource === "env" ? " from $KUBECONFIG" : "";
}

/**
 * The server, the kubeconfig's URL first (kubectl names it without its scheme in some failures, get --raw),
 * a user and password in it left out.
 */
function serverText(server: string | undefined, facts: KubeconfigFacts): string {
  return withoutUrlSecrets(facts.serverFlag || facts.server || server || "the server");
}

/** The kubectl command that shows the same failure, for the user to try after fixing it. */
function checkCommand(facts: KubeconfigFacts): string {
  const words = ["kubectl"];
  if (facts.kubeconfigSource === "flag" && facts.kubeconfig) words.push("--kubeconfig", facts.kubeconfig);
  if (facts.context) words.push("--context", facts.context);
  if (facts.clusterFlag) words.push("--cluster", facts.clusterFlag);
  if (facts.userFlag) words.push("--user", facts.userFlag);
  if (facts.serverFlag) words.push("--server", withoutUrlSecrets(facts.serverFlag));
  return shellWords([...words, ...(facts.otherFlags ?? []), "cluster-info"]);
}

/** "2020-01-02 00:00 UTC" */
function utcMinute(iso: string): string {
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

function list(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(", ");
  return names.length > 5 ? `${shown}, … (${names.length} in all)` : shown;
}

/** What the API server warned of (its Warning headers, which kubectl prints as `Warning: …` lines). */
export function serverWarnings(stderr: string): string[] {
  return stderr.split("\n").flatMap((line) => {
    const text = /^Warning: (.+)$/.exec(line.trimEnd())?.[1];
    return text ? [text] : [];
  });
}

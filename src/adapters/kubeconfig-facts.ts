/**
 * What the kubeconfig says about a connection that failed — which file, context, server and kind of
 * credentials — so the error can name them. Read only on that error path: one `kubectl config view`
 * (secrets redacted by kubectl), plus, after a 401 with a client certificate, that certificate's validity.
 */
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { type ConfigView, parseConfigView } from "./config-view.js";
import { probeInCluster } from "./default-namespace.js";
import type { Kubectl, KubectlConnection } from "./kubectl.js";
import {
  ClusterAccessError,
  type ClusterProblem,
  explainClusterProblem,
  type KubeconfigFacts,
} from "./kubectl-errors.js";

/** The connection flags the facts name by themselves; the check command repeats the rest as given. */
const namedInFacts = /^--(kubeconfig|context|cluster|user|server)=/;

/** `--request-timeout` of zero in any of kubectl's forms ("0", "0s", "0m0s"): no timeout, the default. */
const zeroRequestTimeout = /^--request-timeout=(0+(\.0*)?(ns|us|µs|ms|s|m|h)?)+$/;

interface FactsInput {
  /** kubectl with the same connection flags as the call that failed. */
  kubectl: Kubectl;
  connection: KubectlConnection;
  env: Readonly<Record<string, string | undefined>>;
  home: string;
  now: Date;
}

async function kubeconfigFacts(problem: ClusterProblem, input: FactsInput): Promise<KubeconfigFacts> {
  const { kubectl, connection, env } = input;
  const envPath = env["KUBECONFIG"];
  const [kubeconfig, kubeconfigSource] = connection.kubeconfig
    ? [connection.kubeconfig, "flag" as const]
    : envPath
      ? [envPath, "env" as const]
      : [join(input.home, ".kube", "config"), "default" as const];
  const files = kubeconfigSource === "env" ? kubeconfig.split(delimiter).filter(Boolean) : [kubeconfig];
  const facts: KubeconfigFacts = {
    kubeconfig,
    kubeconfigSource,
    kubeconfigExists: files.some((file) => existsSync(file)),
    now: input.now.toISOString(),
    ...(connection.server ? { serverFlag: connection.server } : {}),
    ...(connection.cluster ? { clusterFlag: connection.cluster } : {}),
    ...(connection.user ? { userFlag: connection.user } : {}),
    otherFlags: kubectl.connectionArgs().filter((arg) => !namedInFacts.test(arg)),
    ...(connection.certificateAuthority ? { certificateAuthorityFlag: connection.certificateAuthority } : {}),
    ...(connection.clientCertificate ? { clientCertificateFlag: connection.clientCertificate } : {}),
  };
  // In a pod (the CronJob's job), kubectl uses the pod's ServiceAccount when what the kubeconfig and the
  // flags make is the default config: no file (files $KUBECONFIG names that do not exist are passed over;
  // only --kubeconfig's must exist), no context, or one naming neither cluster nor user; and no flag that
  // sets a connection setting (--request-timeout, --as… make kubectl keep the default, localhost:8080).
  // A zero --request-timeout is the default's own value, so it sets nothing.
  const settingFlags = facts.otherFlags!.filter(
    (flag) => !flag.startsWith("--cache-dir=") && !zeroRequestTimeout.test(flag),
  );
  const mayBeInCluster =
    settingFlags.length === 0 &&
    !connection.server &&
    !connection.cluster &&
    !connection.user &&
    probeInCluster(env);
  const inCluster = { ...facts, inCluster: true, server: inClusterServer(env) };
  if (mayBeInCluster && kubeconfigSource !== "flag" && !facts.kubeconfigExists) return inCluster;
  const view = await readView(kubectl);
  if (!view) return { ...facts, ...(connection.context ? { context: connection.context } : {}) };

  const contexts = (view.contexts ?? []).map((c) => c.name);
  const context = connection.context || view["current-context"] || undefined;
  const entry = view.contexts?.find((c) => c.name === context)?.context;
  // A context's cluster or user that the kubeconfig does not have counts as none: kubectl takes the defaults.
  const namesNone = (name: string | undefined, have: readonly { name: string }[] | null | undefined) =>
    !name || !have?.some((item) => item.name === name);
  const defaultContext =
    entry && namesNone(entry.cluster, view.clusters) && namesNone(entry.user, view.users);
  if (mayBeInCluster && (!context || defaultContext)) return inCluster;
  const clusterName = connection.cluster || entry?.cluster;
  const missingCluster =
    entry?.cluster && !connection.cluster && namesNone(entry.cluster, view.clusters)
      ? entry.cluster
      : undefined;
  const userName = connection.user || entry?.user;
  const server = view.clusters?.find((c) => c.name === clusterName)?.cluster?.server;
  const user = view.users?.find((u) => u.name === userName)?.user;
  // A client certificate given by flag is the one kubectl sent, read from where the flag says.
  const auth = connection.clientCertificate
    ? { auth: "client-certificate" as const }
    : user
      ? authOf(user)
      : undefined;
  const certificateUser = connection.clientCertificate
    ? { "client-certificate": resolve(connection.clientCertificate) }
    : (user ?? {});
  const notAfter =
    problem.kind === "unauthorized" && auth?.auth === "client-certificate"
      ? await certificateNotAfter(kubectl, userName, certificateUser, files)
      : undefined;
  return {
    ...facts,
    contexts,
    ...(context ? { context } : {}),
    ...(server ? { server } : {}),
    ...(missingCluster ? { missingCluster } : {}),
    ...(userName ? { user: userName } : {}),
    ...(auth ?? {}),
    ...(notAfter ? { certificateNotAfter: notAfter } : {}),
  };
}

/** The API server as client-go's in-cluster config names it. */
function inClusterServer(env: Readonly<Record<string, string | undefined>>): string {
  const host = env["KUBERNETES_SERVICE_HOST"] ?? "";
  return `https://${host.includes(":") ? `[${host}]` : host}:${env["KUBERNETES_SERVICE_PORT"]}`;
}

async function readView(kubectl: Kubectl): Promise<ConfigView | undefined> {
  try {
    const result = await kubectl.runUnchecked(["config", "view", "-o", "json"]);
    return result.exitCode === 0 ? parseConfigView(result.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/** How a kubeconfig user authenticates, from `config view`'s redacted entry. */
function authOf(user: Record<string, unknown>): Pick<KubeconfigFacts, "auth" | "authCommand"> {
  const exec = user["exec"] as { command?: string } | undefined;
  if (exec) return { auth: "credential-plugin", ...(exec.command ? { authCommand: exec.command } : {}) };
  const provider = user["auth-provider"] as { name?: string } | undefined;
  if (provider) return { auth: "auth-provider", ...(provider.name ? { authCommand: provider.name } : {}) };
  if (user["token"] || user["tokenFile"]) return { auth: "token" };
  if (user["client-certificate"] || user["client-certificate-data"]) return { auth: "client-certificate" };
  if (user["username"]) return { auth: "basic" };
  return { auth: "none" };
}

/**
 * The client certificate's notAfter (ISO 8601), read from its file, or from the kubeconfig: the one field
 * of user `userName` asked for by jsonpath, so no key or token is ever read (by name: `--minify` would
 * keep the context's user, not `--user`'s). `config view` prints a file's path as written, and kubectl
 * reads a relative one beside the kubeconfig file naming it: one of `kubeconfigs`.
 */
async function certificateNotAfter(
  kubectl: Kubectl,
  userName: string | undefined,
  user: Record<string, unknown>,
  kubeconfigs: readonly string[],
): Promise<string | undefined> {
  try {
    const file = user["client-certificate"];
    // jsonpath has no escapes: a name it cannot quote is not asked for.
    if (typeof file !== "string" && (!userName || /["\\]/.test(userName))) return undefined;
    const pem =
      typeof file === "string"
        ? readFileSync(await besideKubeconfig(file, userName, kubeconfigs))
        : Buffer.from(
            (
              await kubectl.runUnchecked([
                "config",
                "view",
                "--raw",
                "-o",
                `jsonpath={.users[?(@.name=="${userName}")].user.client-certificate-data}`,
              ])
            ).stdout.trim(),
            "base64",
          );
    return new Date(new X509Certificate(pem).validTo).toISOString();
  } catch {
    return undefined;
  }
}

/**
 * A path of user `userName`'s as kubectl reads it: a relative one beside the kubeconfig file that defines
 * that user (the first of `kubeconfigs` to: merging keeps the first), never in this process's working
 * directory. Each cluster's directory may hold its own `client.crt`: another file's would be the wrong one.
 */
async function besideKubeconfig(
  path: string,
  userName: string | undefined,
  kubeconfigs: readonly string[],
): Promise<string> {
  if (isAbsolute(path)) return path;
  const file = kubeconfigs.length === 1 ? kubeconfigs[0] : await fileDefiningUser(userName, kubeconfigs);
  if (file === undefined) throw new Error(`no kubeconfig file known to define the user of ${path}`);
  return resolve(dirname(file), path);
}

async function fileDefiningUser(
  userName: string | undefined,
  kubeconfigs: readonly string[],
): Promise<string | undefined> {
  if (userName === undefined) return undefined;
  const { parse } = await import("yaml");
  return kubeconfigs.find((file) => {
    try {
      const users = (parse(readFileSync(file, "utf8")) as { users?: unknown } | null)?.users;
      return (
        Array.isArray(users) && users.some((user) => (user as { name?: unknown } | null)?.name === userName)
      );
    } catch {
      return false;
    }
  });
}

/** The same failure, said with the kubeconfig, context and credentials that were used. */
export async function explainClusterAccess(
  error: ClusterAccessError,
  env: Readonly<Record<string, string | undefined>>,
  options: { kubectlPath: string; connection: KubectlConnection },
): Promise<ClusterAccessError> {
  const { createExec } = await import("./exec.js");
  const { Kubectl } = await import("./kubectl.js");
  const facts = await kubeconfigFacts(error.problem, {
    kubectl: new Kubectl(createExec(), options.kubectlPath, options.connection),
    connection: options.connection,
    env,
    home: env["HOME"] || homedir(),
    now: new Date(),
  });
  return new ClusterAccessError(
    explainClusterProblem(error.problem, facts),
    error.problem,
    error.kubectlOutput,
  );
}

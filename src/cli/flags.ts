/**
 * The flags of every verb, declared for commander; defaults come from defaults.ts, parsing from options.ts.
 */
import { type Command, Option } from "commander";
import { colorModes, objectFormats, planFormats, resolverNames, strategyNames } from "./choices.js";
import { defaults } from "./defaults.js";

/** Commander's way to take a repeatable flag. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * A flag taking one of `values`, which help and completion list. Unlike commander's `.choices()` it leaves
 * the check to the option parsers, where every other value is checked, with kubectl's wording.
 */
export function oneOf(option: Option, values: readonly string[]): Option {
  option.argChoices = [...values];
  return option;
}

/** Every verb: kubectl's connection flags (passed through), the kubectl binary, colour, verbosity. */
export function addConnectionFlags(command: Command): Command {
  return (
    command
      .option("--kubeconfig <path>", "kubeconfig file, passed to kubectl")
      .option("--context <name>", "kubeconfig context, passed to kubectl")
      .option("--cluster <name>", "kubeconfig cluster, passed to kubectl")
      .option("--user <name>", "kubeconfig user, passed to kubectl")
      .option("-s, --server <address>", "API server address and port, passed to kubectl")
      .option("--certificate-authority <path>", "CA certificate file, passed to kubectl")
      .option("--client-certificate <path>", "client certificate file, passed to kubectl")
      .option("--client-key <path>", "client key file, passed to kubectl")
      .option("--tls-server-name <name>", "server name to verify the certificate against, passed to kubectl")
      .option(
        "--insecure-skip-tls-verify",
        "do not verify the API server's certificate (insecure), passed to kubectl",
      )
      .option("--request-timeout <duration>", "timeout of each kubectl request, passed to kubectl")
      .option("--as <user>", "user to impersonate, passed to kubectl")
      .option("--as-group <group>", "group to impersonate (repeatable), passed to kubectl", collect)
      .option("--as-uid <uid>", "UID to impersonate, passed to kubectl")
      .option(
        "--as-user-extra <key=value>",
        "user extra to impersonate (repeatable), passed to kubectl",
        collect,
      )
      .option("--cache-dir <path>", "kubectl's discovery and HTTP cache directory, passed to kubectl")
      .option("--disable-compression", "ask the API server for uncompressed answers, passed to kubectl")
      // Refused with what to do instead (options.ts): passed on, it would sit in every kubectl's argv.
      .addOption(new Option("--token <token>").hideHelp())
      .addOption(new Option("--username <name>").hideHelp())
      .addOption(new Option("--password <password>").hideHelp())
      .option(
        "--kuberc <path>",
        "kuberc whose credential plugin policy kubectl follows (default: $KUBERC or ~/.kube/kuberc)",
      )
      .option("--kubectl <path>", "kubectl executable (default: $KUBECTL, $KUBECTL_PATH, or kubectl on PATH)")
      .addOption(oneOf(new Option("--color <when>", "colour output"), colorModes).default(defaults.color))
      .option("-v, --verbose", "log every call on stderr; show stack traces")
  );
}

/** plan and apply: kubectl's selection, output, and how images are resolved. */
export function addPlanningFlags(command: Command): Command {
  command
    .option("-n, --namespace <namespace>", "namespace to check (default: the context's namespace)")
    .option("-A, --all-namespaces", "check pods in every namespace")
    .option("-l, --selector <selector>", "label selector, as kubectl's -l (e.g. app=web,tier!=db)")
    .option("--field-selector <selector>", "field selector, as kubectl's (e.g. spec.nodeName=node-1)")
    .addOption(oneOf(new Option("-o, --output <format>", "output format"), planFormats))
    .option("--no-headers", "print table rows without headers and summary")
    .addOption(
      oneOf(
        new Option(
          "--strategy <name>",
          "how apply restarts a controller's stale pods: auto (rollout where the controller keeps capacity, else evict), rollout, evict, delete",
        ),
        strategyNames,
      ).default(defaults.strategy),
    )
    .addOption(
      oneOf(new Option("--resolver <name>", "how to learn a tag's current digest"), resolverNames).default(
        defaults.resolver,
      ),
    )
    .option("--concurrency <n>", "images resolved, and workloads restarted, at once", defaults.concurrency)
    // The resolvers' own flags have their defaults told, not set: one given with the other resolver is
    // refused (options.ts).
    .option(
      "--pull-timeout <duration>",
      `--resolver docker: give up on one image's pull after this long (default: "${defaults.pullTimeout}")`,
    )
    .option(
      "--insecure-registry <host>",
      "registry reached over plain http (repeatable; loopback always is)",
      collect,
    )
    .option(
      "--no-local-credentials",
      "use only the pods' pull secrets, not your docker config and credential helpers",
    )
    .option(
      "--registry-timeout <duration>",
      `--resolver registry: timeout of each registry request (default: "${defaults.registryTimeout}")`,
    )
    .option(
      "--registry-retries <n>",
      `--resolver registry: retries of 429, 5xx and network errors (default: "${defaults.registryRetries}")`,
    )
    .option(
      "--max-requests <n>",
      "--resolver registry: send at most this many requests to registries (tokens and retries included); images left unasked are unknown",
    )
    .option(
      "--image <ref>",
      "only containers running this image reference (repeatable; nginx means docker.io/library/nginx:latest)",
      collect,
    )
    .option("--min-age <duration>", "act only on new images built at least this long ago (e.g. 10m)")
    .option("--docker <path>", "docker executable (default: $DOCKER or docker on PATH)");
  return addConnectionFlags(command);
}

/** apply only. */
export function addApplyFlags(command: Command): Command {
  return command
    .option("-y, --yes", "restart without asking")
    .option(
      "--dry-run",
      "send every patch, eviction or deletion as a server dry run: checks RBAC, budgets and admission, changes nothing",
    )
    .option(
      "--no-wait",
      "do not wait for replacements to be Ready (nor check them) between a controller's pods or after the last",
    )
    .option("--wait-timeout <duration>", "how long to wait for each replacement", defaults.waitTimeout)
    .option("--summary-json", "end with one JSON line summing up the run (for logs)")
    .option(
      "--webhook-url <url>",
      "after the run, POST its RunReport (JSON, with a Slack-compatible text) here; the URL is a secret " +
        "and argv is visible to other users: prefer $KUBECTL_AUTOUPDATE_WEBHOOK_URL or --webhook-url-file",
    )
    .option("--webhook-url-file <path>", "read the webhook URL from this file (e.g. a mounted Secret)")
    .option(
      "--webhook-timeout <duration>",
      "each webhook attempt's limit (3 attempts)",
      defaults.webhookTimeout,
    );
}

/** The CronJob verbs: which installation (--name, -n), plus the connection flags. */
export function addInstallationFlags(command: Command, namespaceHelp: string): Command {
  command
    .option("-n, --namespace <namespace>", namespaceHelp)
    .option("--name <name>", "name of the CronJob and its objects", defaults.cron.name);
  return command;
}

/** install-cron only. */
export function addInstallCronFlags(command: Command, defaultImageHelp: string): Command {
  return (
    command
      .option("-A, --all-namespaces", "check pods in every namespace (ClusterRole + ClusterRoleBinding)")
      .option("-l, --selector <selector>", "only pods matching this label selector, as kubectl's -l")
      .option("--schedule <cron>", "5-field cron schedule or @hourly, @daily, …", defaults.cron.schedule)
      .option(
        "--time-zone <name>",
        "IANA time zone of the schedule, e.g. Europe/Berlin (default: the cluster's)",
      )
      .option("--suspend", "install it suspended (no scheduled runs; run-now still works)")
      .addOption(
        oneOf(
          new Option("--strategy <name>", "how the job's apply restarts pods; its RBAC follows"),
          strategyNames,
        ).default(defaults.strategy),
      )
      .addOption(
        oneOf(new Option("--resolver <name>", "how the job learns a tag's digest"), resolverNames).default(
          defaults.cron.resolver,
        ),
      )
      .option(
        "--docker-socket",
        "mount the node's /var/run/docker.sock (needed by --resolver docker; see the warning)",
      )
      .option("--image <ref>", defaultImageHelp)
      .option("--min-age <duration>", "the job acts only on new images built at least this long ago")
      .option("--max-requests <n>", "the job sends at most this many requests to registries in a run")
      .option(
        "--webhook-secret <name>",
        "the job posts its RunReport to the URL in this Secret's key `url` (injected as an environment variable)",
      )
      // Refused with advice: a URL given here would end up in the CronJob's spec.
      .addOption(new Option("--webhook-url <url>").hideHelp())
      .option(
        "--proxy <url>",
        "the job's registry requests and webhook go through this http:// proxy (its HTTPS_PROXY and HTTP_PROXY)",
      )
      .option(
        "--proxy-secret <name>",
        "as --proxy, with the proxy's URL (and credentials) in this Secret's key `url`",
      )
      .option(
        "--proxy-bypass <list>",
        "what the job reaches directly (its NO_PROXY): hosts, domains, IPs, CIDR ranges; the API server always",
      )
      .option("--dry-run", "print the objects; apply nothing")
      .addOption(
        oneOf(new Option("-o, --output <format>", "print the objects in this format"), objectFormats),
      )
  );
}

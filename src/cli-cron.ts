/** Commander wiring of the CronJob verbs: install-cron, uninstall-cron, run-now, cron-status. */
import { type Command, Option } from "commander";
import { addConnectionOptions } from "./cli-options.js";
import { createContext, type Io } from "./context.js";
import { defaultImage, type RawInstallFlags } from "./core/cron-install-spec.js";
import { cronDefaults } from "./core/cron-manifests.js";
import { type RawOptions, resolveOptions } from "./options.js";
import { parseDuration } from "./util/duration.js";

function addTargetOptions(command: Command, namespaceHelp: string): Command {
  return command
    .option("-n, --namespace <namespace>", namespaceHelp)
    .option("--name <name>", "name of the CronJob and its objects", cronDefaults.name);
}

type ConnectionRaw = Pick<
  RawOptions,
  | "kubeconfig"
  | "context"
  | "cluster"
  | "user"
  | "requestTimeout"
  | "as"
  | "asGroup"
  | "kubectl"
  | "color"
  | "verbose"
>;

/** The shared Context, built from the connection flags only (these verbs plan nothing). */
function contextFor(io: Io, raw: ConnectionRaw) {
  const { kubeconfig, context, cluster, user, requestTimeout, as, asGroup, kubectl, color, verbose } = raw;
  return createContext(
    io,
    resolveOptions(
      { kubeconfig, context, cluster, user, requestTimeout, as, asGroup, kubectl, color, verbose },
      io.env,
    ),
  );
}

interface TargetRaw extends ConnectionRaw {
  name?: string;
  namespace?: string;
}

/** Registers the four CronJob verbs on the program; each loads its command lazily. */
export function addCronCommands(program: Command, io: Io): void {
  addConnectionOptions(
    addTargetOptions(
      program
        .command("install-cron")
        .summary("install a CronJob that runs `apply --yes` on a schedule, with least-privilege RBAC")
        .description(
          "install a CronJob that runs `apply --yes` on a schedule, with a ServiceAccount and least-privilege RBAC\n" +
            "(server-side apply: running it again changes nothing; other flags update the installation in place)",
        ),
      "namespace to install into, and the pods it checks unless -A (default: the context's)",
    )
      .option("-A, --all-namespaces", "check pods in every namespace (ClusterRole + ClusterRoleBinding)")
      .option("-l, --selector <selector>", "only pods matching this label selector, as kubectl's -l")
      .option("--schedule <cron>", "5-field cron schedule or @hourly, @daily, …", cronDefaults.schedule)
      .option(
        "--time-zone <name>",
        "IANA time zone of the schedule, e.g. Europe/Berlin (default: the cluster's)",
      )
      .option("--suspend", "install it suspended (no scheduled runs; run-now still works)")
      .addOption(
        new Option("--resolver <name>", "how the job learns a tag's digest")
          .choices(["registry", "docker"])
          .default("registry"),
      )
      .option(
        "--docker-socket",
        "mount the node's /var/run/docker.sock (needed by --resolver docker; see the warning)",
      )
      .option(
        "--image <ref>",
        `image the job runs (default: ${defaultImage("registry")}, -docker variant for --resolver docker)`,
      )
      .option("--dry-run", "print the manifests; apply nothing")
      .addOption(
        new Option("-o, --output <format>", "print the manifests in this format").choices(["yaml", "json"]),
      ),
  ).action(async (raw: ConnectionRaw & RawInstallFlags & { dryRun?: boolean }) => {
    const { installCronCommand } = await import("./commands/install-cron.js");
    await installCronCommand(contextFor(io, raw), raw);
  });

  addConnectionOptions(
    addTargetOptions(
      program
        .command("uninstall-cron")
        .description("delete everything install-cron created (found by label)"),
      "namespace it was installed in (default: the context's)",
    ).option("--dry-run", "show what would be deleted (server dry run); delete nothing"),
  ).action(async (raw: TargetRaw & { dryRun?: boolean }) => {
    const { uninstallCronCommand } = await import("./commands/uninstall-cron.js");
    await uninstallCronCommand(contextFor(io, raw), raw);
  });

  addConnectionOptions(
    addTargetOptions(
      program
        .command("run-now")
        .description("start a Job from the CronJob now, as `kubectl create job --from=cronjob/…`"),
      "namespace it was installed in (default: the context's)",
    )
      .option("--wait", "follow the Job to the end, print its log and exit with its outcome")
      .option("--timeout <duration>", "with --wait, give up waiting after this long", "40m")
      .addOption(
        new Option("--poll-interval <duration>", "with --wait, how often to look").default("2s").hideHelp(),
      ),
  ).action(async (raw: TargetRaw & { wait?: boolean; timeout: string; pollInterval: string }) => {
    const { runNowCommand } = await import("./commands/run-now.js");
    await runNowCommand(contextFor(io, raw), {
      name: raw.name,
      namespace: raw.namespace,
      wait: raw.wait === true,
      timeoutMs: parseDuration(raw.timeout, "--timeout"),
      pollMs: parseDuration(raw.pollInterval, "--poll-interval"),
    });
  });

  addConnectionOptions(
    addTargetOptions(
      program
        .command("cron-status")
        .description("schedule, time zone, suspension, last runs and the recent Jobs of the CronJob"),
      "namespace it was installed in (default: the context's)",
    )
      .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json", "yaml"]))
      .option("--no-headers", "print the jobs table without headers"),
  ).action(async (raw: TargetRaw & { output?: string; headers?: boolean }) => {
    const { cronStatusCommand } = await import("./commands/cron-status.js");
    await cronStatusCommand(contextFor(io, raw), {
      name: raw.name,
      namespace: raw.namespace,
      output: raw.output,
      noHeaders: raw.headers === false,
      now: () => new Date(),
    });
  });
}

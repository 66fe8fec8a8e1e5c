/**
 * The CronJob verbs, declared for commander: install the job in the cluster, run it, look at it, remove it.
 */
import { type Command, Option } from "commander";
import type { ConnectionOptions } from "../connection.js";
import { defaultImage } from "../cron/core/image.js";
import type { CronDeps } from "../cron/deps.js";
import type { Io } from "../io.js";
import { cronStatusFormats } from "./choices.js";
import type {
  RawCronStatusFlags,
  RawInstallCronFlags,
  RawRunNowFlags,
  RawUninstallCronFlags,
} from "./cron-options.js";
import { defaults } from "./defaults.js";
import { addConnectionFlags, addInstallationFlags, addInstallCronFlags, oneOf } from "./flags.js";
import { type DeclareVerb, examples, verbAction } from "./verb.js";

const installedNamespaceHelp = "namespace it was installed in (default: the context's)";

export function declareCronVerbs(program: Command, io: Io, verb: DeclareVerb): void {
  verb(
    program
      .command("install-cron")
      .summary("install a CronJob that runs `apply --yes` on a schedule, with least-privilege RBAC")
      .description(
        "install a CronJob that runs `apply --yes` on a schedule, with a ServiceAccount and least-privilege RBAC\n" +
          "(server-side apply: running it again changes nothing; other flags update the installation in place)",
      )
      .addHelpText(
        "after",
        examples(
          [
            "Every 10 minutes, the pods of namespace web labelled tier=frontend",
            "install-cron -n web -l tier=frontend",
          ],
          [
            "Nightly at 03:00 Berlin time, every namespace, installed in ops",
            'install-cron -n ops -A --schedule "0 3 * * *" --time-zone Europe/Berlin',
          ],
          ["What would be applied, as YAML; nothing is", "install-cron -n web --dry-run"],
        ),
      ),
    (command) =>
      addConnectionFlags(
        addInstallCronFlags(
          addInstallationFlags(
            command,
            "namespace to install into, and the pods it checks unless -A (default: the context's)",
          ),
          `image the job runs (default: ${defaultImage("registry")}, -docker variant for --resolver docker)`,
        ),
      ),
  ).action(
    cronAction(
      io,
      async (raw: RawInstallCronFlags) =>
        (await import("./cron-options.js")).parseInstallCronOptions(raw, io.env),
      async (deps, options) =>
        (await import("../cron/commands/install-cron.js")).installCronCommand(deps, options),
    ),
  );

  verb(
    program
      .command("uninstall-cron")
      .description("delete everything install-cron created (found by label)")
      .addHelpText(
        "after",
        examples(
          ["What would be deleted (a server dry run); nothing is", "uninstall-cron -n web --dry-run"],
          ["Delete the installation in namespace web", "uninstall-cron -n web"],
        ),
      ),
    (command) =>
      addConnectionFlags(
        addInstallationFlags(command, installedNamespaceHelp).option(
          "--dry-run",
          "show what would be deleted (server dry run); delete nothing",
        ),
      ),
  ).action(
    cronAction(
      io,
      async (raw: RawUninstallCronFlags) =>
        (await import("./cron-options.js")).parseUninstallCronOptions(raw, io.env),
      async (deps, options) =>
        (await import("../cron/commands/uninstall-cron.js")).uninstallCronCommand(deps, options),
    ),
  );

  verb(
    program
      .command("run-now")
      .description("start a Job from the CronJob now, as `kubectl create job --from=cronjob/…`")
      .addHelpText(
        "after",
        examples([
          "Start a run now, follow it, print its log and exit with its outcome",
          "run-now -n web --wait",
        ]),
      ),
    (command) =>
      addConnectionFlags(
        addInstallationFlags(command, installedNamespaceHelp)
          .option("--wait", "follow the Job to the end, print its log and exit with its outcome")
          // Their defaults are the parser's: commander's would hide whether they were given without --wait.
          .option(
            "--timeout <duration>",
            `with --wait, give up waiting after this long (default: "${defaults.cron.runTimeout}")`,
          )
          .addOption(
            new Option(
              "--poll-interval <duration>",
              `with --wait, how often to look (default: "${defaults.cron.pollInterval}")`,
            ).hideHelp(),
          ),
      ),
  ).action(
    cronAction(
      io,
      async (raw: RawRunNowFlags) => (await import("./cron-options.js")).parseRunNowOptions(raw, io.env),
      async (deps, options) => (await import("../cron/commands/run-now.js")).runNowCommand(deps, options),
    ),
  );

  verb(
    program
      .command("cron-status")
      .description("schedule, time zone, suspension, last runs and the recent Jobs of the CronJob")
      .addHelpText(
        "after",
        examples(
          ["The schedule, the recent runs, what each did and what they hold back", "cron-status -n web"],
          ["The same as a document, for machines", "cron-status -n web -o json"],
        ),
      ),
    (command) =>
      addConnectionFlags(
        addInstallationFlags(command, installedNamespaceHelp)
          .addOption(oneOf(new Option("-o, --output <format>", "output format"), cronStatusFormats))
          .option("--no-headers", "print the jobs table without headers"),
      ),
  ).action(
    cronAction(
      io,
      async (raw: RawCronStatusFlags) =>
        (await import("./cron-options.js")).parseCronStatusOptions(raw, io.env),
      async (deps, options) =>
        (await import("../cron/commands/cron-status.js")).cronStatusCommand(deps, options),
    ),
  );
}

/** A CronJob verb's action: its command runs with the CronJob verbs' adapters, loaded with it. */
function cronAction<Raw, Options extends ConnectionOptions>(
  io: Io,
  parse: (raw: Raw) => Promise<Options>,
  run: (deps: CronDeps, options: Options) => Promise<void>,
): (raw: Raw) => Promise<void> {
  return verbAction(io, parse, async (options) => {
    const { createCronDeps } = await import("../cron/deps.js");
    await run(createCronDeps(io, options), options);
  });
}

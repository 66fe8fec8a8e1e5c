/**
 * The command-line edge: commander wiring of every verb. Each action parses its flags into typed options
 * (options.ts, cron-options.ts), then loads its command and the adapters it runs with only when it runs:
 * `--version`, `--help` and a refused flag load neither execa, chalk, ora, yaml nor the registry client.
 */
import { Command, Option } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { defaultImage } from "../cron/core/image.js";
import type { Io } from "../io.js";
import {
  parseCronStatusOptions,
  parseInstallCronOptions,
  parseRunNowOptions,
  parseUninstallCronOptions,
  type RawCronStatusFlags,
  type RawInstallCronFlags,
  type RawRunNowFlags,
  type RawUninstallCronFlags,
} from "./cron-options.js";
import { defaults } from "./defaults.js";
import {
  addApplyFlags,
  addConnectionFlags,
  addInstallationFlags,
  addInstallCronFlags,
  addPlanningFlags,
} from "./flags.js";
import { parseApplyOptions, parsePlanOptions, type RawApplyFlags, type RawPlanFlags } from "./options.js";

const programName = "kubectl autoupdate";

const installedNamespaceHelp = "namespace it was installed in (default: the context's)";

/** Builds the program; `io` is the process, or a test's streams. */
export function createProgram(io: Io): Command {
  const program = new Command()
    .name(programName)
    .description(
      "Find pods that run an old digest of a mutable tag (:latest, :main, :1.2) and restart them.\n" +
        "Only pods proven stale and owned by a controller that recreates them are ever deleted.",
    )
    .version(packageJson.version, "--version", "print the plugin's version")
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();

  addPlanningFlags(
    program
      .command("plan")
      .description("list pods whose image tag has moved (read-only)")
      .option("--exit-code", "exit 2 when any pod is stale (for CI gates)"),
  ).action(async (raw: RawPlanFlags) => {
    const options = parsePlanOptions(raw, io.env);
    const [{ planCommand }, { createContext }] = await Promise.all([
      import("../commands/plan.js"),
      import("../commands/context.js"),
    ]);
    await planCommand(createContext(io, options));
  });

  addPlanningFlags(
    addApplyFlags(
      program
        .command("apply")
        .description("delete the stale pods the plan shows, so their controllers recreate them"),
    ),
  ).action(async (raw: RawApplyFlags) => {
    const options = parseApplyOptions(raw, io.env);
    const [{ applyCommand }, { createContext }] = await Promise.all([
      import("../commands/apply.js"),
      import("../commands/context.js"),
    ]);
    await applyCommand(createContext(io, options));
  });

  addConnectionFlags(
    addInstallCronFlags(
      addInstallationFlags(
        program
          .command("install-cron")
          .summary("install a CronJob that runs `apply --yes` on a schedule, with least-privilege RBAC")
          .description(
            "install a CronJob that runs `apply --yes` on a schedule, with a ServiceAccount and least-privilege RBAC\n" +
              "(server-side apply: running it again changes nothing; other flags update the installation in place)",
          ),
        "namespace to install into, and the pods it checks unless -A (default: the context's)",
      ),
      `image the job runs (default: ${defaultImage("registry")}, -docker variant for --resolver docker)`,
    ),
  ).action(async (raw: RawInstallCronFlags) => {
    const options = parseInstallCronOptions(raw, io.env);
    const [{ installCronCommand }, { createCronDeps }] = await Promise.all([
      import("../cron/commands/install-cron.js"),
      import("../cron/deps.js"),
    ]);
    await installCronCommand(createCronDeps(io, options), options);
  });

  addConnectionFlags(
    addInstallationFlags(
      program
        .command("uninstall-cron")
        .description("delete everything install-cron created (found by label)"),
      installedNamespaceHelp,
    ).option("--dry-run", "show what would be deleted (server dry run); delete nothing"),
  ).action(async (raw: RawUninstallCronFlags) => {
    const options = parseUninstallCronOptions(raw, io.env);
    const [{ uninstallCronCommand }, { createCronDeps }] = await Promise.all([
      import("../cron/commands/uninstall-cron.js"),
      import("../cron/deps.js"),
    ]);
    await uninstallCronCommand(createCronDeps(io, options), options);
  });

  addConnectionFlags(
    addInstallationFlags(
      program
        .command("run-now")
        .description("start a Job from the CronJob now, as `kubectl create job --from=cronjob/…`"),
      installedNamespaceHelp,
    )
      .option("--wait", "follow the Job to the end, print its log and exit with its outcome")
      .option(
        "--timeout <duration>",
        "with --wait, give up waiting after this long",
        defaults.cron.runTimeout,
      )
      .addOption(
        new Option("--poll-interval <duration>", "with --wait, how often to look")
          .default(defaults.cron.pollInterval)
          .hideHelp(),
      ),
  ).action(async (raw: RawRunNowFlags) => {
    const options = parseRunNowOptions(raw, io.env);
    const [{ runNowCommand }, { createCronDeps }] = await Promise.all([
      import("../cron/commands/run-now.js"),
      import("../cron/deps.js"),
    ]);
    await runNowCommand(createCronDeps(io, options), options);
  });

  addConnectionFlags(
    addInstallationFlags(
      program
        .command("cron-status")
        .description("schedule, time zone, suspension, last runs and the recent Jobs of the CronJob"),
      installedNamespaceHelp,
    )
      .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json", "yaml"]))
      .option("--no-headers", "print the jobs table without headers"),
  ).action(async (raw: RawCronStatusFlags) => {
    const options = parseCronStatusOptions(raw, io.env);
    const [{ cronStatusCommand }, { createCronDeps }] = await Promise.all([
      import("../cron/commands/cron-status.js"),
      import("../cron/deps.js"),
    ]);
    await cronStatusCommand(createCronDeps(io, options), options);
  });

  for (const command of program.commands) {
    command.configureOutput(program.configureOutput()).exitOverride();
  }
  return program;
}

/**
 * The command-line edge: commander wiring of every verb. Each action parses its flags into typed options
 * (options.ts, cron-options.ts), then loads its command and adapters only when it runs: building the
 * program stays cheap, which shell completion (one process per TAB) relies on. Given the run's words, only
 * the verbs they name get their flags declared: `--version` and `--help` need none of them.
 */
import { Command, Help, Option } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import type { ConnectionOptions } from "../connection.js";
import { defaultImage } from "../cron/core/image.js";
import type { Io } from "../io.js";
import { cronStatusFormats } from "./choices.js";
import type {
  RawCronStatusFlags,
  RawInstallCronFlags,
  RawRunNowFlags,
  RawUninstallCronFlags,
} from "./cron-options.js";
import { defaults } from "./defaults.js";
import {
  addApplyFlags,
  addConnectionFlags,
  addInstallationFlags,
  addInstallCronFlags,
  addPlanningFlags,
  oneOf,
} from "./flags.js";
import type { RawApplyFlags, RawPlanFlags } from "./options.js";

const programName = "kubectl autoupdate";

const installedNamespaceHelp = "namespace it was installed in (default: the context's)";

/**
 * Builds the program; `io` is the process, or a test's streams. With `argv`, the words of the run, only
 * the verbs named there get their flags (every verb for completion); without, every verb.
 */
export function createProgram(io: Io, argv?: readonly string[]): Command {
  /** Each verb, and what declares its flags. */
  const verbs = new Map<Command, (command: Command) => unknown>();
  const verb = (command: Command, addFlags: (command: Command) => unknown) => {
    verbs.set(command, addFlags);
    return command;
  };
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
      outputError: (text, write) => write(withoutUnknownFlagValue(text)),
    })
    .exitOverride()
    // Program flags (--version) only before the verb, so __complete receives every word as typed.
    .enablePositionalOptions()
    .configureHelp({
      // Every verb has flags, declared or not yet: the list of commands says so either way.
      subcommandTerm: (command) =>
        verbs.has(command) ? `${command.name()} [options]` : new Help().subcommandTerm(command),
    });

  verb(program.command("plan").description("list pods whose image tag has moved (read-only)"), (command) =>
    addPlanningFlags(command.option("--exit-code", "exit 2 when any pod is stale (for CI gates)")),
  ).action(async (raw: RawPlanFlags) => {
    const options = (await import("./options.js")).parsePlanOptions(raw, io.env);
    await explained(io, options, async () => {
      const [{ planCommand }, { createContext }] = await Promise.all([
        import("../commands/plan.js"),
        import("../commands/context.js"),
      ]);
      await planCommand(createContext(io, options));
    });
  });

  verb(
    program
      .command("apply")
      .description(
        "restart the stale pods the plan shows, as --strategy says (a rollout, or evictions or deletions one at a time)",
      ),
    (command) => addPlanningFlags(addApplyFlags(command)),
  ).action(async (raw: RawApplyFlags) => {
    const options = (await import("./options.js")).parseApplyOptions(raw, io.env);
    await explained(io, options, async () => {
      const [{ applyCommand }, { createContext }] = await Promise.all([
        import("../commands/apply.js"),
        import("../commands/context.js"),
      ]);
      await applyCommand(createContext(io, options));
    });
  });

  verb(
    program
      .command("install-cron")
      .summary("install a CronJob that runs `apply --yes` on a schedule, with least-privilege RBAC")
      .description(
        "install a CronJob that runs `apply --yes` on a schedule, with a ServiceAccount and least-privilege RBAC\n" +
          "(server-side apply: running it again changes nothing; other flags update the installation in place)",
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
  ).action(async (raw: RawInstallCronFlags) => {
    const options = (await import("./cron-options.js")).parseInstallCronOptions(raw, io.env);
    await explained(io, options, async () => {
      const { installCronCommand } = await import("../cron/commands/install-cron.js");
      await installCronCommand(await cronDeps(io, options), options);
    });
  });

  verb(
    program.command("uninstall-cron").description("delete everything install-cron created (found by label)"),
    (command) =>
      addConnectionFlags(
        addInstallationFlags(command, installedNamespaceHelp).option(
          "--dry-run",
          "show what would be deleted (server dry run); delete nothing",
        ),
      ),
  ).action(async (raw: RawUninstallCronFlags) => {
    const options = (await import("./cron-options.js")).parseUninstallCronOptions(raw, io.env);
    await explained(io, options, async () => {
      const { uninstallCronCommand } = await import("../cron/commands/uninstall-cron.js");
      await uninstallCronCommand(await cronDeps(io, options), options);
    });
  });

  verb(
    program
      .command("run-now")
      .description("start a Job from the CronJob now, as `kubectl create job --from=cronjob/…`"),
    (command) =>
      addConnectionFlags(
        addInstallationFlags(command, installedNamespaceHelp)
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
      ),
  ).action(async (raw: RawRunNowFlags) => {
    const options = (await import("./cron-options.js")).parseRunNowOptions(raw, io.env);
    await explained(io, options, async () => {
      const { runNowCommand } = await import("../cron/commands/run-now.js");
      await runNowCommand(await cronDeps(io, options), options);
    });
  });

  verb(
    program
      .command("cron-status")
      .description("schedule, time zone, suspension, last runs and the recent Jobs of the CronJob"),
    (command) =>
      addConnectionFlags(
        addInstallationFlags(command, installedNamespaceHelp)
          .addOption(oneOf(new Option("-o, --output <format>", "output format"), cronStatusFormats))
          .option("--no-headers", "print the jobs table without headers"),
      ),
  ).action(async (raw: RawCronStatusFlags) => {
    const options = (await import("./cron-options.js")).parseCronStatusOptions(raw, io.env);
    await explained(io, options, async () => {
      const { cronStatusCommand } = await import("../cron/commands/cron-status.js");
      await cronStatusCommand(await cronDeps(io, options), options);
    });
  });

  program
    .command("__complete", { hidden: true })
    .description("shell completion for kubectl_complete-autoupdate: cobra's __complete protocol")
    .helpOption(false)
    .passThroughOptions()
    .allowUnknownOption()
    .allowExcessArguments()
    .argument("[words...]")
    .action(async () => {
      // The words exactly as typed: commander's own operands lose a leading "--" (`kubectl autoupdate --<TAB>`).
      const raw = (program as unknown as { rawArgs: string[] }).rawArgs;
      const { completeCommand } = await import("../completion/complete-command.js");
      await completeCommand(io, program, raw.slice(raw.indexOf("__complete") + 1));
    });

  for (const command of program.commands) {
    command.configureOutput(program.configureOutput()).exitOverride();
  }
  const named = argv === undefined || argv.includes("__complete") ? null : new Set(argv);
  for (const [command, addFlags] of verbs) {
    if (named === null || named.has(command.name())) addFlags(command);
  }
  return program;
}

/**
 * An unknown `--flag=value` named without its value, as kubectl names it: the flag may be another verb's
 * `--webhook-url` or kubectl's `--password`, and the value a secret bound for a CI log.
 */
function withoutUnknownFlagValue(message: string): string {
  return message.replace(/(unknown option '-{1,2}[^=']+)=[^']*'/, "$1'");
}

/**
 * Runs a verb. When kubectl could not reach the cluster, the error is said again naming the kubeconfig,
 * context and credentials used (read only now); --verbose shows kubectl's own output first.
 */
async function explained(io: Io, options: ConnectionOptions, verb: () => Promise<void>): Promise<void> {
  try {
    await verb();
  } catch (error) {
    // Loaded only on failure, which --version and --help never meet.
    const { ClusterAccessError } = await import("../adapters/kubectl-errors.js");
    if (!(error instanceof ClusterAccessError)) throw error;
    if (options.verbose) {
      const { escapeTerminalLines } = await import("../output/terminal-text.js");
      io.stderr.write(`kubectl's output:\n${escapeTerminalLines(error.kubectlOutput)}`);
    }
    const { explainClusterAccess } = await import("../adapters/kubeconfig-facts.js");
    throw await explainClusterAccess(error, io.env, options);
  }
}

/** The CronJob verbs' adapters, loaded with the verb. */
async function cronDeps(io: Io, options: ConnectionOptions) {
  const { createCronDeps } = await import("../cron/deps.js");
  return createCronDeps(io, options);
}

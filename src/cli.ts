/** Commander wiring only: flags → typed options → a command. */
import { Command, Option } from "commander";
import packageJson from "../package.json" with { type: "json" };
import { addCronCommands } from "./cli-cron.js";
import { addConnectionOptions, collect } from "./cli-options.js";
import { applyCommand } from "./commands/apply.js";
import { planCommand } from "./commands/plan.js";
import { createContext, type Io } from "./context.js";
import { type RawOptions, resolveOptions } from "./options.js";
import { parseDuration } from "./util/duration.js";

export const programName = "kubectl autoupdate";

/** Flags every verb that plans takes: kubectl's selection and connection flags, output, resolver. */
function addPlanningOptions(command: Command): Command {
  command
    .option("-n, --namespace <namespace>", "namespace to check (default: the context's namespace)")
    .option("-A, --all-namespaces", "check pods in every namespace")
    .option("-l, --selector <selector>", "label selector, as kubectl's -l (e.g. app=web,tier!=db)")
    .option("--field-selector <selector>", "field selector, as kubectl's (e.g. spec.nodeName=node-1)")
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["table", "wide", "json", "yaml"]),
    )
    .option("--no-headers", "print table rows without headers and summary")
    .addOption(
      new Option("--resolver <name>", "how to learn a tag's current digest")
        .choices(["docker", "registry"])
        .default("docker"),
    )
    .option("--concurrency <n>", "images resolved at once", "4")
    .option("--pull-timeout <duration>", "give up on one image after this long", "5m")
    .option(
      "--insecure-registry <host>",
      "registry reached over plain http (repeatable; loopback always is)",
      collect,
    )
    .option(
      "--no-local-credentials",
      "use only the pods' pull secrets, not your docker config and credential helpers",
    )
    .option("--registry-timeout <duration>", "--resolver registry: timeout of each registry request", "10s")
    .option("--registry-retries <n>", "--resolver registry: retries of 429, 5xx and network errors", "2")
    .option("--docker <path>", "docker executable (default: $DOCKER or docker on PATH)");
  return addConnectionOptions(command);
}

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

  addPlanningOptions(
    program
      .command("plan")
      .description("list pods whose image tag has moved (read-only)")
      .option("--exit-code", "exit 2 when any pod is stale (for CI gates)"),
  ).action(async (raw: RawOptions & { exitCode?: boolean }) => {
    const ctx = createContext(io, resolveOptions(raw, io.env));
    await planCommand(ctx, { exitCode: raw.exitCode === true });
  });

  addPlanningOptions(
    program
      .command("apply")
      .description("delete the stale pods the plan shows, so their controllers recreate them")
      .option("-y, --yes", "delete without asking")
      .option(
        "--dry-run",
        "send the deletions with --dry-run=server: checks RBAC and admission, changes nothing",
      )
      .option(
        "--no-wait",
        "do not wait for replacements to be Ready (nor check them) between a controller's pods or after the last",
      )
      .option("--wait-timeout <duration>", "how long to wait for each replacement", "5m")
      .option("--summary-json", "end with one JSON line summing up the run (for logs)"),
  ).action(
    async (
      raw: RawOptions & {
        yes?: boolean;
        dryRun?: boolean;
        wait?: boolean;
        waitTimeout?: string;
        summaryJson?: boolean;
      },
    ) => {
      const ctx = createContext(io, resolveOptions(raw, io.env));
      await applyCommand(ctx, {
        yes: raw.yes === true,
        dryRun: raw.dryRun === true,
        wait: raw.wait !== false,
        waitTimeoutMs: parseDuration(raw.waitTimeout ?? "5m", "--wait-timeout"),
        summaryJson: raw.summaryJson === true,
      });
    },
  );

  addCronCommands(program, io);

  for (const command of program.commands) {
    command.configureOutput(program.configureOutput()).exitOverride();
  }
  return program;
}

/** The plan and apply verbs, declared for commander: the plugin's job run from the user's shell. */
import type { Command } from "commander";
import type { Context, PlanningOptions } from "../commands/context.js";
import type { Io } from "../io.js";
import { addApplyFlags, addPlanningFlags } from "./flags.js";
import type { RawApplyFlags, RawPlanFlags } from "./options.js";
import { type DeclareVerb, examples, verbAction } from "./verb.js";

export function declarePlanVerbs(program: Command, io: Io, verb: DeclareVerb): void {
  verb(
    program
      .command("plan")
      .description("list pods whose image tag has moved (read-only)")
      .addHelpText(
        "after",
        examples(
          ["The stale pods of the context's namespace", "plan"],
          ["Every pod and container in the cluster, with its status and reason", "plan -A -o wide"],
          ["The Plan document of the pods labelled app=web, for machines", "plan -l app=web -o json"],
          [
            "Ask the registry (one HEAD per tag) instead of docker pull; exit 2 when a pod is stale",
            "plan --resolver registry --exit-code",
          ],
        ),
      ),
    (command) =>
      addPlanningFlags(
        command.option("--exit-code", "exit 2 when any pod is stale, finished ones aside (for CI gates)"),
      ),
  ).action(
    planningAction(
      io,
      async (raw: RawPlanFlags) => (await import("./options.js")).parsePlanOptions(raw, io.env),
      async () => (await import("../commands/plan.js")).planCommand,
    ),
  );

  verb(
    program
      .command("apply")
      .description(
        "restart the stale pods the plan shows, as --strategy says (a rollout, or evictions or deletions one at a time)",
      )
      .addHelpText(
        "after",
        examples(
          ["Show the plan, then ask before restarting", "apply"],
          ["Restart without asking (CronJobs, scripts)", "apply --yes"],
          [
            "Send every patch, eviction or deletion to the server as a dry run: nothing changes",
            "apply --dry-run",
          ],
          [
            "Evict the stale pods one at a time rather than roll their workloads",
            "apply --yes --strategy evict",
          ],
          [
            "Only containers running this image, leaving new images built in the last 10 minutes for later",
            "apply --yes --image registry.example.com/shop/web:main --min-age 10m",
          ],
        ),
      ),
    (command) => addPlanningFlags(addApplyFlags(command)),
  ).action(
    planningAction(
      io,
      async (raw: RawApplyFlags) => {
        const { parseApplyOptions, reportingDespite } = await import("./options.js");
        try {
          return parseApplyOptions(raw, io.env);
        } catch (error) {
          // A run the CronJob runs reports its failure, even one on its own flags.
          const reporting = reportingDespite(raw, io.env);
          if (reporting)
            await (await import("../commands/apply.js")).reportRunNotStarted(io, reporting, error);
          throw error;
        }
      },
      async () => (await import("../commands/apply.js")).applyCommand,
    ),
  );
}

/** plan's or apply's action: the command, loaded with the verb, runs in the context its options make. */
function planningAction<Raw, Options extends PlanningOptions>(
  io: Io,
  parse: (raw: Raw) => Promise<Options>,
  loadCommand: () => Promise<(ctx: Context<Options>) => Promise<void>>,
): (raw: Raw) => Promise<void> {
  return verbAction(io, parse, async (options) => {
    const [command, { createContext }] = await Promise.all([loadCommand(), import("../commands/context.js")]);
    await command(createContext(io, options));
  });
}

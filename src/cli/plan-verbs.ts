/** The plan and apply verbs, declared for commander: the plugin's job run from the user's shell. */
import type { Command } from "commander";
import type { Context, PlanningOptions } from "../commands/context.js";
import type { Io } from "../io.js";
import { addApplyFlags, addPlanningFlags } from "./flags.js";
import type { RawApplyFlags, RawPlanFlags } from "./options.js";
import { type DeclareVerb, verbAction } from "./verb.js";

export function declarePlanVerbs(program: Command, io: Io, verb: DeclareVerb): void {
  verb(program.command("plan").description("list pods whose image tag has moved (read-only)"), (command) =>
    addPlanningFlags(command.option("--exit-code", "exit 2 when any pod is stale (for CI gates)")),
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
      ),
    (command) => addPlanningFlags(addApplyFlags(command)),
  ).action(
    planningAction(
      io,
      async (raw: RawApplyFlags) => (await import("./options.js")).parseApplyOptions(raw, io.env),
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

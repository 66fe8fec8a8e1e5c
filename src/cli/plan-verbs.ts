/** The plan and apply verbs, declared for commander: the plugin's job run from the user's shell. */
import type { Command } from "commander";
import type { Io } from "../io.js";
import { addApplyFlags, addPlanningFlags } from "./flags.js";
import type { RawApplyFlags, RawPlanFlags } from "./options.js";
import { type DeclareVerb, verbAction } from "./verb.js";

export function declarePlanVerbs(program: Command, io: Io, verb: DeclareVerb): void {
  verb(program.command("plan").description("list pods whose image tag has moved (read-only)"), (command) =>
    addPlanningFlags(command.option("--exit-code", "exit 2 when any pod is stale (for CI gates)")),
  ).action(
    verbAction(
      io,
      async (raw: RawPlanFlags) => (await import("./options.js")).parsePlanOptions(raw, io.env),
      async (options) => {
        const [{ planCommand }, { createContext }] = await Promise.all([
          import("../commands/plan.js"),
          import("../commands/context.js"),
        ]);
        await planCommand(createContext(io, options));
      },
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
    verbAction(
      io,
      async (raw: RawApplyFlags) => (await import("./options.js")).parseApplyOptions(raw, io.env),
      async (options) => {
        const [{ applyCommand }, { createContext }] = await Promise.all([
          import("../commands/apply.js"),
          import("../commands/context.js"),
        ]);
        await applyCommand(createContext(io, options));
      },
    ),
  );
}

/**
 * The values each enumerated flag takes, written once: help and completion list them (flags.ts), and the
 * option parsers check a value against them (options.ts), so a refusal reads the same for every verb.
 */
import type { ResolverName } from "../core/plan.js";
import type { ColorMode } from "../output/color.js";
import type { PlanFormat } from "../output/plan-format.js";

export { strategyNames } from "../core/plan.js";

export const colorModes = ["auto", "always", "never"] as const satisfies readonly ColorMode[];
export const resolverNames = ["docker", "registry"] as const satisfies readonly ResolverName[];
export const planFormats = ["table", "wide", "json", "yaml", "name"] as const satisfies readonly PlanFormat[];
/** install-cron's objects. */
export const objectFormats = ["yaml", "json"] as const;
export const cronStatusFormats = ["table", "json", "yaml"] as const;

/**
 * --strategy on plan, apply and install-cron: the default, each value, a bad value refused naming the flag.
 */
import { describe, expect, it } from "vitest";
import { parseInstallCronOptions } from "../../../src/cli/cron-options.js";
import { parseApplyOptions, parsePlanOptions } from "../../../src/cli/options.js";
import { UsageError } from "../../../src/errors.js";

const parsers = {
  plan: (strategy?: string) => parsePlanOptions({ strategy }, {}).strategy,
  apply: (strategy?: string) => parseApplyOptions({ strategy }, {}).strategy,
  "install-cron": (strategy?: string) => parseInstallCronOptions({ strategy }, {}).spec.strategy,
};

describe.each(Object.entries(parsers))("%s --strategy", (_, parse) => {
  it("defaults to auto", () => {
    expect(parse()).toBe("auto");
  });

  it.each(["auto", "rollout", "evict", "delete"])("takes %s", (value) => {
    expect(parse(value)).toBe(value);
  });

  it("refuses anything else, naming the flag and the choices", () => {
    expect(() => parse("recreate")).toThrow(UsageError);
    expect(() => parse("recreate")).toThrow(
      'invalid value "recreate" for --strategy; allowed: auto, rollout, evict, delete',
    );
  });
});

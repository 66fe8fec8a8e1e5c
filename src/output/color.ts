/** One chalk instance per run, coloured only when it should be (chalk alone ignores NO_COLOR). */
import { Chalk, type ChalkInstance } from "chalk";

export type ColorMode = "auto" | "always" | "never";

/**
 * Whether to colour: an explicit --color wins; auto means a terminal, no NO_COLOR, and not TERM=dumb, unless
 * FORCE_COLOR says otherwise (`0` or `false`: never; another value: even in a CI log), as for Node.js and
 * chalk; but an empty one is unset, as an empty NO_COLOR is, as force-color.org reads it (Node.js takes it
 * as on).
 */
export function shouldColor(
  mode: ColorMode,
  isTTY: boolean,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (mode !== "auto") return mode === "always";
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  if (env["TERM"] === "dumb") return false;
  return isTTY;
}

export function makeChalk(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

/** Colours for each stream, decided by its own terminal: `plan | less` still gets coloured warnings. */
export interface StreamColors {
  stdout: ChalkInstance;
  stderr: ChalkInstance;
}

export function streamColors(
  mode: ColorMode,
  io: {
    stdout: { isTTY?: boolean };
    stderr: { isTTY?: boolean };
    env: Readonly<Record<string, string | undefined>>;
  },
): StreamColors {
  return {
    stdout: makeChalk(shouldColor(mode, io.stdout.isTTY === true, io.env)),
    stderr: makeChalk(shouldColor(mode, io.stderr.isTTY === true, io.env)),
  };
}

/**
 * The hidden `__complete` verb that `kubectl_complete-autoupdate` calls: prints cobra's answer on stdout and
 * nothing else, and always exits 0 (kubectl ignores the answer of a completion that failed). Loads no
 * resolver and no YAML; kubectl's adapter only when a value must be looked up.
 */
import type { Command } from "commander";
import type { Io } from "../io.js";
import { complete, Directive } from "./complete.js";
import { formatAnswer } from "./protocol.js";
import { describeProgram } from "./spec.js";

export async function completeCommand(io: Io, program: Command, words: readonly string[]): Promise<void> {
  io.stdout.write(await answer(io, program, words.length > 0 ? words : [""]));
}

async function answer(io: Io, program: Command, words: readonly string[]): Promise<string> {
  try {
    const result = complete(describeProgram(program), words);
    if (result.kind === "candidates") return formatAnswer(result.candidates, result.directive);
    const { lookUp } = await import("./lookups.js");
    // As kubectl's own completion of -n: nothing (and no file names) when the cluster can't be asked, nor
    // the lookup made (a flag's value refused, no kubectl): cobra's scripts answer an error with file names.
    const names = await lookUp(result.lookup, result.flags, io).catch(() => null);
    const candidates = (names ?? []).filter((n) => n.startsWith(result.prefix)).map((value) => ({ value }));
    return formatAnswer(candidates, Directive.noFileComp);
  } catch {
    return formatAnswer([], Directive.error);
  }
}

/** The run's one-line result, written where its scheduler keeps it ($KUBECTL_AUTOUPDATE_RESULT_FILE). */
import { writeFile } from "node:fs/promises";
import { failureMessage } from "../errors.js";

/** Replaces the file's content with the line; a failure is returned (a result not kept fails no run). */
export async function writeResultFile(path: string, line: string): Promise<string | undefined> {
  try {
    await writeFile(path, `${line}\n`);
    return undefined;
  } catch (error) {
    return failureMessage(error, false);
  }
}

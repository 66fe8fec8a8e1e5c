/** Reading the file --webhook-url-file names. */
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.js";

/** Why a file could not be read, in words, for the usual errno codes. */
const unreadable: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "it is a directory",
};

/** The text of --webhook-url-file; a usage error, not naming the path, when it cannot be read. */
export function readWebhookUrlFile(path: string): string {
  // A URL given where its file belongs: its path is a secret (Slack's token), not to be echoed to a log.
  if (path.includes("://")) {
    throw new UsageError(
      "--webhook-url-file takes a file holding the URL and was given a URL: put it in $KUBECTL_AUTOUPDATE_WEBHOOK_URL, or in a file",
    );
  }
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    // Not quoted: a URL given in its place, its scheme left off, would be.
    throw new UsageError(`cannot read --webhook-url-file: ${unreadable[code] ?? code}`);
  }
}

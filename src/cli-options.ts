/** Flags shared by every verb: kubectl's connection flags (passed through), the kubectl binary, colour, verbosity. */
import { type Command, Option } from "commander";

/** Commander's way to take a repeatable flag. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

export function addConnectionOptions(command: Command): Command {
  return command
    .option("--kubeconfig <path>", "kubeconfig file, passed to kubectl")
    .option("--context <name>", "kubeconfig context, passed to kubectl")
    .option("--cluster <name>", "kubeconfig cluster, passed to kubectl")
    .option("--user <name>", "kubeconfig user, passed to kubectl")
    .option("--request-timeout <duration>", "timeout of each kubectl request, passed to kubectl")
    .option("--as <user>", "user to impersonate, passed to kubectl")
    .option("--as-group <group>", "group to impersonate (repeatable), passed to kubectl", collect)
    .option("--kubectl <path>", "kubectl executable (default: $KUBECTL, $KUBECTL_PATH, or kubectl on PATH)")
    .addOption(
      new Option("--color <when>", "colour output").choices(["auto", "always", "never"]).default("auto"),
    )
    .option("-v, --verbose", "log every call on stderr; show stack traces");
}

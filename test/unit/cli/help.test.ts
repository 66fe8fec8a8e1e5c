/**
 * A run declares only the flags of the verb it names (start-up): the help of the program, of each verb
 * (`VERB --help` and `help VERB`) and an unknown flag must read as if every verb had been declared.
 */
import { describe, expect, it } from "vitest";
import packageJson from "../../../package.json" with { type: "json" };
import { runMain } from "../../support/cli.js";

const verbs = ["plan", "apply", "install-cron", "uninstall-cron", "run-now", "cron-status"];

describe("help and version, with only the named verb's flags declared", () => {
  it("--version prints the version", async () => {
    expect(await runMain(["--version"])).toEqual({ code: 0, stdout: `${packageJson.version}\n`, stderr: "" });
  });

  it("--help lists every verb as taking options", async () => {
    const { code, stdout } = await runMain(["--help"]);
    expect(code).toBe(0);
    for (const verb of verbs) expect(stdout).toMatch(new RegExp(`^  ${verb} \\[options\\] `, "m"));
    expect(stdout).toMatch(/^ {2}help \[command\] /m);
  });

  it("no verb at all: the program's help on stdout, exit 0, as kubectl answers a bare command", async () => {
    const bare = await runMain([]);
    expect(bare).toEqual({ code: 0, stdout: (await runMain(["--help"])).stdout, stderr: "" });
  });

  it.each(verbs)("%s --help and help %s print the verb's flags", async (verb) => {
    const flagHelp = await runMain([verb, "--help"]);
    expect(flagHelp.code).toBe(0);
    expect(flagHelp.stdout).toContain(`Usage: kubectl autoupdate ${verb} [options]`);
    expect(flagHelp.stdout).toContain("--kubeconfig <path>");
    expect(await runMain(["help", verb])).toEqual(flagHelp);
  });

  it("a verb's own flags are known, another verb's are not", async () => {
    expect((await runMain(["plan", "--help"])).stdout).toContain("--exit-code");
    const refused = await runMain(["plan", "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("error: unknown option '--yes'");
  });

  it.each([
    [["plan", "--webhook-url=https://hooks.example.com/services/T0/B0/HOOKSECRET"], "--webhook-url"],
    [["cron-status", "--webhook-url=https://hooks.example.com/services/T0/B0/HOOKSECRET"], "--webhook-url"],
    [["plan", "--password=HOOKSECRET"], "--password"],
  ])("an unknown %j is named without its value, as kubectl names it", async (args, flag) => {
    const { code, stderr } = await runMain(args);
    expect(code).toBe(1);
    expect(stderr).toContain(`error: unknown option '${flag}'`);
    expect(stderr).not.toContain("HOOKSECRET");
  });
});

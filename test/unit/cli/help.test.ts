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
    expect(stdout).toMatch(/^ {2}help \[verb\] /m);
  });

  it.each(verbs)("%s --help ends with examples of the verb, as kubectl's help does", async (verb) => {
    const { stdout } = await runMain([verb, "--help"]);
    const [, examples] = stdout.split("\nExamples:\n");
    expect(examples).toMatch(new RegExp(`^  # .+\n  kubectl autoupdate ${verb}( |$)`, "m"));
  });

  it("help for a verb that does not exist names it", async () => {
    expect(await runMain(["help", "frob"])).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: unknown help topic "frob"; run 'kubectl autoupdate --help' for the verbs\n`,
    });
  });

  it("takes cobra's boolean forms of help: --help=true and -h=true print it, --help=false asks for none", async () => {
    const help = await runMain(["plan", "--help"]);
    expect(help.code).toBe(0);
    expect(await runMain(["plan", "--help=true"])).toEqual(help);
    expect(await runMain(["plan", "-h=true"])).toEqual(help);
    expect(await runMain(["-n", "web", "--help=true", "plan"])).toEqual(help);
    expect((await runMain(["-n", "web", "--help=true"])).stdout).toMatch(/^Usage: kubectl autoupdate /);
    // Alone, help's flag is help whatever its value, as a bare command is; a flag's value is no help word.
    const bare = await runMain([]);
    expect(await runMain(["--help=false"])).toEqual(bare);
    expect(await runMain(["-h=true"])).toEqual(bare);
    expect((await runMain(["-n", "--help=maybe"])).stderr).toMatch(/^error: -n needs a verb/);
    expect((await runMain(["cron-status", "--help=false", "--bogus"])).stderr).toMatch(
      /^error: unknown flag: --bogus/,
    );
    expect((await runMain(["plan", "--help=maybe"])).stderr).toMatch(
      /^error: invalid argument "maybe" for "-h, --help": it takes true or false/,
    );
  });

  it("help for a topic that may hold credentials (a webhook URL pasted there) does not quote it", async () => {
    const { stderr } = await runMain(["help", "https://hooks.example.com/services/T0/B0/s3cr3t"]);
    expect(stderr).toBe(
      "error: unknown help topic (not shown: it may hold credentials); run 'kubectl autoupdate --help' for the verbs\n",
    );
  });

  it.each([
    [["plan", "--foo"], "error: unknown flag: --foo"],
    [["plan", "-n"], "error: flag needs an argument: --namespace"],
    [["run-now", "--timeout"], "error: flag needs an argument: --timeout"],
    [["plan", "web"], "error: too many arguments for 'plan'. Expected 0 arguments but got 1."],
    [["cron-status", "--bogus"], "error: unknown flag: --bogus"],
  ])("%j: the parser's error, then where the verb's usage is, as kubectl says", async (args, error) => {
    const { code, stderr } = await runMain(args);
    expect(code).toBe(1);
    expect(stderr).toBe(`${error}\nSee 'kubectl autoupdate ${args[0]} --help' for usage.\n`);
  });

  it.each([
    [["-n", "web"]],
    [["--webhook-url=https://hooks.example/SECRET"]],
    // A secret read from a file, its line break kept.
    [["--webhook-url=https://hooks.example/SECRET\n"]],
    [["-A", "-o", "wide"]],
    // pflag's attached short value, and one after a boolean short flag: the value is cut all the same.
    [["-shttps://admin:hunter2@api.example:6443"]],
    [["-Ashttps://admin:hunter2@api.example:6443"]],
  ])("flags with no verb (%j) ask for one, naming the first flag without its value", async (args) => {
    const word = args[0]!;
    const flag = word.startsWith("--") ? word.replace(/=[\s\S]*$/, "") : word.slice(0, 2);
    expect(await runMain(args)).toEqual({
      code: 1,
      stdout: "",
      stderr: `error: ${flag} needs a verb, such as plan or apply (kubectl autoupdate plan ${flag} …); run 'kubectl autoupdate --help' for the verbs\n`,
    });
  });

  it.each([
    [["--webhook-urlhttps://hooks.example/SECRET"], "--webhook-urlhttps"],
    [["plan", "--webhook-urlhttps://hooks.example/SECRET"], "--webhook-urlhttps"],
    [["plan", "--tokenghp_SECRET123"], "--tokenghp"],
    [["--passwordHunter2SECRET", "plan"], "--password"],
    [["plan", "--Namespace"], "--Namespace"],
  ])(
    "an unknown flag with a value glued on, its `=` dropped (%j), is named to where no flag name goes on",
    async (args, named) => {
      const { code, stderr } = await runMain(args);
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(`^error: unknown flag: ${named}[;\n ]`));
      expect(stderr).not.toContain("SECRET");
    },
  );

  it.each([
    [["https://ci:S3CRET@registry.lan"]],
    [["plan", "-n", "https://ci:S3CRET@registry.lan"]],
    [["plan", "-A=ci:S3CRET@registry.lan"]],
    [["install-cron", "--schedule", "https://ci:S3CRET@registry.lan"]],
    [["install-cron", "--time-zone", "https://ci:S3CRET@registry.lan"]],
    [["install-cron", "-l", "ci:S3CRET@registry.lan"]],
    [["install-cron", "--name", "ci:S3CRET@registry.lan"]],
  ])("a value that may hold credentials, refused (%j), is not shown", async (args) => {
    const { code, stderr } = await runMain(args, { env: { KUBECONFIG: "/nonexistent" } });
    expect(code).toBe(1);
    expect(stderr).toContain("(not shown: it may hold credentials)");
    expect(stderr).not.toContain("S3CRET");
  });

  it.each([[["--version", "plan"]], [["-n", "web", "--version", "apply"]]])(
    "the program's --version before a verb (%j) is answered, as without one",
    async (args) => {
      const { code, stdout } = await runMain(args);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^\d+\.\d+\.\d+/);
    },
  );

  it.each([[["--v=6"]], [["--v", "6"]], [["-v"]]])(
    "kubectl's log level without a verb (%j) asks for one, as every verb takes it",
    async (args) => {
      expect((await runMain(args)).stderr).toMatch(/^error: (--v|-v) needs a verb/);
    },
  );

  it.each([
    [["plan", "-xhunter2"], "-x"],
    [["apply", "-q'hunter2\n'"], "-q"],
  ])("an unknown short flag after a verb (%j) is named without what follows it", async (args, flag) => {
    const { stderr } = await runMain(args);
    expect(stderr).toContain(`error: unknown flag: ${flag}\n`);
    expect(stderr).not.toContain("hunter2");
  });

  it.each([[["--bogus"]], [["--bogus=SECRET"]], [["-xSECRET"]]])(
    "a flag no verb takes (%j) is unknown, as kubectl says, without its value",
    async (args) => {
      const word = args[0]!;
      const flag = word.startsWith("--") ? word.replace(/=[\s\S]*$/, "") : word.slice(0, 2);
      expect(await runMain(args)).toEqual({
        code: 1,
        stdout: "",
        stderr: `error: unknown flag: ${flag}; run 'kubectl autoupdate --help' for the verbs\n`,
      });
    },
  );

  it.each([[["-n", "web", "-h"]], [["-A", "--help"]]])(
    "%j: help asked for beside flags with no verb is the program's help, as kubectl gives it",
    async (args) => {
      expect(await runMain(args)).toEqual({
        code: 0,
        stdout: (await runMain(["--help"])).stdout,
        stderr: "",
      });
    },
  );

  it("an unknown verb: the error, then where the usage is", async () => {
    expect((await runMain(["frob"])).stderr).toBe(
      "error: unknown command 'frob'\nRun 'kubectl autoupdate --help' for usage.\n",
    );
  });

  it.each([[["plan", "--as", "-v", "--color", "bogus"]], [["-v"]]])(
    "%j: a -v that is a value or unknown is no --verbose: no stack trace, no peak RSS",
    async (args) => {
      const { code, stderr } = await runMain(args);
      expect(code).toBe(1);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr).not.toMatch(/peak RSS| {4}at /);
    },
  );

  it("no verb at all: the program's help on stdout, exit 0, as kubectl answers a bare command", async () => {
    const bare = await runMain([]);
    expect(bare).toEqual({ code: 0, stdout: (await runMain(["--help"])).stdout, stderr: "" });
  });

  it("wraps at 80 columns in a terminal of any width, as kubectl's help reads the same in any", async () => {
    // Commander asks this process's stdout for the width, not the run's.
    const stdout = process.stdout as { isTTY?: boolean; columns?: number };
    const { isTTY, columns } = stdout;
    const helpIn = async (width: number) => {
      Object.assign(stdout, { isTTY: true, columns: width });
      try {
        return [(await runMain(["--help"])).stdout, (await runMain(["apply", "--help"])).stdout];
      } finally {
        Object.assign(stdout, { isTTY, columns });
      }
    };
    expect(await helpIn(200)).toEqual(await helpIn(40));
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
    expect(refused.stderr).toContain("error: unknown flag: --yes");
  });

  it.each([
    [["plan", "--webhook-url=https://hooks.example.com/services/T0/B0/HOOKSECRET"], "--webhook-url"],
    [["cron-status", "--webhook-url=https://hooks.example.com/services/T0/B0/HOOKSECRET"], "--webhook-url"],
    [["plan", "--api-key=HOOKSECRET"], "--api-key"],
    [["plan", "--webhook-url=https://hooks.example.com/T0/a'b/HOOKSECRET"], "--webhook-url"],
    [["plan", "--webhook-url=https://hooks.example.com/T0/B0/HOOKSECRET\n"], "--webhook-url"],
  ])("an unknown %j is named without its value, as kubectl names it", async (args, flag) => {
    const { code, stderr } = await runMain(args);
    expect(code).toBe(1);
    expect(stderr).toContain(`error: unknown flag: ${flag}`);
    expect(stderr).not.toContain("HOOKSECRET");
  });

  it("registry-only flags: refused with docker's resolver when given, never when not", async () => {
    // A kubectl that cannot run: the run gets past its flags and stops at the cluster.
    for (const verb of ["plan", "apply"]) {
      const plain = await runMain([verb, "--kubectl", "/nonexistent/kubectl"]);
      expect(plain.stderr).not.toContain("needs --resolver registry");
    }
    const given = await runMain(["plan", "--registry-retries", "0"]);
    expect(given).toMatchObject({ code: 1 });
    expect(given.stderr).toContain(
      "--registry-retries needs --resolver registry: docker's pulls are bounded by --pull-timeout",
    );
  });

  it("kubectl's --password is refused with what to do instead, never quoted", async () => {
    const { code, stderr } = await runMain(["plan", "--password=HOOKSECRET"]);
    expect(code).toBe(1);
    expect(stderr).toContain("--username and --password are not taken");
    expect(stderr).not.toContain("HOOKSECRET");
  });
});

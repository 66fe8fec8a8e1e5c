/**
 * kubectl's ways of writing a flag (pflag's), rewritten for commander: `-n=web` is the namespace "web"
 * (commander alone reads "=web"), a boolean takes `=true`/`=false`, `-v=N` and `-vN` are kubectl's log level.
 */
import { describe, expect, it } from "vitest";
import { kubectlForms } from "../../../src/cli/kubectl-forms.js";
import { createProgram } from "../../../src/cli/program.js";
import { runMain } from "../../support/cli.js";
import { testIo } from "../../support/test-io.js";

const io = testIo();

/** The flags commander hands the verb for these words, once rewritten. */
async function flagsOf(argv: string[]): Promise<Record<string, unknown>> {
  const program = createProgram(io, argv);
  const verb = program.commands.find((c) => c.name() === argv[0])!;
  let flags: Record<string, unknown> = {};
  verb.action((raw: Record<string, unknown>) => {
    flags = raw;
  });
  await program.parseAsync(kubectlForms(program, argv), { from: "user" });
  return flags;
}

describe("kubectl's forms of a flag", () => {
  it.each<[string[], Record<string, unknown>]>([
    [["plan", "-n=web"], { namespace: "web" }],
    [["plan", "-l=app=web,tier!=db"], { selector: "app=web,tier!=db" }],
    [["plan", "-o=wide"], { output: "wide" }],
    [["plan", "-n", "web"], { namespace: "web" }],
    [["plan", "-nweb"], { namespace: "web" }],
    [["plan", "--namespace=web"], { namespace: "web" }],
    [["plan", "-A=true"], { allNamespaces: true }],
    [["plan", "--all-namespaces=true"], { allNamespaces: true }],
    [["apply", "--yes=True", "--dry-run=1"], { yes: true, dryRun: true }],
    [["plan", "--no-headers=true"], { headers: false }],
    [["plan", "--no-headers=false"], { headers: true }],
    [["plan", "-v=6"], { verbose: true }],
    [["plan", "--v=2"], { verbose: true }],
    [["plan", "-v", "4"], { verbose: true }],
    [["plan", "--v", "4"], { verbose: true }],
    [["plan", "-v6"], { verbose: true }],
    [["plan", "-n", "shop", "-v9"], { verbose: true, namespace: "shop" }],
    // A flag's value is the next word, whatever it looks like.
    [["plan", "--as", "-v"], { as: "-v" }],
    [["plan", "--user", "-n=x", "-n=web"], { user: "-n=x", namespace: "web" }],
    [["plan", "--as-group", "-A=false"], { asGroup: ["-A=false"] }],
    // Short flags combined, as pflag reads them: a letter followed by `=` takes the rest of the word.
    [["plan", "-vn=shop"], { verbose: true, namespace: "shop" }],
    [["apply", "-yn=shop"], { yes: true, namespace: "shop" }],
    [["plan", "-vl=app=web"], { verbose: true, selector: "app=web" }],
    [["plan", "-vo=json"], { verbose: true, output: "json" }],
    [["plan", "-Avn", "shop"], { allNamespaces: true, verbose: true, namespace: "shop" }],
    [["apply", "-yA=true"], { yes: true, allNamespaces: true }],
    // kubectl's -v takes its level from the rest of the word, combined too.
    [["plan", "-Av6"], { allNamespaces: true, verbose: true }],
    // Unsetting a flag leaves another flag's value that looks like it.
    [["plan", "--as", "-A", "-A=false"], { as: "-A" }],
  ])("%j", async (argv, expected) => {
    expect(await flagsOf(argv)).toMatchObject(expected);
  });

  it.each<[string[], string]>([
    [["plan", "-A=false"], "allNamespaces"],
    [["plan", "--all-namespaces=false"], "allNamespaces"],
    [["plan", "-v=0"], "verbose"],
    [["plan", "-v0"], "verbose"],
    // The last word for a flag wins, as with pflag.
    [["plan", "-A", "-A=false"], "allNamespaces"],
    [["plan", "--all-namespaces", "--all-namespaces=false"], "allNamespaces"],
    [["plan", "-Av", "-A=false"], "allNamespaces"],
    [["plan", "-A", "-vA=false"], "allNamespaces"],
    [["plan", "-v", "-v=0"], "verbose"],
    [["plan", "-v6", "-v0"], "verbose"],
  ])("%j leaves the flag unset", async (argv, flag) => {
    expect(await flagsOf(argv)).not.toHaveProperty(flag);
  });

  it("leaves what is not a flag, and everything after --, as typed", () => {
    const program = createProgram(io, ["plan"]);
    expect(kubectlForms(program, ["plan", "-l", "app=web", "--", "-n=x"])).toEqual([
      "plan",
      "-l",
      "app=web",
      "--",
      "-n=x",
    ]);
  });

  it.each<[string[], string[]]>([
    [
      ["-n", "web", "plan"],
      ["plan", "-n", "web"],
    ],
    [
      ["-A", "apply", "--yes"],
      ["apply", "-A", "--yes"],
    ],
    [
      ["--context=prod", "-n=web", "-v", "6", "plan", "-o", "wide"],
      ["plan", "--context=prod", "-n", "web", "--verbose", "-o", "wide"],
    ],
    [
      ["-Av", "--as", "plan", "plan"],
      ["plan", "-A", "--verbose", "--as", "plan"],
    ],
    [
      ["-nweb", "cron-status"],
      ["cron-status", "-n", "web"],
    ],
    [
      ["-An", "web", "plan"],
      ["plan", "-A", "-n", "web"],
    ],
    [
      ["-vA=false", "-yn=web", "apply"],
      ["apply", "--verbose", "-y", "-n", "web"],
    ],
    [
      ["-v6", "-n", "web", "plan"],
      ["plan", "--verbose", "-n", "web"],
    ],
    [
      ["-n", "web", "-h", "plan"],
      ["plan", "-n", "web", "-h"],
    ],
    // kubectl's log level after short flags combined, its level in the next word.
    [
      ["-Av", "6", "plan"],
      ["plan", "-A", "--verbose"],
    ],
    [
      ["-Av", "0", "plan"],
      ["plan", "-A"],
    ],
    [
      ["--help=true", "plan"],
      ["plan", "--help"],
    ],
  ])("the verb's flags before it, as kubectl takes them: %j", (argv, expected) => {
    expect(kubectlForms(createProgram(io, argv), argv)).toEqual(expected);
  });

  it.each([[["--version"]], [["-n", "web"]], [["-n", "web", "x", "plan"]], [["-n", "plan", "-A"]]])(
    "words that are not flags before a verb are left for commander to judge: %j",
    (argv) => {
      expect(kubectlForms(createProgram(io, argv), argv)).toEqual(argv);
    },
  );

  it.each<[string[], string[]]>([
    [
      ["--yes", "plan"],
      ["plan", "--yes"],
    ],
    [
      ["-n", "web", "--bogus", "plan"],
      ["plan", "-n", "web", "--bogus"],
    ],
    [
      ["-A", "--concurency", "8", "plan"],
      ["plan", "-A", "--concurency", "8"],
    ],
    [
      ["-n", "apply", "--yess", "plan"],
      ["plan", "-n", "apply", "--yess"],
    ],
    [
      ["-n", "plan"],
      ["plan", "-n"],
    ],
  ])(
    "a verb after flags it does not take, or one missing its value, still goes first: %j",
    (argv, expected) => {
      expect(kubectlForms(createProgram(io, argv), argv)).toEqual(expected);
    },
  );

  it.each<[string[], string]>([
    [["-n", "web", "--yes", "plan"], "error: unknown flag: --yes"],
    [["-A", "--concurency", "8", "plan"], "error: unknown flag: --concurency"],
    [["-n", "plan"], "error: flag needs an argument: --namespace"],
  ])("so its parser names the flag that is wrong, not the first: %j", async (argv, line) => {
    const { code, stderr } = await runMain(argv, { env: { KUBECONFIG: "/nonexistent" } });
    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toBe(line);
  });

  it("a boolean's value that is neither true nor false is refused, naming the flag as kubectl does", async () => {
    const refused =
      'invalid argument "maybe" for "-A, --all-namespaces": it takes true or false, or no value';
    await expect(flagsOf(["plan", "-A=maybe"])).rejects.toThrow(refused);
    await expect(flagsOf(["plan", "-vA=maybe"])).rejects.toThrow(refused);
    await expect(flagsOf(["apply", "--yes=y"])).rejects.toThrow('invalid argument "y" for "-y, --yes"');
  });

  it.each<[string[], Record<string, unknown>]>([
    [["apply", "--dry-run=server"], { dryRun: true }],
    [["apply", "--dry-run=none"], {}],
    [["apply", "--dry-run=server", "--dry-run=none"], {}],
    [["uninstall-cron", "--dry-run=server"], { dryRun: true }],
    [["install-cron", "--dry-run=client"], { dryRun: true }],
  ])("kubectl's --dry-run=none|client|server, the verb's own kind of dry run: %j", async (argv, expected) => {
    const { dryRun } = await flagsOf(argv);
    expect(dryRun === undefined ? {} : { dryRun }).toEqual(expected);
  });

  it("the other kind of dry run is refused, saying which one the verb makes", async () => {
    await expect(flagsOf(["apply", "--dry-run=client"])).rejects.toThrow(
      `invalid argument "client" for --dry-run: apply's dry run is a server dry run (--dry-run or --dry-run=server)`,
    );
    await expect(flagsOf(["install-cron", "--dry-run=server"])).rejects.toThrow(
      "install-cron's dry run is a client dry run (--dry-run or --dry-run=client)",
    );
  });
});

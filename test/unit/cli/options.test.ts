/**
 * parsePlanOptions (src/cli/options.ts): the flags commander hands over, validated into PlanOptions. Which
 * kubectl and docker run follows the README: `--kubectl PATH` (default `$KUBECTL`, `$KUBECTL_PATH`, `kubectl`
 * on PATH) and `--docker PATH` (default `$DOCKER`, `docker` on PATH). Empty values count as unset: the test
 * harness exports `KUBECTL_PATH=""`, and a shell's `KUBECTL= cmd` must not make the plugin run "".
 */
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../../src/cli/duration.js";
import {
  parseApplyOptions,
  parseConnectionOptions,
  parsePlanOptions,
  type RawPlanFlags,
} from "../../../src/cli/options.js";
import { directOnly, proxyFor } from "../../../src/core/proxy.js";
import { UsageError } from "../../../src/errors.js";

type Env = Record<string, string | undefined>;

const resolve = (raw: RawPlanFlags = {}, env: Env = {}) => parsePlanOptions(raw, env);

/** The message of the UsageError `fn` throws; fails when it throws nothing or something else. */
function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError, nothing was thrown");
}

describe("which kubectl runs", () => {
  it.each<[string, RawPlanFlags, Env, string]>([
    ["nothing set: kubectl on PATH", {}, {}, "kubectl"],
    ["$KUBECTL_PATH (set by kubectl ≥ 1.37)", {}, { KUBECTL_PATH: "/opt/k8s/kubectl" }, "/opt/k8s/kubectl"],
    ["$KUBECTL", {}, { KUBECTL: "/usr/local/bin/kubectl-1.35" }, "/usr/local/bin/kubectl-1.35"],
    [
      "$KUBECTL wins over $KUBECTL_PATH",
      {},
      { KUBECTL: "/usr/local/bin/kubectl-1.35", KUBECTL_PATH: "/opt/k8s/kubectl" },
      "/usr/local/bin/kubectl-1.35",
    ],
    [
      "--kubectl wins over $KUBECTL_PATH",
      { kubectl: "/home/me/kubectl" },
      { KUBECTL_PATH: "/opt/k8s/kubectl" },
      "/home/me/kubectl",
    ],
    [
      "--kubectl wins over $KUBECTL and $KUBECTL_PATH",
      { kubectl: "/home/me/kubectl" },
      { KUBECTL: "/usr/local/bin/kubectl-1.35", KUBECTL_PATH: "/opt/k8s/kubectl" },
      "/home/me/kubectl",
    ],
    ["empty $KUBECTL_PATH is unset", {}, { KUBECTL_PATH: "" }, "kubectl"],
    ["empty $KUBECTL falls through to $KUBECTL_PATH", {}, { KUBECTL: "", KUBECTL_PATH: "/k" }, "/k"],
    ["empty --kubectl falls through to $KUBECTL", { kubectl: "" }, { KUBECTL: "/k2" }, "/k2"],
    ["$DOCKER does not choose kubectl", {}, { DOCKER: "/opt/docker" }, "kubectl"],
  ])("%s", (_, raw, env, expected) => {
    expect(resolve(raw, env).kubectlPath).toBe(expected);
  });
});

describe("which docker runs", () => {
  it.each<[string, RawPlanFlags, Env, string]>([
    ["nothing set: docker on PATH", {}, {}, "docker"],
    ["$DOCKER", {}, { DOCKER: "/opt/docker/bin/docker" }, "/opt/docker/bin/docker"],
    [
      "--docker wins over $DOCKER",
      { docker: "/home/me/docker" },
      { DOCKER: "/opt/docker/bin/docker" },
      "/home/me/docker",
    ],
    ["empty $DOCKER is unset", {}, { DOCKER: "" }, "docker"],
    ["empty --docker falls through to $DOCKER", { docker: "" }, { DOCKER: "/d" }, "/d"],
    ["kubectl's variables do not choose docker", {}, { KUBECTL: "/k", KUBECTL_PATH: "/k" }, "docker"],
  ])("%s", (_, raw, env, expected) => {
    expect(resolve(raw, env).dockerPath).toBe(expected);
  });
});

describe("--token", () => {
  it("is refused with what to do instead: passed on, it would be in every kubectl's argv", () => {
    expect(usageError(() => resolve({ token: "s3cr3t" }))).toMatch(
      /^--token is not taken: it would be in the argv of every kubectl this runs.*kubectl config set users\.NAME\.tokenFile FILE/,
    );
    expect(usageError(() => resolve({ token: "s3cr3t" }))).not.toContain("s3cr3t");
  });

  it("empty, as with --username and --password, is not given, as kubectl takes it", () => {
    expect(() => resolve({ token: "", username: "", password: "" })).not.toThrow();
  });
});

describe("--kuberc", () => {
  it("is refused beside KUBERC=off, as kubectl refuses them together", () => {
    expect(() => parseConnectionOptions({ kuberc: "/k/kuberc" }, { KUBERC: "off" })).toThrow(
      "--kuberc and KUBERC=off cannot be used together, as kubectl refuses them; drop one",
    );
  });

  it("is refused beside KUBECTL_KUBERC=false, under which kubectl has no such flag", () => {
    expect(() => parseConnectionOptions({ kuberc: "/k/kuberc" }, { KUBECTL_KUBERC: "false" })).toThrow(
      "--kuberc and KUBECTL_KUBERC=false cannot be used together, as kubectl has no --kuberc then; drop one",
    );
  });
});

describe("--username and --password", () => {
  it("are refused as --token is, without quoting either", () => {
    for (const raw of [{ password: "s3cr3t" }, { username: "me", password: "s3cr3t" }, { username: "me" }]) {
      const message = usageError(() => resolve(raw));
      expect(message).toMatch(/^--username and --password are not taken: the password would be in the argv/);
      expect(message).not.toContain("s3cr3t");
      // Its advice puts the password on no command line either.
      expect(message).not.toContain("--password=");
    }
  });
});

describe("--server with credentials in its URL", () => {
  it("is refused as --password is, without quoting it; a plain URL or host:port is taken", () => {
    for (const server of [
      "https://admin:s3cr3t@10.0.0.1:6443",
      "admin:s3cr3t@10.0.0.1:6443",
      "https://tok@h",
      // A password may hold what ends a URL's host part, as base64 holds `/`.
      "https://admin:Zm9v/s3cr3t@k8s.example.com:6443",
      "admin:a?b#s3cr3t@10.0.0.1:6443",
    ]) {
      const message = usageError(() => resolve({ server }));
      expect(message).toMatch(
        /^--server with a user or password in its URL is not taken: it would be in the argv/,
      );
      expect(message).not.toContain("s3cr3t");
      expect(message).not.toContain("--password=");
    }
    expect(resolve({ server: "https://10.0.0.1:6443/k8s/clusters/c-1" }).connection.server).toBe(
      "https://10.0.0.1:6443/k8s/clusters/c-1",
    );
    expect(resolve({ server: "10.0.0.1:6443" }).connection.server).toBe("10.0.0.1:6443");
  });
});

describe("defaults", () => {
  it("no flags: the README's defaults", () => {
    expect(resolve()).toEqual({
      scope: { namespace: undefined, allNamespaces: false, selector: undefined, fieldSelector: undefined },
      connection: {
        kubeconfig: undefined,
        context: undefined,
        cluster: undefined,
        user: undefined,
        server: undefined,
        certificateAuthority: undefined,
        clientCertificate: undefined,
        clientKey: undefined,
        tlsServerName: undefined,
        insecureSkipTlsVerify: false,
        requestTimeout: undefined,
        as: undefined,
        asGroups: [],
        asUid: undefined,
        asUserExtras: [],
        cacheDir: undefined,
        disableCompression: false,
        kuberc: undefined,
      },
      output: "table",
      noHeaders: false,
      color: "auto",
      resolver: "docker",
      concurrency: 4,
      kubectlPath: "kubectl",
      dockerPath: "docker",
      pullTimeoutMs: 5 * 60_000,
      insecureRegistries: [],
      localCredentials: true,
      registryTimeoutMs: 10_000,
      registryRetries: 2,
      proxy: directOnly,
      strategy: "auto",
      verbose: false,
      exitCode: false,
    });
  });

  it("the registry resolver reads the proxies from the environment; docker's daemon has its own", () => {
    const env = { HTTPS_PROXY: "http://proxy.example:3128", NO_PROXY: "registry.lan" };
    const { proxy } = resolve({ resolver: "registry" }, env);
    expect(proxyFor(proxy, new URL("https://ghcr.io/v2/"))?.host).toBe("proxy.example:3128");
    expect(proxyFor(proxy, new URL("https://registry.lan/v2/"))).toBeNull();
    expect(resolve({}, { HTTPS_PROXY: "http://proxy example" }).proxy).toBe(directOnly);
    expect(() => resolve({ resolver: "registry" }, { HTTPS_PROXY: "http://proxy example" })).toThrow(
      "HTTPS_PROXY: not a proxy address (want http://HOST:PORT)",
    );
  });

  it("flags land where the commands read them", () => {
    const options = resolve({
      namespace: "shop",
      allNamespaces: true,
      selector: "app=web",
      fieldSelector: "spec.nodeName=node-1",
      kubeconfig: "/k/config",
      context: "prod",
      cluster: "c1",
      user: "admin",
      requestTimeout: "20s",
      as: "jane",
      asGroup: ["devs", "ops"],
      asUid: "1234",
      asUserExtra: ["reason=audit", "ticket=42"],
      kuberc: "/k/kuberc",
      server: "https://10.0.0.1:6443",
      certificateAuthority: "/k/ca.crt",
      clientCertificate: "/k/me.crt",
      clientKey: "/k/me.key",
      tlsServerName: "kubernetes",
      insecureSkipTlsVerify: true,
      cacheDir: "/tmp/kube-cache",
      disableCompression: true,
      output: "wide",
      headers: false,
      color: "never",
      resolver: "registry",
      concurrency: "8",
      insecureRegistry: ["registry.lan:5000"],
      localCredentials: false,
      registryTimeout: "2s",
      registryRetries: "0",
      verbose: true,
    });
    expect(options).toMatchObject({
      scope: {
        namespace: "shop",
        allNamespaces: true,
        selector: "app=web",
        fieldSelector: "spec.nodeName=node-1",
      },
      connection: {
        kubeconfig: "/k/config",
        context: "prod",
        cluster: "c1",
        user: "admin",
        requestTimeout: "20s",
        as: "jane",
        asGroups: ["devs", "ops"],
        asUid: "1234",
        asUserExtras: ["reason=audit", "ticket=42"],
        kuberc: "/k/kuberc",
        server: "https://10.0.0.1:6443",
        certificateAuthority: "/k/ca.crt",
        clientCertificate: "/k/me.crt",
        clientKey: "/k/me.key",
        tlsServerName: "kubernetes",
        insecureSkipTlsVerify: true,
        cacheDir: "/tmp/kube-cache",
        disableCompression: true,
      },
      output: "wide",
      noHeaders: true,
      color: "never",
      resolver: "registry",
      concurrency: 8,
      insecureRegistries: ["registry.lan:5000"],
      localCredentials: false,
      registryTimeoutMs: 2000,
      registryRetries: 0,
      verbose: true,
    });
  });
});

describe("--concurrency", () => {
  it.each([
    ["1", 1],
    ["4", 4],
    ["64", 64],
  ])("%s is accepted", (value, expected) => {
    expect(resolve({ concurrency: value }).concurrency).toBe(expected);
  });

  it.each(["0", "65", "-1", "1.5", "two", "", "4x"])("%j is a usage error naming the flag", (value) => {
    expect(usageError(() => resolve({ concurrency: value }))).toBe(
      `invalid value "${value}" for --concurrency: want a whole number from 1 to 64`,
    );
  });
});

describe("--registry-retries", () => {
  it.each([
    ["0", 0],
    ["10", 10],
  ])("%s is accepted", (value, expected) => {
    expect(resolve({ resolver: "registry", registryRetries: value }).registryRetries).toBe(expected);
  });

  // Empty ("$RETRIES" unset) is not 0 retries; nor is a number JavaScript would read where pflag would not.
  it.each(["11", "-1", "0.5", "many", "", " ", "1e1", "0x2"])("%j is a usage error", (value) => {
    expect(usageError(() => resolve({ registryRetries: value }))).toBe(
      `invalid value "${value}" for --registry-retries: want a whole number from 0 to 10`,
    );
  });

  it("it and --registry-timeout need --resolver registry: taken with docker's, they would bound nothing", () => {
    expect(usageError(() => resolve({ registryRetries: "0" }))).toBe(
      "--registry-retries needs --resolver registry: docker's pulls are bounded by --pull-timeout",
    );
    expect(usageError(() => resolve({ resolver: "docker", registryTimeout: "5s" }))).toBe(
      "--registry-timeout needs --resolver registry: docker's pulls are bounded by --pull-timeout",
    );
  });

  it("--pull-timeout and --docker need --resolver docker: taken with the registry's, they would do nothing", () => {
    expect(usageError(() => resolve({ resolver: "registry", pullTimeout: "90s" }))).toBe(
      "--pull-timeout needs --resolver docker: the registry resolver runs no docker",
    );
    expect(usageError(() => resolve({ resolver: "registry", docker: "/opt/docker" }))).toBe(
      "--docker needs --resolver docker: the registry resolver runs no docker",
    );
    expect(resolve({ resolver: "docker", pullTimeout: "90s", docker: "/opt/docker" })).toMatchObject({
      pullTimeoutMs: 90_000,
      dockerPath: "/opt/docker",
    });
  });
});

describe("-n", () => {
  it('with an empty value is not given, as kubectl takes it (`-n "$NS"` with it unset): the context\'s namespace', () => {
    expect(resolve({ namespace: "" }).scope.namespace).toBeUndefined();
  });

  it.each(["a/b", "..", "Web", "a%2Fb"])(
    "%s, no namespace's name, is refused before any request: it would change the list's path",
    (namespace) => {
      expect(usageError(() => resolve({ namespace }))).toBe(
        `invalid namespace "${namespace}": want at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit`,
      );
    },
  );
});

describe("--max-requests", () => {
  it("absent: no budget; given: a whole number from 1", () => {
    expect(resolve({ resolver: "registry" })).not.toHaveProperty("maxRequests");
    expect(resolve({ resolver: "registry", maxRequests: "250" }).maxRequests).toBe(250);
  });

  it.each(["0", "-3", "1.5", "lots", ""])("%j is a usage error", (value) => {
    expect(usageError(() => resolve({ resolver: "registry", maxRequests: value }))).toBe(
      `invalid value "${value}" for --max-requests: want a whole number from 1 to 1000000`,
    );
  });

  it("with --resolver docker it is refused: docker's pulls are not the plugin's to count", () => {
    expect(usageError(() => resolve({ resolver: "docker", maxRequests: "10" }))).toBe(
      "--max-requests needs --resolver registry: it counts the requests the plugin sends, and docker sends its own",
    );
  });
});

describe("durations", () => {
  it.each([
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["1.5s", 1500],
    ["2m30s", 150_000],
    ["45", 45_000],
    // Go's forms, which kubectl takes for --request-timeout
    [".5s", 500],
    ["1.s", 1000],
    ["1.1s", 1100],
    ["250us", 0.25],
    ["250\u00b5s", 0.25],
    ["1500000ns", 1.5],
    ["1h0.5m1ms", 3_630_001],
    ["+30s", 30_000],
    ["+45", 45_000],
    ["10000.5ms", 10_000.5],
  ])("--pull-timeout %s is %d ms", (value, ms) => {
    // A timer's in whole milliseconds, a fraction rounded up: AbortSignal.timeout throws on one.
    expect(resolve({ pullTimeout: value }).pullTimeoutMs).toBe(Math.ceil(ms));
    expect(parseDuration(value, "--x")).toBe(ms);
  });

  it.each(["soon", "1d", "5 m", "m5", "-5s", "+", "++5s", "", "5s!", ".s", "1.5", "5S", "5s5"])(
    "--pull-timeout %j is a usage error naming the flag",
    (value) => {
      expect(usageError(() => resolve({ pullTimeout: value }))).toBe(
        `invalid value "${value}" for --pull-timeout: want a duration such as 30s, 5m or 1h`,
      );
    },
  );

  it("a URL given for a duration (the webhook's, beside --webhook-timeout) is refused without quoting it", () => {
    for (const url of [
      "https://hooks.slack.com/services/T0/B0/s3cr3t",
      "hooks.slack.com/services/T0/B0/s3cr3t",
    ]) {
      expect(usageError(() => parseDuration(url, "--webhook-timeout"))).toBe(
        "invalid value for --webhook-timeout (not shown: it may be a URL): want a duration such as 30s, 5m or 1h",
      );
    }
  });

  it("--registry-timeout is parsed, and 0 is refused (a request that may never take any time)", () => {
    expect(resolve({ resolver: "registry", registryTimeout: "250ms" }).registryTimeoutMs).toBe(250);
    expect(usageError(() => resolve({ registryTimeout: "0s" }))).toBe(
      "--registry-timeout must be longer than 0",
    );
    expect(usageError(() => resolve({ registryTimeout: "fast" }))).toBe(
      'invalid value "fast" for --registry-timeout: want a duration such as 30s, 5m or 1h',
    );
  });

  it("a timeout a timer cannot hold (over ~24.8 days, which Node.js would cut to 1 ms) is refused; an age is not", () => {
    expect(resolve({ resolver: "registry", registryTimeout: "596h" }).registryTimeoutMs).toBe(
      596 * 3_600_000,
    );
    for (const [flag, raw] of [
      ["--registry-timeout", { registryTimeout: "1000h" }],
      ["--pull-timeout", { pullTimeout: "1000h" }],
    ] as const) {
      expect(usageError(() => resolve(raw))).toBe(`${flag} must be at most 596h, not 1000h`);
    }
    expect(resolve({ minAge: "1000h" }).minAgeMs).toBe(1000 * 3_600_000);
  });

  it('--min-age 0 and an empty --min-age (`--min-age "$AGE"` with it unset) hold nothing back', () => {
    for (const minAge of ["0", "0s", ""]) expect(resolve({ minAge })).not.toHaveProperty("minAgeMs");
    expect(usageError(() => resolve({ minAge: "soon" }))).toBe(
      'invalid value "soon" for --min-age: want a duration such as 30s, 5m or 1h',
    );
  });

  it("--request-timeout is checked but passed to kubectl as written", () => {
    expect(resolve({ requestTimeout: "1m30s" }).connection.requestTimeout).toBe("1m30s");
    expect(usageError(() => resolve({ requestTimeout: "later" }))).toBe(
      'invalid value "later" for --request-timeout: want a duration such as 30s, 5m or 1h',
    );
    // As kubectl: empty sets none.
    expect(resolve({ requestTimeout: "" }).connection.requestTimeout).toBe("");
  });
});

describe("other values", () => {
  it.each<[RawPlanFlags, string]>([
    [
      { output: "xml" },
      'unable to match a printer suitable for the output format "xml", allowed formats are: table,wide,json,yaml,name',
    ],
    [{ color: "sometimes" }, 'invalid value "sometimes" for --color; allowed: auto, always, never'],
    [{ resolver: "crane" }, 'invalid value "crane" for --resolver; allowed: docker, registry'],
    [
      { insecureRegistry: ["registry.lan:5000/v2"] },
      'invalid value "registry.lan:5000/v2" for --insecure-registry; want HOST[:PORT], e.g. registry.lan:5000',
    ],
    [
      { image: ["app@sha256:bad"] },
      'invalid value "app@sha256:bad" for --image: invalid digest "sha256:bad"',
    ],
    // kubectl's JSONPath names the current item `@`: no credential, quoted as kubectl quotes it.
    [
      { output: "jsonpath={.items[?(@.x)]}" },
      'unable to match a printer suitable for the output format "jsonpath={.items[?(@.x)]}", allowed formats are: table,wide,json,yaml,name',
    ],
  ])("%j is refused: %s", (raw, message) => {
    expect(usageError(() => resolve(raw))).toBe(message);
  });

  it.each<RawPlanFlags>([
    { insecureRegistry: ["https://ci:s3cr3t@registry.lan:5000"] },
    { insecureRegistry: ["ci:s3cr3t@registry.lan:5000"] },
    { image: ["https://ci:s3cr3t@registry.lan/shop/web:main"] },
    { image: ["ci:s3cr3t@registry.lan/shop/web:main"] },
    // A password with a "/" in it (base64, an AWS secret key).
    { insecureRegistry: ["ci:ab/s3cr3t@registry.lan:5000"] },
    { image: ["ci:ab/s3cr3t@registry.lan/shop/web:main"] },
    { concurrency: "https://ci:s3cr3t@hooks.example/" },
    { resolver: "https://ci:s3cr3t@registry.lan" },
  ])("%j, refused, is not quoted: what comes before its @ may be a password", (raw) => {
    const message = usageError(() => resolve(raw));
    expect(message).toMatch(/^invalid value for --[a-z-]+ \(not shown: it may hold credentials\)/);
    expect(message).not.toContain("s3cr3t");
  });

  it.each(["table", "wide", "json", "yaml", "name"])("-o %s is accepted", (output) => {
    expect(resolve({ output }).output).toBe(output);
  });

  it('an empty -o (`-o "$FORMAT"` with it unset) is the default output, as kubectl takes it', () => {
    expect(resolve({ output: "" }).output).toBe("table");
  });

  it("-o takes json, yaml and name in any case, as kubectl's printers do, and the table formats as written", () => {
    expect(resolve({ output: "JSON" }).output).toBe("json");
    expect(resolve({ output: "Yaml" }).output).toBe("yaml");
    expect(resolve({ output: "NAME" }).output).toBe("name");
    expect(usageError(() => resolve({ output: "Wide" }))).toBe(
      'unable to match a printer suitable for the output format "Wide", allowed formats are: table,wide,json,yaml,name',
    );
  });
});

describe("apply in the CronJob's pod: its own Job, from the downward API", () => {
  const ownJob = (env: Env) => parseApplyOptions({}, env).ownJob;

  it.each<[string, Env, { name: string; namespace: string } | undefined]>([
    ["neither variable: not in a Job (no turn taken)", {}, undefined],
    [
      "both",
      { KUBECTL_AUTOUPDATE_JOB: "job-1", KUBECTL_AUTOUPDATE_JOB_NAMESPACE: "tools" },
      { name: "job-1", namespace: "tools" },
    ],
    [
      "the namespace alone: a Job whose name is unknown (warned about, then on)",
      { KUBECTL_AUTOUPDATE_JOB_NAMESPACE: "tools" },
      { name: "", namespace: "tools" },
    ],
    [
      "the name alone, or an empty namespace: no Job to look in",
      { KUBECTL_AUTOUPDATE_JOB: "job-1", KUBECTL_AUTOUPDATE_JOB_NAMESPACE: "" },
      undefined,
    ],
  ])("%s", (_, env, expected) => {
    expect(ownJob(env)).toEqual(expected);
  });
});

describe("apply's --wait-timeout", () => {
  it("must be longer than 0 when apply waits, and is not looked at beyond its form with --no-wait", () => {
    expect(() => parseApplyOptions({ waitTimeout: "0s" }, {})).toThrow(
      "--wait-timeout must be longer than 0 (or use --no-wait)",
    );
    expect(parseApplyOptions({ waitTimeout: "90s" }, {}).waitTimeoutMs).toBe(90_000);
    expect(parseApplyOptions({ waitTimeout: "0s", wait: false }, {}).wait).toBe(false);
    expect(() => parseApplyOptions({ waitTimeout: "soon", wait: false }, {})).toThrow("--wait-timeout");
  });
});

describe("apply's result file, from the environment", () => {
  it.each<[Env, string | undefined]>([
    [{ KUBECTL_AUTOUPDATE_RESULT_FILE: "/dev/termination-log" }, "/dev/termination-log"],
    [{ KUBECTL_AUTOUPDATE_RESULT_FILE: "" }, undefined],
    [{}, undefined],
  ])("%j → %s", (env, expected) => {
    expect(parseApplyOptions({}, env).resultFile).toBe(expected);
  });
});

describe("the record ConfigMap of restarts in vain, from the environment (plan and apply)", () => {
  it.each<[Env, { namespace: string; name: string } | undefined]>([
    [
      { KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP: "tools/kubectl-autoupdate" },
      { namespace: "tools", name: "kubectl-autoupdate" },
    ],
    [{ KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP: "" }, undefined],
    [{}, undefined],
  ])("%j → %j", (env, expected) => {
    expect(resolve({}, env).record).toEqual(expected);
    expect(parseApplyOptions({}, env).record).toEqual(expected);
  });

  it("anything but NAMESPACE/NAME is a usage error naming the variable", () => {
    expect(() => resolve({}, { KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP: "kubectl-autoupdate" })).toThrow(
      new UsageError(
        'invalid value "kubectl-autoupdate" for $KUBECTL_AUTOUPDATE_RECORD_CONFIGMAP: want NAMESPACE/NAME of a ConfigMap',
      ),
    );
  });
});

import { describe, expect, it } from "vitest";
import {
  parseCronStatusOptions,
  parseInstallCronOptions,
  type RawInstallCronFlags,
} from "../../../src/cli/cron-options.js";
import { defaultImage } from "../../../src/cron/core/image.js";
import { UsageError } from "../../../src/errors.js";

describe("parseInstallCronOptions", () => {
  it("defaults: registry resolver, the plugin's own image, every 10 minutes, not suspended", () => {
    const options = parseInstallCronOptions({}, {});
    expect(options.name).toBe("kubectl-autoupdate");
    expect(options.namespace).toBeUndefined();
    expect(options.dryRun).toBe(false);
    expect(options.output).toBeUndefined();
    expect(options.spec).toEqual({
      name: "kubectl-autoupdate",
      allNamespaces: false,
      selector: undefined,
      schedule: "*/10 * * * *",
      timeZone: undefined,
      suspend: false,
      resolver: "registry",
      dockerSocket: false,
      image: "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0",
      strategy: "auto",
    });
  });

  it("--min-age is passed on as written; 0 and an empty value hold nothing back, so none is passed", () => {
    expect(parseInstallCronOptions({ minAge: "1h30m" }, {}).spec.minAge).toBe("1h30m");
    for (const minAge of ["0", "0m", ""])
      expect(parseInstallCronOptions({ minAge }, {}).spec).not.toHaveProperty("minAge");
    expect(() => parseInstallCronOptions({ minAge: "1 hour" }, {})).toThrow(
      'invalid value "1 hour" for --min-age: want a duration such as 30s, 5m or 1h',
    );
  });

  it("an empty -l selects every pod, as kubectl's and plan's do: no selector is passed", () => {
    for (const selector of ["", " "]) {
      expect(parseInstallCronOptions({ selector, namespace: "web" }, {}).spec.selector).toBeUndefined();
    }
  });

  it("--max-requests is passed on to the job; refused with --resolver docker, whose pulls are docker's", () => {
    expect(parseInstallCronOptions({ maxRequests: "500" }, {}).spec.maxRequests).toBe(500);
    expect(() => parseInstallCronOptions({ maxRequests: "0" }, {})).toThrow(
      'invalid value "0" for --max-requests: want a whole number from 1 to 1000000',
    );
    expect(() =>
      parseInstallCronOptions({ maxRequests: "500", resolver: "docker", dockerSocket: true }, {}),
    ).toThrow("--max-requests needs --resolver registry");
  });

  it("-o json and yaml in any case, as kubectl's printers take them", () => {
    expect(parseInstallCronOptions({ output: "JSON" }, {}).output).toBe("json");
    expect(parseInstallCronOptions({ output: "YAML" }, {}).output).toBe("yaml");
    // Empty (`-o "$FORMAT"` with it unset): not given, as kubectl takes it.
    expect(parseInstallCronOptions({ output: "" }, {}).output).toBeUndefined();
    expect(parseCronStatusOptions({ output: "" }, {}).output).toBe("table");
  });

  it('-n "" (an unset variable) is the context\'s namespace, as plan and kubectl take it', () => {
    expect(parseInstallCronOptions({ namespace: "" }, {}).namespace).toBeUndefined();
    expect(parseCronStatusOptions({ namespace: "" }, {}).namespace).toBeUndefined();
  });

  it("the default image follows the package version, with a -docker variant", () => {
    expect(defaultImage("registry", "1.2.3")).toBe("ghcr.io/kubectl-autoupdate/kubectl-autoupdate:1.2.3");
    expect(defaultImage("docker", "1.2.3")).toBe(
      "ghcr.io/kubectl-autoupdate/kubectl-autoupdate:1.2.3-docker",
    );
  });

  it.each<[string, RawInstallCronFlags, string]>([
    ["empty --name", { name: "" }, "--name must not be empty"],
    [
      "--name with capitals",
      { name: "AutoUpdate" },
      'invalid --name "AutoUpdate": want at most 52 lowercase',
    ],
    ["--name too long for Job names", { name: "a".repeat(53) }, "want at most 52 lowercase"],
    ["--name with a colon", { name: "a:b" }, 'invalid --name "a:b"'],
    ["-n invalid", { namespace: "Tools_1" }, 'invalid namespace "Tools_1"'],
    ["bad schedule", { schedule: "* * * *" }, 'invalid --schedule "* * * *": want 5 fields'],
    ["out of range", { schedule: "0 25 * * *" }, 'invalid --schedule "0 25 * * *": hour field "25"'],
    ["TZ= in schedule", { schedule: "TZ=UTC 0 3 * * *" }, "put the zone in --time-zone UTC"],
    ["CRON_TZ= in schedule", { schedule: "CRON_TZ=Asia/Tokyo 0 3 * * *" }, "--time-zone Asia/Tokyo"],
    ["bad zone", { timeZone: "Mars/Olympus" }, 'invalid --time-zone "Mars/Olympus": unknown time zone'],
    ["Local zone", { timeZone: "Local" }, 'invalid --time-zone "Local"'],
    ["bad selector", { selector: "app in (a b)" }, 'invalid -l/--selector "app in (a b)"'],
    [
      "unknown resolver",
      { resolver: "skopeo" },
      'invalid value "skopeo" for --resolver; allowed: docker, registry',
    ],
    [
      "docker without socket",
      { resolver: "docker" },
      "--resolver docker needs the node's Docker engine: add --docker-socket",
    ],
    ["socket without docker", { dockerSocket: true }, "--docker-socket is only used by --resolver docker"],
    [
      "bad image",
      { image: "Registry.Example.com/UPPER:tag" },
      'invalid --image "Registry.Example.com/UPPER:tag"',
    ],
    ["image with spaces", { image: "nginx latest" }, 'invalid --image "nginx latest"'],
    [
      "image with credentials in it",
      { image: "ci:ab/cdS3CRET@registry.lan/app:main" },
      "invalid --image (not shown: it may hold credentials): want an image reference",
    ],
    [
      "-o table",
      { output: "table" },
      'unable to match a printer suitable for the output format "table", allowed formats are: yaml,json',
    ],
  ])("refuses %s", (_, flags, message) => {
    expect(() => parseInstallCronOptions(flags, {})).toThrow(UsageError);
    expect(() => parseInstallCronOptions(flags, {})).toThrow(message);
  });
});

describe("install-cron's webhook", () => {
  const url = "https://hooks.example.com/services/T0001/B0002/s3cr3tT0k3n";

  it("--webhook-secret names the Secret the job's URL comes from", () => {
    expect(parseInstallCronOptions({ webhookSecret: "team-hooks" }, {}).spec.webhookSecret).toBe(
      "team-hooks",
    );
    expect(parseInstallCronOptions({}, {}).spec).not.toHaveProperty("webhookSecret");
  });

  it("a Secret's name must be one the API server takes", () => {
    expect(() => parseInstallCronOptions({ webhookSecret: "Team_Hooks" }, {})).toThrow(
      'invalid --webhook-secret "Team_Hooks": want a Secret\'s name',
    );
  });

  it.each([
    ["--webhook-secret", { webhookSecret: url }, "s3cr3t"],
    ["--proxy-secret", { proxySecret: "http://svc-user:hunter2@proxy.corp:3128" }, "hunter2"],
  ])("%s given the URL itself is refused without quoting it: it is the secret", (flag, raw, secret) => {
    const message = (() => {
      try {
        parseInstallCronOptions(raw, {});
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    })();
    expect(message).toContain(`${flag} takes a Secret's name and was given a URL (not repeated here)`);
    expect(message).not.toContain(secret);
  });

  it("--webhook-url is refused with the way to a Secret, and the URL is not quoted", () => {
    let message = "";
    try {
      parseInstallCronOptions({ webhookUrl: url }, {});
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      message = (error as Error).message;
    }
    expect(message).toContain("--webhook-secret NAME");
    expect(message).toContain("kubectl create secret generic NAME --from-file=url=FILE");
    expect(message).not.toContain("hooks.example.com");
    expect(message).not.toContain("s3cr3t");
  });
});

describe("install-cron's proxy", () => {
  const proxyOf = (flags: RawInstallCronFlags) => parseInstallCronOptions(flags, {}).spec.proxy;
  /** The message of the UsageError `flags` are refused with. */
  const refusal = (flags: RawInstallCronFlags): string => {
    try {
      parseInstallCronOptions(flags, {});
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error("not refused");
  };

  it("--proxy or --proxy-secret, with --proxy-bypass's entries trimmed", () => {
    expect(proxyOf({})).toBeUndefined();
    expect(proxyOf({ proxy: " proxy.corp:3128 " })).toEqual({ url: "proxy.corp:3128", bypass: [] });
    expect(
      proxyOf({ proxySecret: "egress", proxyBypass: " .corp.example, 10.0.0.0/8,,[fd00::1]:5000" }),
    ).toEqual({
      secret: "egress",
      bypass: [".corp.example", "10.0.0.0/8", "[fd00::1]:5000"],
    });
  });

  it("--resolver docker takes one too: the docker CLI reads the manifests from the job's pod", () => {
    expect(proxyOf({ proxy: "proxy.corp:3128", resolver: "docker", dockerSocket: true })).toEqual({
      url: "proxy.corp:3128",
      bypass: [],
    });
  });

  it.each<[string, RawInstallCronFlags, string]>([
    ["both", { proxy: "http://p:3128", proxySecret: "egress" }, "give --proxy or --proxy-secret, not both"],
    ["a bypass without a proxy", { proxyBypass: ".corp" }, "--proxy-bypass needs --proxy or --proxy-secret"],
    [
      "a SOCKS proxy",
      { proxy: "socks5://p:1080" },
      "invalid --proxy: socks5:// proxies are not supported, only http://",
    ],
    [
      "a bad Secret name",
      { proxySecret: "Egress_1" },
      'invalid --proxy-secret "Egress_1": want a Secret\'s name',
    ],
    ["a proxy the kubelet would expand", { proxy: "http://$(PROXY_HOST):3128" }, "the kubelet would expand"],
    [
      "a bypass entry the kubelet would expand",
      { proxy: "p:3128", proxyBypass: "a.corp,$(HOME)" },
      'invalid --proxy-bypass entry "$(HOME)"',
    ],
    [
      "a proxy URL with credentials for a bypass entry",
      { proxy: "p:3128", proxyBypass: "http://ci:S3CRET@proxy.lan:3128" },
      "invalid --proxy-bypass entry (not shown: it may hold credentials)",
    ],
  ])("refuses %s", (_, flags, message) => {
    expect(refusal(flags)).toContain(message);
  });

  it("refuses credentials in --proxy with the way to a Secret, without quoting them", () => {
    const message = refusal({ proxy: "http://alice:s3cret@proxy.corp:3128" });
    expect(message).toContain("--proxy-secret NAME");
    expect(message).not.toContain("s3cret");
    expect(message).not.toContain("alice");
  });

  it("refuses a path, query or fragment in --proxy (a token there would be in the spec), without quoting it", () => {
    for (const proxy of [
      "http://proxy.corp:3128/?auth=t0ken",
      "http://proxy.corp:3128/t0ken",
      "http://p:3128#t0ken",
    ]) {
      const message = refusal({ proxy });
      expect(message).toContain("--proxy-secret NAME");
      expect(message).not.toContain("t0ken");
    }
    expect(proxyOf({ proxy: "http://proxy.corp:3128/" })).toEqual({
      url: "http://proxy.corp:3128/",
      bypass: [],
    });
  });
});

/**
 * install-cron's objects against the real API server (test/testbed) without nodes: its schemas, strict field
 * validation and Pod Security admission take every flag combination, and the schedule and time zone checks
 * accept exactly what kube-apiserver accepts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { buildInstallObjects } from "../../../src/cron/core/install-objects.js";
import type { InstallSpec } from "../../../src/cron/core/installation.js";
import { checkSchedule, checkTimeZone } from "../../../src/cron/core/schedule.js";
import { cli, useCronCluster } from "../../support/cron-cluster.js";
import { kubectl } from "../../support/e2e.js";

const cluster = useCronCluster();

describe("manifests against the API server's schemas and validation", () => {
  beforeAll(async () => {
    await cluster.namespace("dry");
  });

  it.each([
    ["namespace scope", []],
    ["-A", ["-A"]],
    ["-l", ["-l", "app=web,tier notin (db)"]],
    ["--schedule", ["--schedule", "15 3 * jan-jun mon-fri"]],
    ["--schedule macro", ["--schedule", "@weekly"]],
    ["--time-zone", ["--time-zone", "America/Argentina/Buenos_Aires"]],
    ["--suspend", ["--suspend"]],
    ["--image", ["--image", `registry.example.com:5000/tools/autoupdate@sha256:${"b".repeat(64)}`]],
    ["--name", ["--name", "a".repeat(52)]],
    ["--docker-socket", ["--resolver", "docker", "--docker-socket"]],
    [
      "--proxy",
      ["--proxy", "http://proxy.corp:3128", "--proxy-bypass", ".corp.example,10.0.0.0/8,[fd00::1]:5000"],
    ],
    ["--proxy-secret", ["--proxy-secret", "egress"]],
    [
      "every flag at once",
      [
        "-A",
        "-l",
        "app=web",
        "--schedule",
        "@daily",
        "--time-zone",
        "Europe/Berlin",
        "--suspend",
        "--name",
        "nightly",
      ],
    ],
    ["-o json", ["-o", "json"]],
  ])("%s: server-side dry run with strict field validation accepts them", async (_, flags) => {
    const printed = await cli("install-cron", "--dry-run", "-n", "dry", "-o", "yaml", ...flags);
    expect(printed.code).toBe(0);
    const result = await kubectl(
      ["apply", "--server-side", "--dry-run=server", "--validate=strict", "--field-manager=test", "-f", "-"],
      printed.stdout,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    // -A adds the ClusterRole and ClusterRoleBinding beside the record's Role and RoleBinding.
    expect(result.stdout.trim().split("\n")).toHaveLength(flags.includes("-A") ? 7 : 5);
  });

  it("the pod template meets Pod Security 'restricted'; --docker-socket does not, and the server says why", async () => {
    await cluster.namespace("restricted", { "pod-security.kubernetes.io/warn": "restricted" });
    const apply = async (...flags: string[]) => {
      const printed = await cli("install-cron", "--dry-run", "-n", "restricted", ...flags);
      return kubectl(
        ["apply", "--server-side", "--dry-run=server", "--field-manager=test", "-f", "-"],
        printed.stdout,
      );
    };
    const hardened = await apply();
    expect(hardened.code).toBe(0);
    expect(hardened.stderr).toBe("");
    const socket = await apply("--resolver", "docker", "--docker-socket");
    expect(socket.code).toBe(0);
    expect(socket.stderr).toContain('would violate PodSecurity "restricted:latest"');
    expect(socket.stderr).toContain('volume "docker-socket" uses restricted volume type "hostPath"');
    expect(socket.stderr).toContain("runAsNonRoot != true");
    expect(socket.stderr).toContain("runAsUser=0");
    // install-cron itself passes the server's warning on, as kubectl does: once, though its dry run
    // warned too.
    const installed = await cli(
      "install-cron",
      "-n",
      "restricted",
      "--resolver",
      "docker",
      "--docker-socket",
      "--suspend",
    );
    expect(installed.code).toBe(0);
    expect(installed.stderr.split('Warning: would violate PodSecurity "restricted:latest"')).toHaveLength(2);
    expect((await cli("uninstall-cron", "-n", "restricted")).code).toBe(0);
  });

  const spec = (schedule: string, timeZone?: string): InstallSpec => ({
    name: "probe",
    namespace: "dry",
    allNamespaces: false,
    schedule,
    timeZone,
    suspend: false,
    resolver: "registry",
    dockerSocket: false,
    image: "example.com/x:1",
  });
  /** Whether the API server accepts a CronJob with this schedule and zone (a create, server dry run). */
  async function serverAccepts(
    schedule: string,
    timeZone?: string,
  ): Promise<{ ok: boolean; stderr: string }> {
    const cron = buildInstallObjects(spec(schedule, timeZone)).find((o) => o.kind === "CronJob");
    const result = await kubectl(
      ["create", "--dry-run=server", "-f", "-", "-o", "name"],
      JSON.stringify(cron),
    );
    return { ok: result.code === 0, stderr: result.stderr };
  }

  const schedules = [
    "*/10 * * * *",
    "0 3 * * *",
    "0-59/15 0,12 1-31 * *",
    "5/15 * * * *",
    "0 9 * jan-mar,DEC mon-fri",
    "0 9 ? * SUN",
    "*/61 * * * *",
    "07 +3 * * 6",
    "@hourly",
    "@daily",
    "@midnight",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
    "60 * * * *",
    "* 24 * * *",
    "* * 0 * *",
    "* * 32 * *",
    "* * * 13 *",
    "* * * * 7",
    "* * * foo *",
    "mon * * * *",
    "30-10 * * * *",
    "*/0 * * * *",
    "1/2/3 * * * *",
    "1-2-3 * * * *",
    "-1 * * * *",
    "70/5 * * * *",
    "* * * *",
    "0 */10 * * * *",
    "@Hourly",
    "@reboot",
    "TZ=UTC 0 3 * * *",
    "CRON_TZ=Europe/Berlin 0 3 * * *",
  ];
  it("checkSchedule accepts exactly what kube-apiserver accepts", async () => {
    const disagreements: string[] = [];
    for (const schedule of schedules) {
      const server = await serverAccepts(schedule);
      const ours = checkSchedule(schedule).ok;
      if (server.ok !== ours)
        disagreements.push(`${schedule}: server ${server.ok}, ours ${ours} ${server.stderr}`);
    }
    expect(disagreements).toEqual([]);
  }, 120_000);

  it("…and refuses two things the server lets through: @every and empty list items", async () => {
    for (const schedule of ["@every 5m", "1,,2 * * * *"]) {
      expect((await serverAccepts(schedule)).ok).toBe(true);
      expect(checkSchedule(schedule).ok).toBe(false);
    }
  });

  it("the server refuses TZ= in a schedule with the message our check anticipates", async () => {
    const result = await serverAccepts("TZ=UTC 0 3 * * *");
    expect(result.stderr).toContain("cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
  });

  it("checkTimeZone agrees with the server", async () => {
    const zones = [
      "UTC",
      "Europe/Berlin",
      "Etc/GMT+5",
      "America/Argentina/Buenos_Aires",
      "Europe/Pariss",
      "Local",
      "europe/berlin",
      "Mars/Olympus",
      "../etc/passwd",
      "+01",
      "+01:00",
      "-05",
      // ICU (this runtime's time zone database) knows these; the server's Go does not.
      "PST",
      "IST",
      "SystemV/EST5",
      "US/Pacific-New",
      "EST",
      "Japan",
    ];
    const disagreements: string[] = [];
    for (const zone of zones) {
      const server = await serverAccepts("0 3 * * *", zone);
      const ours = checkTimeZone(zone).ok;
      if (server.ok !== ours)
        disagreements.push(`${zone}: server ${server.ok}, ours ${ours} ${server.stderr}`);
    }
    expect(disagreements).toEqual([]);
  }, 60_000);
});

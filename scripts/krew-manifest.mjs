// The krew plugin manifest, in one place for both its forms: the manifest of a build (`npm run pack`:
// every platform's uri and sha256) and the `.krew.yaml` template krew-release-bot fills in on a release
// (its `addURIAndSha` downloads each archive and writes both lines).
import { platformName } from "./platforms.mjs";

export const REPOSITORY = "https://github.com/kubectl-autoupdate/kubectl-autoupdate";

/** "kubectl-autoupdate_v0.1.0_linux_amd64.tar.gz" */
export function archiveName(p, tag) {
  return `kubectl-autoupdate_${tag}_${p.os}_${p.arch}.${p.archive}`;
}

/** Where a release publishes the archive. */
export function releaseUri(p, tag) {
  return `${REPOSITORY}/releases/download/${tag}/${archiveName(p, tag)}`;
}

/** What goes in a platform's archive, as krew's `files` entries (archive path → installed path). */
export function archiveFiles(p) {
  return [p.exe, "LICENSE", "LICENSE-node", "THIRD_PARTY_LICENSES", ...completionFiles(p).map((f) => f.name)];
}

/**
 * The shell-completion helper: kubectl (1.26 and later) runs `kubectl_complete-autoupdate` from PATH to
 * complete `kubectl autoupdate …`. krew links only the plugin itself, so the archive carries the helper and
 * the caveats give the line that copies it next to krew's link. Not on Windows: there kubectl 1.35 names the
 * plugin's command after its file, extension included (`autoupdate.exe`), and looks up
 * `kubectl_complete-autoupdate.exe` only for `kubectl autoupdate.exe …`
 * (pkg/cmd/plugin/plugin_completion.go).
 */
const COMPLETION_FILES = [
  {
    name: "kubectl_complete-autoupdate",
    source: "bin/kubectl_complete-autoupdate",
    executable: true,
    on: (p) => p.os !== "windows",
  },
];

/** The completion files of one platform's archive. */
export function completionFiles(p) {
  return COMPLETION_FILES.filter((f) => f.on(p));
}

const DESCRIPTION = `
Finds pods that run an old digest of a mutable tag (:latest, :main, :1.2) by
comparing each container's imageID with what the tag points to now, and
restarts them without taking their workload down: a rollout of their
Deployment, StatefulSet or DaemonSet, or evictions one replica at a time that
honour PodDisruptionBudgets. \`plan\` is read-only; \`apply\` restarts exactly
what the plan printed; \`install-cron\` runs it in the cluster on a schedule.
Bare, mirror, finished and Job pods, pinned digests and anything not proven
stale are never restarted.
`;

/** Prerequisites, and the one line that installs shell completion (the store path holds the version). */
const caveats = (version) => `
plan and apply resolve tags with \`docker pull\` by default, which needs a
docker CLI and engine; \`--resolver registry\` asks the registry instead and
needs neither (the CronJob uses it by default). On Linux the plugin needs
glibc 2.28+, libstdc++, libgcc_s and libatomic.so.1 (apt-get install
libatomic1, or dnf install libatomic, on a minimal system); on macOS, 13.5
or newer.

Shell completion (kubectl 1.26+, Linux and macOS): copy the completion
helper next to krew's link (~/.krew: your $KREW_ROOT, if set):
  cp ~/.krew/store/autoupdate/${version}/kubectl_complete-autoupdate ~/.krew/bin/
`;

/**
 * The manifest's YAML. `source(p)` gives each platform's download lines: `{ uri, sha256 }` for a build,
 * or the release bot's template call.
 */
function render(version, platforms, source) {
  const block = (text) =>
    text
      .trim()
      .split("\n")
      .map((line) => (line === "" ? "" : `    ${line}`))
      .join("\n");
  const lines = [
    "apiVersion: krew.googlecontainertools.github.com/v1alpha2",
    "kind: Plugin",
    "metadata:",
    "  name: autoupdate",
    "spec:",
    `  version: ${version}`,
    `  homepage: ${REPOSITORY}`,
    "  shortDescription: Restart pods whose mutable image tag has moved",
    "  description: |",
    block(DESCRIPTION),
    "  caveats: |",
    block(caveats(version)),
    "  platforms:",
  ];
  for (const p of platforms) {
    lines.push(
      "    - selector:",
      "        matchLabels:",
      `          os: ${p.os}`,
      `          arch: ${p.arch}`,
      ...source(p),
      `      bin: ${p.exe}`,
      "      files:",
      ...archiveFiles(p).flatMap((name) => [`        - from: ${name}`, "          to: ."]),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The manifest of built archives: `archives` maps "os/arch" to `{ uri, sha256 }`. */
export function buildManifest(version, platforms, archives) {
  return render(`v${version}`, platforms, (p) => {
    const a = archives.get(platformName(p));
    return [`      uri: ${a.uri}`, `      sha256: ${a.sha256}`];
  });
}

/**
 * krew-release-bot's template (.krew.yaml): the tag's uris, their sha256 computed by the bot (`indent 6`
 * puts its second line, sha256, under the first).
 */
export function releaseBotTemplate(platforms) {
  return render("{{ .TagName }}", platforms, (p) => [
    `      {{addURIAndSha "${releaseUri(p, "{{ .TagName }}")}" .TagName | indent 6 }}`,
  ]);
}

/** What mounting the docker socket grants, printed whenever install-cron's --docker-socket is used. */
export const dockerSocketWarning = [
  "Warning: --docker-socket mounts the node's /var/run/docker.sock into the job's pod.",
  "  Whoever controls that pod controls the node's Docker engine: it can start privileged containers,",
  "  mount the node's filesystem and read every container's secrets - that is root on the node.",
  "  The pod therefore runs as root (uid 0) with a hostPath volume; namespaces that enforce the",
  '  Pod Security "baseline" or "restricted" level will refuse it, and nodes without Docker',
  "  (containerd, CRI-O) can't start it. Images are pulled only on the node the job runs on.",
  "  Prefer the default --resolver registry, which needs none of this.",
].join("\n");

# The image install-cron's CronJob runs: the self-contained kubectl-autoupdate executable (no Node.js),
# kubectl, and a root filesystem of Debian packages (glibc, libstdc++, libgcc, libatomic, CA certificates;
# no shell, no package manager), user 65532. Nothing is pulled from a registry: it starts FROM scratch.
# scripts/image.sh (`npm run image`) prepares dist/image/linux-<arch>/ and builds both targets; the
# `with-docker` target (tag suffix -docker) adds only Debian's docker CLI, for `install-cron --resolver
# docker --docker-socket`.
#
#   scripts/image.sh                                      # this machine's architecture, both targets
#   scripts/image.sh --context-only --arch amd64 --arch arm64 \
#     && docker buildx build --platform linux/amd64,linux/arm64 --target plugin -t … --push .
#
# With the classic builder, pass --build-arg TARGETARCH=amd64 (buildx sets it).

FROM scratch AS base
ARG TARGETARCH
ADD dist/image/linux-${TARGETARCH}/rootfs.tar /
COPY dist/image/linux-${TARGETARCH}/kubectl dist/image/linux-${TARGETARCH}/kubectl-autoupdate /usr/local/bin/
# The licences of the plugin, of the npm packages and Node.js inside it, and of kubectl; the Debian
# packages' own are in /usr/share/doc/*/copyright.
COPY dist/image/linux-${TARGETARCH}/licenses/ /usr/share/licenses/
# The CronJob keeps the root filesystem read-only and mounts an emptyDir at /tmp: all writes go there.
ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp KUBECACHEDIR=/tmp/kube-cache
# Numeric, so the kubelet can check runAsNonRoot.
USER 65532:65532
ENTRYPOINT ["kubectl-autoupdate"]
CMD ["--help"]

# `install-cron --resolver docker --docker-socket` runs this one (tag suffix -docker).
FROM base AS with-docker
ARG TARGETARCH
COPY dist/image/linux-${TARGETARCH}/docker /usr/local/bin/docker
COPY dist/image/linux-${TARGETARCH}/docker.copyright /usr/share/licenses/docker/copyright

# The default target.
FROM base AS plugin

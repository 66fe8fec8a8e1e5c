# The image install-cron's CronJob runs: Node LTS, kubectl, the bundled plugin, a non-root user.
# Build it with `npm run image` (which runs `npm run build` first: the image copies dist/, it does not
# build). The `with-docker` target adds only the docker CLI, for `install-cron --resolver docker
# --docker-socket`; the default target has no docker.
#
#   docker build -t ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0 .
#   docker build --target with-docker -t ghcr.io/kubectl-autoupdate/kubectl-autoupdate:0.1.0-docker .

# Node.js 26: Active LTS since 2026-10-28.
ARG NODE_VERSION=26
# The kubectl version the tests run against (test/testbed); kubectl works with API servers one minor
# version older or newer.
ARG KUBECTL_VERSION=v1.35.4
ARG DOCKER_VERSION=28

FROM node:${NODE_VERSION}-alpine AS kubectl
ARG KUBECTL_VERSION
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /out
# Verified against the published checksum; a mismatch fails the build.
# (curl only in this download stage; the final image does not get it.)
RUN apk add --no-cache curl \
 && base="https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/${TARGETOS}/${TARGETARCH}" \
 && curl -fsSLo kubectl "${base}/kubectl" \
 && curl -fsSLo kubectl.sha256 "${base}/kubectl.sha256" \
 && echo "$(cat kubectl.sha256)  kubectl" | sha256sum -c - \
 && chmod 0755 kubectl \
 && rm kubectl.sha256

FROM docker:${DOCKER_VERSION}-cli AS docker-cli

FROM node:${NODE_VERSION}-alpine AS base
# Nothing but node is needed at run time: drop npm, npx, corepack and yarn.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && addgroup -S -g 65532 autoupdate \
 && adduser -S -D -H -u 65532 -G autoupdate -h /tmp -s /sbin/nologin autoupdate
COPY --from=kubectl /out/kubectl /usr/local/bin/kubectl
COPY LICENSE /opt/kubectl-autoupdate/LICENSE
COPY dist/ /opt/kubectl-autoupdate/dist/
COPY bin/kubectl-autoupdate /opt/kubectl-autoupdate/bin/kubectl-autoupdate
# (chmod in a RUN rather than COPY --chmod: the classic builder has no --chmod.)
RUN chmod 0755 /opt/kubectl-autoupdate/bin/kubectl-autoupdate \
 && chmod -R a+rX /opt/kubectl-autoupdate \
 && ln -s /opt/kubectl-autoupdate/bin/kubectl-autoupdate /usr/local/bin/kubectl-autoupdate
# The CronJob mounts an emptyDir at /tmp and keeps the root filesystem read-only.
ENV HOME=/tmp KUBECACHEDIR=/tmp/kube-cache NODE_ENV=production
# Numeric, so the kubelet can check runAsNonRoot.
USER 65532:65532
ENTRYPOINT ["kubectl-autoupdate"]
CMD ["--help"]

# `install-cron --resolver docker --docker-socket` runs this one (tag suffix -docker).
FROM base AS with-docker
COPY --from=docker-cli /usr/local/bin/docker /usr/local/bin/docker

# The default target.
FROM base AS plugin

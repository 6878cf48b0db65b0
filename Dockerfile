# syntax=docker/dockerfile:1
# driftguard's image: Node.js 20 on Debian bookworm-slim, production dependencies only, non-root, with
# git and an SSH client (Git sources over HTTPS or SSH), and kustomize and helm (rendered sources).
# Why this base: Node 20 because @kubernetes/client-node stays on 1.x (2.x breaks on Node 20) and the
# package supports Node >= 20.19; bookworm-slim because git and openssh-client come from Debian's
# security-maintained packages, with glibc and no compilers. It is pinned by its full version, so a
# rebuild gets the same Node.js; pin it by digest too where your registry policy asks for it (the
# digest cannot be resolved offline here).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
# The render tools' builder: Go 1.26 because kustomize v5.8.2 needs it (v5.8.3 needs Go 1.27), pinned by
# its full version for the same reason as Node (a rebuild compiles the tools with the same Go that
# scripts/render-tools.sh uses in CI); bookworm, the runtime's Debian, though the binaries are static.
ARG GO_IMAGE=golang:1.26.8-bookworm

# kustomize and helm from the Go module proxy, at the versions and with the flags of
# scripts/render-tools.sh and test/testbed/helm.sh (test/chart/dockerfile.test.ts keeps them equal).
FROM ${GO_IMAGE} AS tools
ARG KUSTOMIZE_VERSION=v5.8.2
ARG HELM_VERSION=v3.22.0
# helm stamps the Kubernetes minor of its client libraries (1.37 for v3.22), else it assumes 1.20.
ARG HELM_K8S_MINOR=37
ENV CGO_ENABLED=0 GOFLAGS=-mod=mod GOBIN=/tools
RUN go install -trimpath \
      -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/${KUSTOMIZE_VERSION}" \
      "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}" \
 && go install -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${HELM_K8S_MINOR}" \
      "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" \
 && test "$(/tools/kustomize version)" = "${KUSTOMIZE_VERSION}" \
 && test "$(/tools/helm version --short)" = "${HELM_VERSION}"

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json tsconfig.page.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM ${NODE_IMAGE}
# git for the Git sources, openssh-client for SSH URLs, ca-certificates for HTTPS remotes. The package
# managers the base image ships (npm, corepack, yarn) are removed: nothing installs at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
 && rm -f /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
RUN groupadd --system --gid 10001 driftguard \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/driftguard/home --shell /usr/sbin/nologin driftguard
# kustomize and helm for rendered sources (docs/contract.md §2a), run by driftguard as child processes.
COPY --from=tools /tools/kustomize /tools/helm /usr/local/bin/
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production
USER 10001:10001
EXPOSE 8443
ENTRYPOINT ["node", "--enable-source-maps", "dist/cli/main.js"]
CMD ["serve", "--config", "/etc/driftguard/config/driftguard.yaml"]

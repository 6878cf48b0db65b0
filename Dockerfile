# syntax=docker/dockerfile:1
# driftguard's image: Node.js 20 on Debian bookworm-slim, production dependencies only, non-root, with
# git and an SSH client (Git sources over HTTPS or SSH).
# Why this base: Node 20 because @kubernetes/client-node stays on 1.x (2.x breaks on Node 20) and the
# package supports Node >= 20.19; bookworm-slim because git and openssh-client come from Debian's
# security-maintained packages, with glibc and no compilers. It is pinned by its full version, so a
# rebuild gets the same Node.js; pin it by digest too where your registry policy asks for it (the
# digest cannot be resolved offline here).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
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
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production
USER 10001:10001
EXPOSE 8443
ENTRYPOINT ["node", "--enable-source-maps", "dist/cli/main.js"]
CMD ["serve", "--config", "/etc/driftguard/config/driftguard.yaml"]

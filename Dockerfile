# One image, four entry points: the API (default CMD), the daily notifier (`node dist/apps/notifier/main.js`),
# the remediator (`node dist/apps/remediator/main.js`) and the scanner (`node dist/apps/scanner/main.js`, the scan
# Job and CronJob), each set as its job's command.
#
# Node 22 LTS: the AWS SDK for JavaScript v3 drops Node 20 in 2027. The version is stated in .node-version; a test
# fails unless this line, .ci/run, package.json `engines` and the README agree with it. In a registry pipeline pin
# the digest too (node:22.x.y-bookworm-slim@sha256:...), e.g. with Renovate.
#
# Behind a TLS-intercepting proxy or a private registry, pass the npm configuration and the CA bundle as BuildKit
# secrets; they are mounted only while `npm ci` runs and never stored in a layer:
#   docker build --secret id=npmrc,src="$(npm config get userconfig)" \
#     --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt -t iam-key-monitor:local .
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

# ---- build: every dependency, compile both apps into dist/ --------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    --mount=type=secret,id=npmrc,target=/root/.npmrc,required=false \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem,required=false \
    if [ -s /run/secrets/ca.pem ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca.pem npm_config_cafile=/run/secrets/ca.pem; fi && \
    npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# ---- prod-deps: production dependencies only; no install scripts run -------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    --mount=type=secret,id=npmrc,target=/root/.npmrc,required=false \
    --mount=type=secret,id=ca,target=/run/secrets/ca.pem,required=false \
    if [ -s /run/secrets/ca.pem ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca.pem npm_config_cafile=/run/secrets/ca.pem; fi && \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime ---------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The app never installs anything at run time: drop the package managers (less to patch, less to abuse).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
# Files stay owned by root and read-only to the app user; the app writes nowhere but /tmp and DATA_DIR.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The embedded store (PGlite) when DATABASE_URL is unset: the one writable folder besides /tmp, owned by the app user
# and a volume, so the root filesystem stays read-only and the data outlives the container. One process per folder.
ENV DATA_DIR=/var/lib/iam-key-monitor
RUN mkdir -p /var/lib/iam-key-monitor && chown 1000:1000 /var/lib/iam-key-monitor && chmod 0700 /var/lib/iam-key-monitor
VOLUME ["/var/lib/iam-key-monitor"]
# Numeric UID/GID (the image's `node` user) so Kubernetes can enforce runAsNonRoot.
USER 1000:1000
EXPOSE 3000
# exec form: node is PID 1 and gets SIGTERM directly; Nest's shutdown hooks drain and close.
CMD ["node", "dist/apps/api/main.js"]

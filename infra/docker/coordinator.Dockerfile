# The coordinator: gRPC API, artifact store, dashboard. No accelerator needed.
# Build from the repository root: docker build -f infra/docker/coordinator.Dockerfile -t jvae-coordinator .
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
COPY proto ./proto
COPY tools ./tools
# Workspaces too (npm ci installs every one the lock lists).
COPY test ./test
COPY bench ./bench
COPY examples ./examples
COPY infra ./infra
RUN npm ci --no-audit --no-fund --omit=optional
ENV JVAE_COORDINATOR=0.0.0.0:50051 JVAE_HTTP=0.0.0.0:8080 JVAE_ARTIFACTS=/data/artifacts
EXPOSE 50051 8080
# A named volume mounted here takes this directory's owner, so the node user can write to it.
RUN mkdir -p /data/artifacts && chown node:node /data/artifacts
USER node
CMD ["node", "--import", "tsx", "apps/coordinator/src/main.ts"]

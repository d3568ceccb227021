# A GPU worker: the jvae worker app on CUDA, with @tensorflow/tfjs-node-gpu (the optional
# dependency installs here because the build can download libtensorflow).
# Build from the repository root: docker build -f infra/docker/worker.Dockerfile -t jvae-worker .
FROM nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl python3 make g++ \
 && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
COPY proto ./proto
COPY tools ./tools
# Workspaces too (npm ci installs every one the lock lists).
COPY test ./test
COPY bench ./bench
RUN npm ci --no-audit --no-fund && node -e "require('@tensorflow/tfjs-node-gpu')"
ENV JVAE_BACKEND=tensorflow
USER node
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]

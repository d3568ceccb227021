# A GPU worker: the jvae worker app with @tensorflow/tfjs-node-gpu 4.22, whose libtensorflow 2.9.1
# is built for CUDA 11.2 and cuDNN 8.1, hence this base (see infra/README.md for the GPUs it covers).
# Build from the repository root: docker build -f infra/docker/worker.Dockerfile -t jvae-worker .
FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04
ENV DEBIAN_FRONTEND=noninteractive
# Node 20, and the toolchain the tfjs-node-gpu install script may need to build its binding.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg python3 make g++ \
 && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
COPY proto ./proto
COPY tools ./tools
# Workspaces too (npm ci installs every one the lock lists); infra holds the drain hook.
COPY test ./test
COPY bench ./bench
COPY infra ./infra
# Optional dependencies included: the GPU binding's install script downloads libtensorflow here.
RUN npm ci --no-audit --no-fund --include=optional && node -e "require('@tensorflow/tfjs-node-gpu')"
# GPUs newer than the kernels libtensorflow carries JIT-compile its PTX at first use; a cache
# large enough to keep the results saves doing it again for every trial.
ENV JVAE_BACKEND=tensorflow CUDA_CACHE_MAXSIZE=4294967296
# The CUDA image has no unprivileged user of its own; this one matches the coordinator image's.
RUN useradd --create-home --uid 1000 node
USER node
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]

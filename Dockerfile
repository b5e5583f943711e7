# syntax=docker/dockerfile:1
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/opnsense-bgp-agent:<tag> --push .
# (README: Build the image.)

# Build: bundle the agent with esbuild. The bundle is plain JavaScript, the same for every target,
# so this stage runs on the build machine's own platform (no emulation for the arm64 image).
FROM --platform=$BUILDPLATFORM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: esbuild finds its binary in the @esbuild/<platform> optional dependency without them.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN npm run build

# Runtime: Node and the one bundle file (every dependency is inside it); no npm install, no secrets, non-root.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
# A 1 MB young generation: a few more minor GCs, tens of MB less RSS (see npm run bench).
ENV NODE_OPTIONS=--max-semi-space-size=1
# One glibc malloc arena instead of 8 per core: the agent has one JavaScript thread, and a second
# arena (touched by a V8 or libuv helper thread) held another 12 MB in about half the runs.
ENV MALLOC_ARENA_MAX=1
# Allocations of 32 KB and more (V8's parser and compiler zones) get their own mapping, returned to
# the OS when freed, instead of staying in glibc's heap: about 20 MB less RSS once started.
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=32768
WORKDIR /app
COPY --from=build /app/dist/main.js ./dist/main.js
# The CLI inside the pod: kubectl exec deploy/opnsense-bgp-agent -- opnsense-bgp-agent check
RUN ln -s /app/dist/main.js /usr/local/bin/opnsense-bgp-agent
USER 10001:10001
EXPOSE 8080
# --optimize-for-size: V8 grows the heap in smaller steps (more, shorter collections), which keeps
# the garbage of a 5,000-neighbor pass from piling up to a peak ~50 MB higher (see npm run bench).
# --no-sparkplug: no baseline machine code for every function that ran a little (−2 MB heap);
# the agent waits on I/O, and its hot loops are still optimized by Maglev and TurboFan.
# npm run bench reads these settings (ENV above, node arguments here) from this file.
ENTRYPOINT ["node", "--optimize-for-size", "--no-sparkplug", "/app/dist/main.js"]

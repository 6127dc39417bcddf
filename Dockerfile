# syntax=docker/dockerfile:1
#
# The Oversight collector image: `docker build -t oversight-collector .`
#
#   port     4318            OTLP/HTTP traces (/v1/traces), feedback (/v1/feedback),
#                            /healthz, /readyz, /metrics
#   volume   /data           /data/store: embedded ClickHouse (chdb) data
#                            /data/wal:   write-ahead log (spans accepted, not yet stored)
#   user     node (uid 1000), not root
#   env      OVERSIGHT_HOST=0.0.0.0  OVERSIGHT_PORT=4318
#            OVERSIGHT_DATA_DIR=/data/store  OVERSIGHT_WAL_DIR=/data/wal
#            OVERSIGHT_API_KEYS   key=project[,key2=project2] or a YAML/JSON key file
#            OVERSIGHT_INSECURE_DEV=1   accept spans without a key (local demos only)
#            CLICKHOUSE_URL / CLICKHOUSE_USER / CLICKHOUSE_PASSWORD   use a ClickHouse server
#            instead of the embedded store; every other flag of `oversight start --help`
#            has its OVERSIGHT_* variable.
#   command  oversight start  (the installed package's bin: dist/cli.js)
#
# The build stage packs the published workspaces exactly as `npm pack` does for
# npm; the runtime stage installs those tarballs, so the image runs what users
# install from the registry, with no sources, dev dependencies or tests.

FROM node:24-slim AS build
WORKDIR /src
COPY . .
# npm before 11 runs install scripts: onnxruntime-node would fetch CUDA libraries the collector never uses.
ENV ONNXRUNTIME_NODE_INSTALL=skip
RUN npm ci --no-audit --no-fund \
 && mkdir /tarballs \
 && npm pack --pack-destination /tarballs $(node scripts/build-packages.ts --list)

# The demo app of docker-compose.yml (`target: demo`): the RAG chatbot of
# examples/rag-support-bot on its built-in mock LLM, run from its TypeScript sources
# (Node 24 strips types outside node_modules) against the SDK installed from the
# same tarballs. Not the default target: `docker build .` builds the collector.
FROM node:24-slim AS demo
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /tarballs /tmp/tarballs
COPY examples/mock-llm examples/mock-llm
COPY examples/rag-support-bot examples/rag-support-bot
# Only the SDK and what it depends on; no collector (chdb), no optional ONNX runtime.
RUN echo '{"name":"oversight-demo-image","private":true,"type":"module"}' > package.json \
 && npm install --omit=dev --omit=optional --no-audit --no-fund \
      /tmp/tarballs/oversight-sdk-*.tgz /tmp/tarballs/oversight-conventions-*.tgz \
      /tmp/tarballs/oversight-scorers-*.tgz ./examples/mock-llm \
      "openai@$(node -p "require('./examples/rag-support-bot/package.json').dependencies.openai")" \
 && rm -rf /tmp/tarballs \
 && npm cache clean --force
USER node
CMD ["node", "examples/rag-support-bot/src/main.ts", "--forever", "--interval-ms", "2000"]

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    PATH=/app/node_modules/.bin:$PATH \
    OVERSIGHT_HOST=0.0.0.0 \
    OVERSIGHT_PORT=4318 \
    OVERSIGHT_DATA_DIR=/data/store \
    OVERSIGHT_WAL_DIR=/data/wal
WORKDIR /app
COPY --from=build /tarballs /tmp/tarballs
RUN echo '{"name":"oversight-collector-image","private":true}' > package.json \
 && npm install --omit=dev --no-audit --no-fund /tmp/tarballs/*.tgz \
 && rm -rf /tmp/tarballs \
 && npm cache clean --force \
 && mkdir -p /data/store /data/wal \
 && chown -R node:node /data
USER node
VOLUME /data
EXPOSE 4318
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.OVERSIGHT_PORT||4318)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["oversight", "start"]

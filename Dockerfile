# wa-gateway image (docs/DOCKER.md): the gateway and its dashboard, built with the same scripts
# as `make run` and the tests, run as a non-root user with its data in a volume.
#   docker build -t wa-gateway .
#   docker compose up -d            (PostgreSQL + the gateway; see docker-compose.yml)

# ---- build: Debian packages, dashboard, gateway (Release) ----
FROM debian:bookworm-slim AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN scripts/build-frontend.sh
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWA_BUILD_TESTS=OFF \
 && cmake --build build -j"$(nproc)"
# The runtime packages are read from what the binary links, not listed by hand.
RUN scripts/runtime-packages.sh build/bin/wa-gateway > build/runtime-packages.txt \
 && mkdir -p /out/bin /out/share/wa-gateway \
 && cp build/bin/wa-gateway /out/bin/ \
 && cp -r frontend/dist /out/share/wa-gateway/dashboard \
 && cp build/runtime-packages.txt /out/

# ---- runtime: the binary, the dashboard, the libraries it links ----
FROM debian:bookworm-slim AS runtime
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update -qq \
 && xargs -a /tmp/runtime-packages.txt apt-get install -y -qq --no-install-recommends ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin wagateway \
 && mkdir -p /data && chown wagateway:wagateway /data
# <exe>/../share/wa-gateway/dashboard is where the gateway looks for the dashboard.
COPY --from=build /out/bin/wa-gateway /opt/wa-gateway/bin/wa-gateway
COPY --from=build /out/share/wa-gateway /opt/wa-gateway/share/wa-gateway
ENV PORT=8080 \
    BIND_ADDRESS=0.0.0.0 \
    DATA_DIR=/data \
    LOG_FORMAT=json
VOLUME ["/data"]
WORKDIR /data
USER wagateway
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/health" >/dev/null || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/opt/wa-gateway/bin/wa-gateway"]

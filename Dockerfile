# A conventional multi-stage build. Untested on the development machines (no Docker engine runs
# there); see the README.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p credvault-api

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin credvault
COPY --from=build /src/target/release/credvault /usr/local/bin/credvault
USER credvault
ENV CREDVAULT_BIND=0.0.0.0:8080 CREDVAULT_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["credvault"]
CMD ["serve"]

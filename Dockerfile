# The credvault image: a release build of `credvault` on a slim Debian runtime, run as a non-root
# user. `make docker-test` builds it and checks that a container answers /healthz (see README).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# --locked: the image is built from exactly the dependency versions in Cargo.lock.
RUN cargo build --release --locked -p credvault-api --bin credvault

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

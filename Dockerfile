# syntax=docker/dockerfile:1
#
# Switchboard: one static binary (pure-Go SQLite, no cgo) on a distroless base, run as a
# non-root user. See docs/deploy.md.
#
#   docker build -t switchboard .
#   docker run -p 8080:8080 -v switchboard-data:/data switchboard
#
# cmd/switchboard/deploy_test.go checks this file: the build is static, the final stage is
# distroless and non-root, and the command's flags exist in the binary.

FROM golang:1.27-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# No cgo: modernc.org/sqlite is pure Go, so the binary needs no libc and runs on distroless.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/switchboard ./cmd/switchboard
# The data dir, owned by distroless's nonroot user (65532), so that a new volume mounted
# there is writable by it.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/switchboard /switchboard
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
# SQLite database and, unless SWITCHBOARD_KEYRING points elsewhere (it should in production:
# a secret mounted read-only), the generated keyring. With PostgreSQL
# (SWITCHBOARD_DATABASE_URL) nothing else is written here.
ENV SWITCHBOARD_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
# There is no shell or curl in this image for a HEALTHCHECK: probe GET /healthz (liveness)
# and GET /readyz (readiness: the database answers) on port 8080 from the orchestrator.
ENTRYPOINT ["/switchboard"]
CMD ["serve", "--addr", "0.0.0.0:8080"]

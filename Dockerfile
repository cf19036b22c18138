# syntax=docker/dockerfile:1
#
# taskapi: one image for both services. The ECS task definition's SERVICE
# (auth or task) picks the role; the same image is pushed to the design's
# two ECR repositories, auth-service and task-service (make ecs-push).
#
#   docker build --platform linux/amd64 -t taskapi:v1.0.0 .   # or linux/arm64 (Graviton)
#   docker run --rm -p 3000:3000 -e SQLITE_PATH=/tmp/taskapi.db taskapi:v1.0.0

# The Go release go.mod asks for (a test keeps the two equal).
ARG GO_VERSION=1.27.3

# Build on the builder's own platform and cross-compile: fast on any host.
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# Set by BuildKit from --platform: ecs-push passes linux/$ARCH, the task
# definitions' CpuArchitecture (amd64 is X86_64, arm64 is ARM64).
ARG TARGETOS TARGETARCH
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH:-amd64} \
    go build -trimpath -ldflags="-s -w -X taskapi/app.Version=${VERSION}" -o /out/taskapi ./cmd/taskapi

# The RDS CA bundle, for DB_SSLMODE=verify-full (the task definitions set
# DB_SSLROOTCERT to it). Fetched at build time from AWS over HTTPS and checked
# to be PEM certificates; another region partition has its own bundle URL.
ARG RDS_CA_BUNDLE_URL=https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
RUN curl -fsSL --retry 3 -o /out/rds-global-bundle.pem "$RDS_CA_BUNDLE_URL" \
    && grep -q "BEGIN CERTIFICATE" /out/rds-global-bundle.pem

# Runtime: no shell, no package manager; CA certificates and a nonroot
# user included. USER is numeric, the image's nonroot uid and gid, so that
# a runtime can tell it is not root without reading /etc/passwd; the ECS
# task definitions set the same User.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rds-global-bundle.pem /etc/ssl/certs/rds-global-bundle.pem
COPY --from=build /out/taskapi /taskapi
USER 65532:65532
EXPOSE 3000
# For docker run; ECS uses the task definition's identical health check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["/taskapi", "healthcheck"]
ENTRYPOINT ["/taskapi"]
CMD ["serve"]

# syntax=docker/dockerfile:1
#
# imgedge container image: Debian 12 (bookworm) with libvips 8.14 from Debian.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t imgedge .
#   docker run --rm -p 8080:8080 -e IMGPROXY_KEY=... -e IMGPROXY_SALT=... imgedge
#
# The runtime package list below is checked by deploy/dockerfile_test.go: every
# shared library the binary (and libvips' loadable modules) needs must come
# from these packages or their dependencies.

ARG VERSION=dev

############################ build ############################
FROM golang:1.26-bookworm AS build

RUN apt-get update \
 && apt-get install -y --no-install-recommends libvips-dev libexif-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
ARG VERSION
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/imgedge .

############################ runtime ############################
FROM debian:bookworm-slim AS runtime

# Runtime libraries only: libvips42 pulls in its codecs (libjpeg62-turbo,
# libpng16-16, libwebp7, libheif1 with aom/dav1d/x265, libjxl0.7, librsvg2-2,
# libtiff6, libcgif0 ...). jemalloc replaces glibc malloc (see docs/tuning.md).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libvips42 \
      libjemalloc2 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s "$(dpkg -L libjemalloc2 | grep -E '/libjemalloc\.so\.2$')" /usr/local/lib/libjemalloc.so.2 \
 && groupadd --system --gid 10001 imgedge \
 && useradd --system --uid 10001 --gid imgedge --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin imgedge

COPY --from=build /out/imgedge /usr/local/bin/imgedge

ARG VERSION
LABEL org.opencontainers.image.title="imgedge" \
      org.opencontainers.image.description="Fast, secure, imgproxy-compatible image server" \
      org.opencontainers.image.version="${VERSION}"

# jemalloc: background threads return freed memory to the OS without waiting
# for the next allocation; 5 s decay keeps RSS close to the working set.
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
    MALLOC_CONF=background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:5000 \
    IMGPROXY_BIND=:8080 \
    IMGPROXY_NETWORK=tcp \
    IMGPROXY_LOG_FORMAT=structured \
    IMGPROXY_TIMEOUT=10 \
    IMGPROXY_DOWNLOAD_TIMEOUT=5 \
    IMGPROXY_GRACEFUL_STOP_TIMEOUT=20 \
    IMGPROXY_MAX_SRC_RESOLUTION=50 \
    IMGPROXY_TTL=31536000

# Numeric so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8080
STOPSIGNAL SIGTERM

HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/imgedge","health"]

ENTRYPOINT ["/usr/local/bin/imgedge"]

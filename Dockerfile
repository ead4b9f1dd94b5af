# syntax=docker/dockerfile:1
# dancu: one static-ish binary and a data folder. Multi-stage: the build
# stage has Go and a C compiler (the analytics store links DuckDB through
# cgo); the runtime stage has only the C++ runtime DuckDB needs, no shell, and
# runs as an unprivileged user.
#
#   docker build -t dancu .
#   docker run -p 8080:8080 -v dancu-data:/var/lib/dancu dancu serve --demo
#
# Beyond a demo, the key file of the encryption at rest must live apart from
# the data volume (docs/operations.md): mount it and name it, e.g.
#   -v /secure/dancu.keys:/run/secrets/dancu.keys:ro -e DANCU_ENCRYPTION_KEY_FILE=/run/secrets/dancu.keys
#
# With PostgreSQL: -e DANCU_DB=postgres://... (see docs/deploy.md).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/dancu ./cmd/dancu \
 && mkdir -p /out/data

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/dancu /usr/local/bin/dancu
# The data folder holds personal data; the image's user owns it and no one
# else can enter it.
COPY --from=build --chown=nonroot:nonroot --chmod=0700 /out/data /var/lib/dancu
USER nonroot:nonroot
ENV DANCU_DATA=/var/lib/dancu \
    DANCU_ADDR=0.0.0.0:8080 \
    DANCU_LOG_FORMAT=json
VOLUME ["/var/lib/dancu"]
EXPOSE 8080
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/dancu"]
CMD ["serve"]

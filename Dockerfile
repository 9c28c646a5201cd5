# syntax=docker/dockerfile:1
# The same binary as `make build`: Leaflet from npm, cgo for SQLite, a small non-root image.

FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=assets /src/node_modules/leaflet/dist/leaflet.js /src/node_modules/leaflet/dist/leaflet.css static/vendor/leaflet/
COPY --from=assets /src/node_modules/leaflet/dist/images static/vendor/leaflet/images
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/apoportal ./server

FROM debian:bookworm-slim
# CA certificates: the national service and Meilisearch may be https; without them every
# probe fails and the status page shows a false outage (TestProbe_OverTLSTrustsTheSystemsCertificates).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/apoportal apoportal
COPY --from=build /out/apoportal /usr/local/bin/apoportal
USER apoportal
WORKDIR /var/lib/apoportal
ENV APOPORTAL_ADDR=0.0.0.0:8080 \
    APOPORTAL_DB=/var/lib/apoportal/apoportal.db
VOLUME /var/lib/apoportal
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD ["apoportal", "healthcheck"]
ENTRYPOINT ["apoportal"]
CMD ["serve"]

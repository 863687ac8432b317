# The image the Kubernetes manifests (deploy/k8s) run: one static binary,
# every role. Build: docker build -t gridrealm/realm:dev .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/realm ./cmd/realm

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/realm /usr/local/bin/realm

#!/bin/sh
# MinIO's image contract (`server /data`, MINIO_ROOT_USER, MINIO_ROOT_PASSWORD, port 9000,
# /minio/health/live), served by dagbox's own S3 server (s3rver with dagbox's signature check and
# multipart handling) on the machine's Node 20. This is not MinIO.
set -eu
case "${1:-}" in minio) shift ;; esac
exec /usr/local/bin/node /opt/dagbox/s3-server.mjs "$@"

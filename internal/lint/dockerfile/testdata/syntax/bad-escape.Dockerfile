# syntax=docker/dockerfile:1
# escape=x
FROM alpine:3.20

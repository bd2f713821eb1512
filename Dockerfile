# adrg as a container. Multi-stage: a Debian bookworm build stage with the -dev packages, a slim
# bookworm runtime stage with only the shared libraries (tools/packages.sh holds both lists).
#
#   docker build -t adrg .                                   # full build (compiles adrg)
#   docker build --build-arg PREBUILT=DIR -t adrg .   # binaries built already (DIR in the context)
#
# No registry here? Make the base locally first: tools/docker-base-image.sh, then add
# --network host --build-arg BASE=local/debian:bookworm --build-arg RUNTIME_BASE=local/debian:bookworm
#
# Run (see README "Docker install" and docker-compose.yml for why each flag is there):
#   docker run -d --name adrg --restart unless-stopped --stop-timeout 30 --cap-add SYS_RESOURCE \
#     --pid host --cgroupns host --network host -v /sys/fs/cgroup:/sys/fs/cgroup \
#     -v /var/run/docker.sock:/var/run/docker.sock -v /etc/adrg:/etc/adrg:ro \
#     -v /var/lib/adrg:/var/lib/adrg adrg
#
# adrg runs as root (no USER): the cgroup files it writes (cgroup.freeze, cpu.max, io.max,
# memory.high) belong to root on the host, and so does the Docker socket. Nothing else runs in
# the image.
ARG BASE=debian:bookworm
ARG RUNTIME_BASE=debian:bookworm-slim

# --- build: compiler and -dev packages, or only the prebuilt binaries --------------------------
FROM ${BASE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# A directory of the build context holding adrg and adrgctl built elsewhere (CI, a cross build):
# then nothing is installed or compiled here. (One stage for both: the classic builder builds
# every stage of the file, so a separate "prebuilt" stage would break the full build.)
ARG PREBUILT=""
COPY tools/packages.sh /src/tools/packages.sh
# hadolint ignore=SC1091,DL3008
RUN if [ -z "${PREBUILT}" ]; then \
      . /src/tools/packages.sh \
      && apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           "${build_packages[@]}"; \
    fi
COPY . /src
RUN if [ -n "${PREBUILT}" ]; then \
      install -D -m 0755 "/src/${PREBUILT}/adrg" /out/usr/sbin/adrg \
      && install -D -m 0755 "/src/${PREBUILT}/adrgctl" /out/usr/bin/adrgctl; \
    else \
      cmake -S /src -B /build -DCMAKE_BUILD_TYPE=Release -DADRG_BUILD_TESTS=OFF >/dev/null \
      && cmake --build /build -j"$(nproc)" --target adrg adrgctl \
      && DESTDIR=/out cmake --install /build --prefix /usr; \
    fi

# --- runtime: shared libraries, the default config and the two binaries ------------------------
FROM ${RUNTIME_BASE} AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Extra packages for special builds (the CI test image runs the ASan build: libasan8 libubsan1).
ARG EXTRA_PACKAGES=""
COPY tools/packages.sh /usr/share/adrg/packages.sh
# hadolint ignore=SC1091,DL3008
RUN . /usr/share/adrg/packages.sh \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${runtime_packages[@]}" ${EXTRA_PACKAGES} \
 && rm -rf /var/lib/apt/lists/*
COPY config/config.yaml /usr/share/adrg/config.yaml
COPY config/config.yaml /etc/adrg/config.yaml
# Logs go to stdout (docker logs); the journal of overrides lives in /var/lib/adrg: keep it on a
# volume so a restarted container undoes what a killed one left behind.
RUN sed -i 's|^  log_file: .*|  log_file: ""|' /etc/adrg/config.yaml \
 && mkdir -p /var/lib/adrg /run/adrg
COPY --from=build /out/usr/sbin/adrg /usr/sbin/adrg
COPY --from=build /out/usr/bin/adrgctl /usr/bin/adrgctl
VOLUME ["/var/lib/adrg"]
EXPOSE 8765
ENTRYPOINT ["/usr/sbin/adrg"]
CMD ["--config", "/etc/adrg/config.yaml"]
# adrgctl talks to the unix socket (/run/adrg/adrg.sock, the default) or else 127.0.0.1:8765: a
# config that disables the socket and moves the port makes this report unhealthy.
HEALTHCHECK --interval=30s --timeout=5s CMD ["/usr/bin/adrgctl", "status"]

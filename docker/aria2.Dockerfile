# aria2c for docker/compose.yaml: Debian's aria2, RPC on the compose network only, running as
# the same uid as torrusd so that either can manage the files in the shared downloads volume.
FROM debian:bookworm-slim
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends aria2 curl ca-certificates >/dev/null \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/aria2 aria2 \
    && mkdir -p /var/lib/aria2 /downloads \
    && chown aria2:aria2 /var/lib/aria2 /downloads
USER aria2
VOLUME ["/var/lib/aria2", "/downloads"]
EXPOSE 6800
# The secret comes from the environment; `sh -c` expands it (it never appears in the image).
ENTRYPOINT ["sh", "-c", "touch /var/lib/aria2/aria2.session && exec aria2c --no-conf --enable-rpc --rpc-listen-all=true --rpc-listen-port=6800 --rpc-secret=\"$ARIA2_SECRET\" --dir=/downloads --input-file=/var/lib/aria2/aria2.session --save-session=/var/lib/aria2/aria2.session --save-session-interval=1 --auto-file-renaming=false --max-concurrent-downloads=${ARIA2_MAX_CONCURRENT_DOWNLOADS:-5} --seed-ratio=${ARIA2_SEED_RATIO:-1.0} \"$@\"", "aria2c"]

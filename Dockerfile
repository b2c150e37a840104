# nemobot: the bot (Telegram, Discord) with the local engine built in by default.
#   docker build -t nemobot .                         # with the local ffmpeg engine
#   docker build --build-arg WITH_ENGINE=0 -t nemobot .   # cloud only (set NEMOBOT_BACKEND=cloud)
#   docker run -e TELEGRAM_TOKEN=... -v nemobot-data:/data nemobot
# Several processes (bot replicas, the engine's API, render workers, PostgreSQL, Caddy): compose.yaml,
# which runs this image as `nemobot telegram`, `nemobot engine --role api` and `nemobot engine --worker`.
FROM python:3.11-slim

ARG WITH_ENGINE=1
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    NEMOBOT_DB_PATH=/data/nemobot.db NEMOBOT_ENGINE_DATA_DIR=/data/engine \
    NEMOBOT_METRICS_PORT=9464 NEMOBOT_METRICS_HOST=0.0.0.0

RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-wqy-microhei fontconfig \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 nemobot \
 && mkdir /data /media && chown nemobot /data /media

WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY bots bots
COPY engine engine
COPY config config
# the pictures extra is an ffmpeg for contact sheets and thumbnails (the engine extra has it too)
RUN if [ "$WITH_ENGINE" = 1 ]; then pip install --no-cache-dir ".[engine]"; \
    else pip install --no-cache-dir ".[pictures]"; fi

USER nemobot
VOLUME ["/data"]
# 9464: health and metrics; 8443: the Telegram webhook; 8765: the engine (`nemobot engine`)
EXPOSE 9464 8443 8765
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"NEMOBOT_METRICS_PORT\"]}/healthz', timeout=4)"
CMD ["nemobot", "run"]

# Coproduce: one image for every role. The command picks the role (`webhook`, `worker` or `run`,
# see compose.yaml); the entrypoint applies the database migrations first.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the package is built from; the source is deleted once it is installed.
COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY dialogs /src/dialogs
COPY storage /src/storage
COPY locales /src/locales

# The package alone, without the dev extras. Catalogs are compiled here, as root, into the
# installed package: the bot only compiles a stale one on start, and it runs as a user who
# cannot write there. The second compile must find nothing stale.
RUN pip install /src \
    && rm -rf /src \
    && coproduce i18n compile \
    && test -z "$(coproduce i18n compile)"

RUN groupadd --system --gid 10001 coproduce \
    && useradd --system --uid 10001 --gid coproduce --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin coproduce \
    && mkdir -p /app/data \
    && chown coproduce:coproduce /app/data

COPY deploy/entrypoint.sh deploy/healthcheck.py /app/deploy/
RUN chmod 0755 /app/deploy/entrypoint.sh && chmod 0644 /app/deploy/healthcheck.py

WORKDIR /app
# In a container the servers listen on every interface of the container's own network.
ENV DATA_DIR=/app/data \
    WEBHOOK_HOST=0.0.0.0 \
    WEBHOOK_PORT=8080 \
    METRICS_HOST=0.0.0.0 \
    METRICS_PORT=9100
EXPOSE 8080 9100

USER 10001:10001

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]

ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["run"]

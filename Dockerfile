# The one image of the web and worker containers (docker-compose.yml). The web container's start-up is
# deploy/start-web.sh: migrate, check --deploy, gunicorn; static files are collected here and served by whitenoise.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# CJK fonts for the PDFs; HarfBuzz's subsetter keeps WeasyPrint fast; Pango is WeasyPrint's text layout;
# postgresql-client (15, like the db service) gives manage.py backup/restore pg_dump and pg_restore.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# A throwaway key: collectstatic signs nothing, and the real key must never be baked into the image.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

# A fixed uid, so files on shared storage (NFS media) belong to the same user on every machine. The media and
# backup folders exist in the image so new named volumes start out owned by that user.
RUN useradd --system --uid 10001 --home-dir /app jixiao \
    && mkdir -p /app/var/media /app/backups \
    && chown -R jixiao /app/var /app/backups
USER jixiao
ENV MEDIA_ROOT=/app/var/media BACKUP_DIR=/app/backups
EXPOSE 8000
CMD ["deploy/start-web.sh"]

# syntax=docker/dockerfile:1
# Ronghe (融和): one image for all five processes. The command picks the process:
#
#   docker run IMAGE serve gateway          # or resources | volunteers | events | reports
#   docker run IMAGE migrate all            # or migrate <process>: the migrations step
#
# i.e. ENTRYPOINT + CMD is exactly `python -m common.cli serve gateway`, the same
# command line that `make run`, docker-compose.yml and deploy/k8s use.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- build: a virtualenv with the pinned requirements ------------------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# A compiler only for the rare package without a wheel; it never reaches the final image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libpq-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install --prefer-binary -r /tmp/requirements.txt

# The application, byte-compiled at build time: the root filesystem is read-only at run time.
WORKDIR /app
COPY common/ common/
COPY config/ config/
COPY gateway/ gateway/
COPY services/ services/
# No tests in the image (nor common/testing.py, their fixtures' base: it imports pytest,
# which the image does not have).
RUN find /app -type d \( -name tests -o -name __pycache__ \) -prune -exec rm -rf {} + \
 && rm -f /app/common/testing.py \
 && /opt/venv/bin/python -m compileall -q /app /opt/venv/lib

# ---- runtime -------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="ronghe" \
      org.opencontainers.image.description="Ronghe (融和) community social-work services"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    BIND_HOST=0.0.0.0
# The CJK font the PDFs embed (periodic report, sign-in sheets): WenQuanYi Micro Hei, a
# TrueType font reportlab can embed (REPORT_FONT_FILE names another one if preferred).
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 ronghe \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
            --shell /usr/sbin/nologin ronghe
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
# Writable places: SQLite files (DB_URI default sqlite:///var/data/<process>.db, relative to
# /app) and /tmp. Mount volumes there when the root filesystem is read-only.
RUN mkdir -p /app/var/data /app/var/attachments && chown -R 10001:10001 /app/var
VOLUME ["/app/var/data"]
# The events service's evidence attachments (ATTACHMENTS_DIR): a persistent volume.
VOLUME ["/app/var/attachments"]
USER 10001:10001
# gateway 8000, resources 8001, volunteers 8002, events 8003, reports 8004
# (each serves GET /health and GET /metrics on its port)
EXPOSE 8000 8001 8002 8003 8004
# common.cli handles SIGTERM and SIGINT itself and stops within seconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "common.cli"]
CMD ["serve", "gateway"]

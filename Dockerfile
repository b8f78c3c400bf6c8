# One image for every service: docker run IMAGE <intake|investigation|notification|reporting>
# Migrations are a separate one-shot: docker run --entrypoint python IMAGE -m shared.migrate
# (compose.yaml and the Kubernetes Job do exactly that). Built by CI elsewhere, not on the development machine.

# The interpreter the test suite runs on; pin by digest (python:3.11.7-slim-bookworm@sha256:...) in your registry.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The dossier's PDF (reporting, WeasyPrint) needs Pango and a CJK font: Chinese must render and be extractable.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 fontconfig \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so a code change does not reinstall them. requirements.txt pins every package with ==,
# and all have wheels for this platform (psycopg2-binary, cryptography), so no compiler is needed.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY shared/ shared/
COPY services/ services/
COPY config/ config/

# An unprivileged user with a fixed uid: Kubernetes checks runAsNonRoot against the numeric USER.
RUN groupadd --system --gid 10001 complaints \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin complaints
USER 10001:10001

EXPOSE 8001 8002 8003 8004

ENTRYPOINT ["python", "-m", "shared.run"]

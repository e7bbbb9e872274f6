# The code location image: the project, its locked dependencies and the Java Spark needs.
# Used by the code-location, webserver and daemon services of docker-compose.yml.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
 && rm -rf /var/lib/apt/lists/*
ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_COMPILE_BYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/home \
    AWO_SPARK_JARS_CACHE=/opt/spark-jars

RUN pip install --no-cache-dir uv
WORKDIR /opt/app

# Dependencies first (cached layer), from the same lock file CI and the README use.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY adventureworks_orchestration ./adventureworks_orchestration
RUN uv sync --frozen --no-dev

COPY deploy/dagster.yaml deploy/workspace.yaml /opt/dagster/home/

# Two images from one file, both used by docker-compose.yml:
#   project (the default target): the code location, webserver and daemon: the project and its
#     locked dependencies, the Java Spark needs, and the S3A jars fetched at build time;
#   spark: the Spark master and workers: apache/spark matching pyspark, with the same S3A jars at
#     the same path, so executors load them from disk (AWO_SPARK_EXECUTOR_JARS_DIR).

FROM python:3.11-slim-bookworm AS base
# default-jre-headless is Java 17 on bookworm, and it provides /usr/lib/jvm/default-java on every
# architecture (amd64, arm64), unlike the arch-named java-17-openjdk-<arch> folder.
RUN apt-get update \
 && apt-get install -y --no-install-recommends default-jre-headless procps \
 && rm -rf /var/lib/apt/lists/*
ENV JAVA_HOME=/usr/lib/jvm/default-java \
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

# The S3A jars (~690 MB) from Maven Central, once per build of this layer: it depends on the lock
# file and this one script only, so code changes do not fetch them again. Ivy's own copy goes.
FROM base AS jars
COPY adventureworks_orchestration/resources/spark_jars.py /tmp/spark_jars.py
RUN python /tmp/spark_jars.py --cache /opt/spark-jars && rm -rf /opt/spark-jars/cache

FROM apache/spark:4.2.0 AS spark
COPY --from=jars /opt/spark-jars/jars /opt/spark-jars/jars

FROM base AS project
COPY --from=jars /opt/spark-jars /opt/spark-jars
COPY adventureworks_orchestration ./adventureworks_orchestration
RUN uv sync --frozen --no-dev
COPY deploy/dagster.yaml deploy/workspace.yaml /opt/dagster/home/

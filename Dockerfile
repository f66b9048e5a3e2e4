# The platform's image: the `tuoyu` command (API, relay, Faust worker) on Python 3.11.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tuoyu ./tuoyu
COPY alerts ./alerts
COPY docs ./docs
RUN pip install --no-cache-dir . && useradd --system --home /app tuoyu && mkdir -p /var/lib/tuoyu \
    && chown tuoyu /var/lib/tuoyu
USER tuoyu
ENV TUOYU_DATA_DIR=/var/lib/tuoyu
ENTRYPOINT ["tuoyu"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]

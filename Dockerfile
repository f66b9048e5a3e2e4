# The platform's image: the `tuoyu` command (API, relay, Faust worker) on Python 3.11.
FROM python:3.11-slim
# The monitoring report's PDF: WeasyPrint's Pango and HarfBuzz subsetter, and the Chinese fonts
# its stylesheet names (Noto Serif/Sans CJK SC). The same packages give the same PDF bytes.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
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

# The platform's image: the `tuoyu` command (API, relay, Faust worker) on Python 3.11.
# It installs the wheel the project builds, exactly what tests/e2e/test_installed_package.py
# installs into a clean virtualenv and runs: no source tree is copied into the final image.
# Debian 12 (bookworm), as where the project is developed: the report's PDF bytes depend on
# the system's Pango, HarfBuzz and fonts.
FROM python:3.11-slim-bookworm AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY tuoyu ./tuoyu
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
# The monitoring report's PDF: WeasyPrint's Pango and HarfBuzz subsetter, and the Chinese fonts
# its stylesheet names (Noto Serif/Sans CJK SC). The same packages give the same PDF bytes.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --home /var/lib/tuoyu tuoyu && mkdir -p /var/lib/tuoyu && chown tuoyu /var/lib/tuoyu
USER tuoyu
WORKDIR /var/lib/tuoyu
ENV TUOYU_DATA_DIR=/var/lib/tuoyu
ENTRYPOINT ["tuoyu"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]

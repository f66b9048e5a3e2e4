# The platform's image: the `tuoyu` command (API, relay, Faust worker) on Python 3.11.
# It installs the wheel the project builds, exactly what tests/e2e/test_installed_package.py
# installs into a clean virtualenv and runs: no source tree is copied into the final image.
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY tuoyu ./tuoyu
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --home /var/lib/tuoyu tuoyu && mkdir -p /var/lib/tuoyu && chown tuoyu /var/lib/tuoyu
USER tuoyu
WORKDIR /var/lib/tuoyu
ENV TUOYU_DATA_DIR=/var/lib/tuoyu
ENTRYPOINT ["tuoyu"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]

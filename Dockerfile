# One image for the worker (default command) and the API (`python -m starter api`).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 10001 app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p domain store runtime activities workflows starter \
    && touch worker.py domain/__init__.py store/__init__.py runtime/__init__.py \
       activities/__init__.py workflows/__init__.py starter/__init__.py \
    && pip install --no-cache-dir . \
    && pip uninstall --yes wl-provisioning

COPY worker.py ./
COPY domain domain
COPY store store
COPY runtime runtime
COPY activities activities
COPY workflows workflows
COPY starter starter
# devstack/ (the local stack of `make run`) stays out of the production image.
# Bytecode for the workflow modules, which the sandbox re-imports for every run.
RUN pip install --no-cache-dir --no-deps . && rm -rf /root/.cache \
    && python -m compileall -q workflows

USER app
EXPOSE 8000 9464
CMD ["python", "worker.py"]

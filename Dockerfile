# One image for the worker and the API (first sketch; see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
RUN useradd --create-home --uid 10001 app
COPY pyproject.toml README.md worker.py ./
COPY domain domain
COPY store store
COPY activities activities
COPY workflows workflows
COPY starter starter
RUN pip install --no-cache-dir .
USER app
CMD ["python", "worker.py"]

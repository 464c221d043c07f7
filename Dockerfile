FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY audit ./audit
COPY suppliers ./suppliers
COPY verification ./verification
COPY routing ./routing
COPY marketplace ./marketplace
COPY reviews ./reviews
COPY passports ./passports
COPY accounts ./accounts
COPY searches ./searches
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install --no-cache-dir '.[s3]' \
 && SECRET_KEY=build python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /var/lib/secondlife/media && chown app /var/lib/secondlife/media
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]

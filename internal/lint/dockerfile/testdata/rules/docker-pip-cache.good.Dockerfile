FROM python:3.12-slim AS app
COPY requirements.txt /tmp/
RUN pip install --no-cache-dir -r /tmp/requirements.txt
RUN --mount=type=cache,target=/root/.cache/pip pip install uvicorn
RUN PIP_NO_CACHE_DIR=1 python -m pip install gunicorn
RUN pip download --dest /wheels flask

FROM app
ENV PIP_NO_CACHE_DIR=1
RUN pip install flask
USER nobody

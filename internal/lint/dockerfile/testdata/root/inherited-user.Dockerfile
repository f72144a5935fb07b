FROM python:3.12-slim AS base
RUN useradd -m app
USER app

FROM base
COPY app.py /home/app/
CMD ["python3", "/home/app/app.py"]

FROM python:3.12-slim
USER 0:0
CMD ["python3"]

FROM registry.example.com/team/base:1.4
USER root
RUN pip install --no-cache-dir extra

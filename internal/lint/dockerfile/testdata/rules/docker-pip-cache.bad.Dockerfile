FROM python:3.12-slim
COPY requirements.txt /tmp/
RUN pip install -r /tmp/requirements.txt
RUN python3 -m pip install --upgrade pip && \
    pip3 --disable-pip-version-check install \
        uvicorn
RUN sudo -H pip install --user poetry
USER nobody

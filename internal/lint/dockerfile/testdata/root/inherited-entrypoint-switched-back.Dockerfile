FROM registry.example.com/team/base:1.4
USER app
RUN echo hi
# back to root for the runtime (no privilege-drop command is named here)
USER root

FROM Alpine:3.20
USER nobody

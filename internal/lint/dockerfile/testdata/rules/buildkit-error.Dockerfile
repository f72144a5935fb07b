# check=error=true
FROM alpine:3.20
ENV MODE prod
USER nobody
CMD ["sh"]

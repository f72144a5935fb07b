FROM alpine:3.20
COPY <<EOF /etc/app.conf
listen = 8080
EOF
COPY <<-EOT /etc/motd
	welcome
	EOT
COPY <<EOF /root/.npmrc
//registry.npmjs.org/:_authToken=${NPM_TOKEN}
EOF
COPY <<EOF /etc/app/extra.conf
token = xoxb-123456789012-abcdefghijkl
EOF
USER nobody

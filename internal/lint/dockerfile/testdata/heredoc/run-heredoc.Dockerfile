FROM python:3.12-slim
RUN <<EOF
apt-get update
apt-get install -y --no-install-recommends git
pip install -r requirements.txt || true
curl -fsSL https://example.com/install.sh | sh
EOF
RUN <<-EOT bash
	set -eux
	npm install -g pnpm || :
	EOT
USER nobody

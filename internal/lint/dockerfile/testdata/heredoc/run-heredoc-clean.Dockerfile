FROM python:3.12-slim
RUN <<EOF
set -e
apt-get update
apt-get install -y --no-install-recommends git
rm -rf /var/lib/apt/lists/*
pip install --no-cache-dir -r requirements.txt
true
EOF
RUN python3 <<EOF
import subprocess
# pip install flask || true  -- this is Python, not shell
subprocess.run(["pip", "--version"], check=True)
EOF
RUN <<EOF
#!/usr/bin/env python3
print("pip install flask || true")
EOF
RUN <<EOF
cat > /etc/motd <<'MOTD'
pip install nothing || true
curl https://example.com | sh
MOTD
echo done
EOF
USER nobody

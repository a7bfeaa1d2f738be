#!/usr/bin/env bash
# Starts clamd on loopback with a test signature database that catches the EICAR string
# anywhere in a file (official signatures cannot be downloaded here). Used by CI and by
# developers running the scanner suite: CLAMAV_HOST=127.0.0.1 CLAMAV_PORT=3310.
set -euo pipefail

dir="${CLAMD_DIR:-/tmp/chat-test-clamd}"
port="${CLAMAV_PORT:-3310}"
mkdir -p "$dir/db"

# The EICAR string, built from two halves so this file itself is not a test virus.
first='X5O!P%@AP[4\PZX54(P^)7CC)7}$'
second='EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
hex=$(printf '%s%s' "$first" "$second" | od -An -tx1 | tr -d ' \n')
printf 'Test.EICAR-NDB:0:*:%s\n' "$hex" > "$dir/db/test-eicar.ndb"

cat > "$dir/clamd.conf" <<CONF
DatabaseDirectory $dir/db
TCPSocket $port
TCPAddr 127.0.0.1
StreamMaxLength 20M
MaxFileSize 20M
MaxScanSize 50M
Foreground yes
LogFile $dir/clamd.log
PidFile $dir/clamd.pid
CONF

if printf 'zPING\0' | timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; cat >&3; head -c 4 <&3" 2>/dev/null | grep -q PONG; then
  echo "clamd already answers on 127.0.0.1:$port"
  exit 0
fi

clamd_bin=$(command -v clamd || echo /usr/sbin/clamd)
nohup "$clamd_bin" --config-file="$dir/clamd.conf" > "$dir/stdout.log" 2>&1 &
for _ in $(seq 1 60); do
  if printf 'zPING\0' | timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; cat >&3; head -c 4 <&3" 2>/dev/null | grep -q PONG; then
    echo "clamd answers on 127.0.0.1:$port"
    exit 0
  fi
  sleep 1
done
echo "clamd did not start; its log:" >&2
tail -n 30 "$dir/stdout.log" "$dir/clamd.log" >&2 || true
exit 1

#!/usr/bin/env bash
# A throw-away Samba AD DC on loopback, the real directory of the LDAP
# integration tests (see /work/shared/reference/samba-dc.md).
#
#   bash scripts/samba-dc.sh up   > samba.env && . ./samba.env
#   bash scripts/samba-dc.sh env  # the same export lines for a running DC
#   bash scripts/samba-dc.sh down # stop it and delete its directory
#   bash scripts/samba-dc.sh packages # the Debian packages up installs if missing
#
# up: installs Debian's Samba if missing (root or sudo), provisions realm
# TEST.EXAMPLE / domain TEST under $SAMBA_DC_DIR (default
# /tmp/entra8344-samba), starts `samba -F` with LDAP only (389/636/3268/3269
# on 127.0.0.1 and ::1), adds msDS-KeyCredentialLink to the 2012 R2 schema
# with Windows' schemaIDGUID, and prints `export SAMBA_DC_*=...` lines on
# stdout; logs go to stderr. It is idempotent: a DC of ours that already runs
# is reused; a foreign listener on port 389 is refused. The ports are fixed
# (Samba cannot change them), so there is one DC per network namespace.
#
# Knobs: SAMBA_DC_DIR (under /tmp), SAMBA_DC_WAIT (seconds to wait for LDAP,
# default 60).
set -euo pipefail

log() { printf '[samba-dc] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

D=${SAMBA_DC_DIR:-/tmp/entra8344-samba}
case "$D" in
/tmp/?*) ;;
*) die "SAMBA_DC_DIR must be a directory under /tmp (it is deleted by 'down'): $D" ;;
esac
case "$D" in *..* | *[[:space:]]*) die "SAMBA_DC_DIR must not contain '..' or spaces: $D" ;; esac
D=${D%/}

REALM=TEST.EXAMPLE
DOMAIN=TEST
BASE_DN=DC=test,DC=example
ADMIN_PASS=Passw0rd.Test1
ADMIN_DN="CN=Administrator,CN=Users,$BASE_DN"
ADMIN_UPN=Administrator@test.example
HOST=127.0.0.1
LDAP_URL=ldap://$HOST:389
PACKAGES=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules samba-vfs-modules winbind ldap-utils openssl)
WAIT=${SAMBA_DC_WAIT:-60}
T0=$(date +%s.%N)

elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

env_lines() {
	local pid=$1
	cat <<EOF
export SAMBA_DC_DIR=$(q "$D")
export SAMBA_DC_PID=$(q "$pid")
export SAMBA_DC_LDAP_URL=$(q "$LDAP_URL")
export SAMBA_DC_LDAPS_URL=$(q "ldaps://$HOST:636")
export SAMBA_DC_CA_CERT=$(q "$D/private/tls/ca.pem")
export SAMBA_DC_BASE_DN=$(q "$BASE_DN")
export SAMBA_DC_REALM=$(q "$REALM")
export SAMBA_DC_DOMAIN=$(q "$DOMAIN")
export SAMBA_DC_ADMIN_UPN=$(q "$ADMIN_UPN")
export SAMBA_DC_ADMIN_DN=$(q "$ADMIN_DN")
export SAMBA_DC_ADMIN_PASS=$(q "$ADMIN_PASS")
export SAMBA_DC_HOST=$(q "$HOST")
export SAMBA_DC_SMB_CONF=$(q "$D/etc/smb.conf")
EOF
}

# ours: is PID a samba process of this DC? Samba rewrites its command line
# ("samba: root process"), so go by its stdout, which up pointed (and every
# child inherits) at $D/samba.out.
ours() {
	[ "$(readlink "/proc/$1/fd/1" 2>/dev/null)" = "$D/samba.out" ]
}

# our_pid prints the PID of the samba root process of $D if it runs.
our_pid() {
	local pid
	[ -f "$D/samba.pid" ] || return 1
	pid=$(cat "$D/samba.pid")
	[[ $pid =~ ^[0-9]+$ ]] && ours "$pid" || return 1
	echo "$pid"
}

ldap_answers() {
	timeout 5 ldapsearch -x -LLL -H "$LDAP_URL" -b '' -s base defaultNamingContext >/dev/null 2>&1
}

port_389_taken() {
	timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/389" 2>/dev/null
}

show_logs() {
	local f
	for f in "$D/provision.log" "$D/samba.out" "$D/log/samba.log"; do
		[ -s "$f" ] || continue
		log "--- last lines of $f"
		tail -n 30 "$f" >&2
	done
}

install_packages() {
	local missing=() p sudo=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "packages missing (${missing[*]}) and this is not root: run as root or install them"
		sudo=(sudo)
	fi
	log "installing ${missing[*]} (apt)"
	export DEBIAN_FRONTEND=noninteractive
	local apt=("${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}")
	# apt-get update only when the lists are missing or too old to install from.
	if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || ! "${apt[@]}" >"/tmp/.samba-dc-apt.$$" 2>&1; then
		"${sudo[@]}" apt-get update -qq >&2
		"${apt[@]}" >"/tmp/.samba-dc-apt.$$" 2>&1 || {
			tail -n 20 "/tmp/.samba-dc-apt.$$" >&2
			rm -f "/tmp/.samba-dc-apt.$$"
			die "apt-get install failed"
		}
	fi
	rm -f "/tmp/.samba-dc-apt.$$"
	log "packages installed at $(elapsed) s"
}

# patch_conf rewrites [global]: LDAP only, simple bind on plain LDAP, schema
# updates, and every log/pid/socket/TLS path under $D.
patch_conf() {
	local conf=$D/etc/smb.conf
	grep -viE '^\s*(server services|ldap server require strong auth|dsdb:schema update allowed|ldb:nosync|log file|log level|pid directory|ncalrpc dir|winbindd socket directory|ntp signd socket directory|tls (enabled|keyfile|certfile|cafile))\s*=' \
		"$conf" >"$conf.new"
	awk -v d="$D" '
		{ print }
		/^\[global\]/ && !done {
			print "\tserver services = ldap"
			print "\tldap server require strong auth = no"
			print "\tdsdb:schema update allowed = true"
			# A throwaway DC needs no durability: no fsync per write
			# (lib/ldb-samba/ldb_wrap.c) makes creating test users ~2x faster.
			print "\tldb:nosync = true"
			print "\tlog file = " d "/log/samba.log"
			print "\tlog level = 1"
			print "\tpid directory = " d "/run"
			print "\tncalrpc dir = " d "/run/ncalrpc"
			print "\twinbindd socket directory = " d "/run/winbindd"
			print "\tntp signd socket directory = " d "/run/ntp_signd"
			print "\ttls enabled = yes"
			print "\ttls keyfile = tls/key.pem"
			print "\ttls certfile = tls/cert.pem"
			print "\ttls cafile = tls/ca.pem"
			done = 1
		}' "$conf.new" >"$conf"
	rm -f "$conf.new"
}

make_cert() {
	local tls=$D/private/tls
	mkdir -p "$tls"
	# Serial 1: Samba's own cert can get a negative serial, which Go refuses.
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -set_serial 1 \
		-subj /CN=dc1.test.example \
		-addext 'subjectAltName=DNS:dc1.test.example,DNS:localhost,IP:127.0.0.1,IP:::1' \
		-keyout "$tls/key.pem" -out "$tls/cert.pem" >/dev/null 2>&1 || die "openssl could not make the TLS cert"
	chmod 600 "$tls/key.pem"
	cp "$tls/cert.pem" "$tls/ca.pem"
}

# add_kcl extends the 2012 R2 schema by msDS-KeyCredentialLink (and its back
# link) exactly as Windows Server 2016 defines them: same attributeID,
# schemaIDGUID 5b47d60f-6090-40b2-9f37-2a4de88f3063, linkIDs 2220/2221.
add_kcl() {
	local s="CN=Schema,CN=Configuration,$BASE_DN"
	ldapmodify -x -H "$LDAP_URL" -D "$ADMIN_DN" -w "$ADMIN_PASS" >>"$D/schema.log" 2>&1 <<EOF || { cat "$D/schema.log" >&2; stop; die "msDS-KeyCredentialLink schema extension failed (DC stopped)"; }
dn: CN=ms-DS-Key-Credential-Link,$s
changetype: add
objectClass: top
objectClass: attributeSchema
cn: ms-DS-Key-Credential-Link
attributeID: 1.2.840.113556.1.4.2328
attributeSyntax: 2.5.5.7
isSingleValued: FALSE
linkID: 2220
showInAdvancedViewOnly: TRUE
adminDisplayName: ms-DS-Key-Credential-Link
oMObjectClass:: KoZIhvcUAQEBCw==
adminDescription: Contains key material and usage.
oMSyntax: 127
searchFlags: 0
lDAPDisplayName: msDS-KeyCredentialLink
schemaIDGUID:: D9ZHW5BgskCfNypN6I8wYw==
attributeSecurityGUID:: pm0CmzwNXEaL7lGZ1xZcug==
systemOnly: FALSE
systemFlags: 16

dn: CN=ms-DS-Key-Credential-Link-BL,$s
changetype: add
objectClass: top
objectClass: attributeSchema
cn: ms-DS-Key-Credential-Link-BL
attributeID: 1.2.840.113556.1.4.2329
attributeSyntax: 2.5.5.1
isSingleValued: FALSE
linkID: 2221
showInAdvancedViewOnly: TRUE
adminDisplayName: ms-DS-Key-Credential-Link-BL
oMObjectClass:: KwwCh3McAIVK
oMSyntax: 127
searchFlags: 0
lDAPDisplayName: msDS-KeyCredentialLink-BL
schemaIDGUID:: iNeKk18i7k6Tua0koVnh2w==
systemOnly: FALSE
systemFlags: 17

dn:
changetype: modify
add: schemaUpdateNow
schemaUpdateNow: 1
-

dn: CN=User,$s
changetype: modify
add: mayContain
mayContain: msDS-KeyCredentialLink
-

dn: CN=Top,$s
changetype: modify
add: mayContain
mayContain: msDS-KeyCredentialLink-BL
-

dn:
changetype: modify
add: schemaUpdateNow
schemaUpdateNow: 1
-
EOF
}

up() {
	local pid
	exec 9>"$D.lock"
	flock -w 120 9 || die "another samba-dc.sh holds $D.lock"
	if pid=$(our_pid); then
		if [ -s "$D/env" ] && ldap_answers; then
			log "reusing the running DC (pid $pid, $D)"
			cat "$D/env"
			return 0
		fi
		log "a DC of ours (pid $pid) runs but is not ready or incomplete: restarting it"
		stop
	fi
	if port_389_taken; then
		[ -d "$D" ] || rm -f "$D.lock"
		die "something else listens on $HOST:389 (not the DC under $D); stop it, or run in a private network namespace: unshare -n bash -c 'ip link set lo up; ...'"
	fi
	install_packages
	rm -rf "$D"
	mkdir -p "$D/log" "$D/run"
	log "provisioning $REALM under $D"
	samba-tool domain provision --targetdir="$D" \
		--realm="$REALM" --domain="$DOMAIN" --host-name=dc1 --host-ip="$HOST" \
		--adminpass="$ADMIN_PASS" --server-role=dc --dns-backend=NONE \
		--base-schema=2012_R2 --function-level=2008_R2 \
		--option='interfaces = lo' --option='bind interfaces only = yes' \
		</dev/null >"$D/provision.log" 2>&1 || { show_logs; die "samba-tool domain provision failed"; }
	patch_conf
	make_cert
	log "provisioned at $(elapsed) s; starting samba"
	samba -s "$D/etc/smb.conf" -F --debug-stdout </dev/null >"$D/samba.out" 2>&1 9>&- &
	pid=$!
	echo "$pid" >"$D/samba.pid"
	local deadline=$((SECONDS + WAIT))
	until ldap_answers; do
		if ! kill -0 "$pid" 2>/dev/null; then
			show_logs
			die "samba (pid $pid) exited before LDAP answered"
		fi
		if [ $SECONDS -ge $deadline ]; then
			show_logs
			stop
			die "LDAP on $LDAP_URL did not answer within $WAIT s"
		fi
		sleep 0.1
	done
	log "LDAP answers at $(elapsed) s; adding msDS-KeyCredentialLink to the schema"
	add_kcl
	env_lines "$pid" >"$D/env"
	cat "$D/env"
	log "up in $(elapsed) s (pid $pid)"
}

# stop ends our samba (SIGTERM to the root process, which stops its
# children), then any straggler of this DC.
stop() {
	local pid p i
	if pid=$(our_pid); then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "samba (pid $pid) ignored SIGTERM for 10 s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	[ -d "$D" ] || return 0
	# One ls for all processes (a readlink per process is slow).
	for p in $(ls -l /proc/[0-9]*/fd/1 2>/dev/null |
		awk -v t="$D/samba.out" '$NF == t { split($(NF - 2), a, "/"); print a[3] }'); do
		log "killing leftover samba process $p"
		kill -KILL "$p" 2>/dev/null || true
	done
}

down() {
	exec 9>"$D.lock"
	flock -w 120 9 || die "another samba-dc.sh holds $D.lock"
	stop
	rm -rf "$D"
	rm -f "$D.lock"
	log "down in $(elapsed) s"
}

case "${1:-}" in
up) up ;;
env)
	if ! our_pid >/dev/null || [ ! -s "$D/env" ]; then
		die "no DC of ours runs under $D (run: bash $0 up)"
	fi
	cat "$D/env"
	;;
down) down ;;
packages) echo "${PACKAGES[*]}" ;;
*)
	echo "usage: $0 up|env|down|packages" >&2
	exit 2
	;;
esac

# shellcheck shell=bash
# scripts/chroot.sh: Debian chroots for the other PostgreSQL majors, used by
# scripts/versions.sh (make test-versions).  Sourced, never run; needs root.
#
# A chroot is a folder under $CF_CHROOT_CACHE (default
# /var/cache/cloudflare_fdw/chroots, outside the checkout so that later runs,
# other clones and CI on the same machine reuse it), made by debootstrap from
# the mirror apt already uses, then given packages with apt-get inside.  A
# stamp file records the packages installed; a chroot is reused as long as
# its stamp names every package asked for.
#
#   cf_chroot_ensure NAME SUITE PKG...   make (or reuse) $CF_CHROOT_CACHE/NAME
#   cf_chroot_mount DIR                  proc, /dev, /dev/pts, a tmpfs /dev/shm
#   cf_chroot_run DIR CMD...             CMD inside, clean environment, no stdin
#   cf_chroot_umount DIR                 stops what still runs inside, unmounts
#
# Inside, policy-rc.d forbids starting services and create_main_cluster =
# false keeps Debian's postinst from making a cluster: the test bed makes its
# own throwaway one, as on the host.

CF_CHROOT_CACHE="${CF_CHROOT_CACHE:-/var/cache/cloudflare_fdw/chroots}"

# The mirror apt uses here (deb822 or one-line sources), or Debian's own.
cf_chroot_mirror() {
	local uri
	uri="$(sed -n -E 's/^URIs:[[:space:]]*([^[:space:]]+).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v -e security -e nodesource -e google | head -n 1 || true)"
	if [[ -z "$uri" ]]; then
		uri="$(sed -n -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+.*/\2/p' \
			/etc/apt/sources.list 2>/dev/null | grep -v security | head -n 1 || true)"
	fi
	printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# debootstrap knows trixie by name; bookworm's debootstrap has no script for
# forky (Debian testing), which is made like sid.
cf_chroot_script() {
	if [[ -e "/usr/share/debootstrap/scripts/$1" ]]; then
		printf '%s\n' "$1"
	else
		printf '%s\n' /usr/share/debootstrap/scripts/sid
	fi
}

cf_chroot_mounted() {
	awk -v d="$1" '$2 == d { found = 1 } END { exit !found }' /proc/self/mounts
}

cf_chroot_mount() {
	local dir="$1"
	cf_chroot_mounted "$dir/proc" || mount -t proc proc "$dir/proc"
	cf_chroot_mounted "$dir/dev" || mount --bind /dev "$dir/dev"
	cf_chroot_mounted "$dir/dev/pts" || mount --bind /dev/pts "$dir/dev/pts"
	# PostgreSQL's dynamic shared memory lives in /dev/shm: a tmpfs of the
	# chroot's own, not the host's.
	cf_chroot_mounted "$dir/dev/shm" || mount -t tmpfs -o mode=1777,size=1g tmpfs "$dir/dev/shm"
	cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
	# Extra CA certificates of this machine (npm over https needs them).
	if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
		mkdir -p "$dir/usr/local/share/ca-certificates"
		cp /usr/local/share/ca-certificates/* "$dir/usr/local/share/ca-certificates/"
	fi
}

# The pids whose root is DIR.
cf_chroot_pids() {
	local dir p root
	dir="$(cd "$1" && pwd -P)"
	for p in /proc/[0-9]*; do
		root="$(readlink "$p/root" 2>/dev/null)" || continue
		[[ "$root" == "$dir" ]] && printf '%s\n' "${p#/proc/}"
	done
	return 0
}

cf_chroot_umount() {
	local dir="$1" pids i m
	mapfile -t pids < <(cf_chroot_pids "$dir")
	if ((${#pids[@]})); then
		cf_warn "stopping ${#pids[@]} processes still running in $dir"
		kill -TERM "${pids[@]}" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			mapfile -t pids < <(cf_chroot_pids "$dir")
			((${#pids[@]})) || break
			sleep 0.2
		done
		((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2>/dev/null || true
		sleep 0.5
		mapfile -t pids < <(cf_chroot_pids "$dir")
		if ((${#pids[@]})); then
			cf_warn "not unmounting $dir: processes ${pids[*]} still run inside"
			return 1
		fi
	fi
	for m in dev/shm dev/pts dev proc; do
		if cf_chroot_mounted "$dir/$m"; then
			umount "$dir/$m" || umount -l "$dir/$m" || true
		fi
	done
}

# cf_chroot_run DIR CMD...: CMD inside DIR as root, with a clean environment
# (plus CI and the variables named in CF_CHROOT_PASS), from /.
cf_chroot_run() {
	local dir="$1" v
	shift
	local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive TMPDIR=/tmp)
	[[ -z "${CI:-}" ]] || envs+=("CI=$CI")
	for v in ${CF_CHROOT_PASS:-}; do
		[[ -n "${!v:-}" ]] && envs+=("$v=${!v}")
	done
	chroot "$dir" /usr/bin/env -i "${envs[@]}" "$@" </dev/null
}

# cf_chroot_ensure NAME SUITE PKG...: the chroot $CF_CHROOT_CACHE/NAME of
# Debian SUITE with PKG... installed.  Made when missing (about 3 minutes and
# 2 GB), topped up when the stamp lacks a package, else reused as it is.
cf_chroot_ensure() {
	local name="$1" suite="$2"
	shift 2
	local dir="$CF_CHROOT_CACHE/$name" stamp want p missing=()
	stamp="$dir/.cloudflare_fdw-packages"
	command -v debootstrap >/dev/null 2>&1 || {
		cf_log "installing debootstrap"
		apt-get install -y -q --no-install-recommends debootstrap </dev/null >/dev/null ||
			{ apt-get update -q </dev/null >/dev/null && apt-get install -y -q --no-install-recommends debootstrap </dev/null >/dev/null; } ||
			cf_die "could not install debootstrap"
	}
	if [[ ! -f "$dir/.cloudflare_fdw-base" ]]; then
		rm -rf -- "$dir.partial"
		mkdir -p "$CF_CHROOT_CACHE"
		cf_log "debootstrap $suite into $dir (first time only)"
		debootstrap --variant=minbase "$suite" "$dir.partial" "$(cf_chroot_mirror)" \
			"$(cf_chroot_script "$suite")" >"$CF_CHROOT_CACHE/$name.debootstrap.log" 2>&1 || {
			tail -n 20 "$CF_CHROOT_CACHE/$name.debootstrap.log" >&2
			cf_die "debootstrap of $suite failed (log: $CF_CHROOT_CACHE/$name.debootstrap.log)"
		}
		printf '#!/bin/sh\nexit 101\n' >"$dir.partial/usr/sbin/policy-rc.d"
		chmod 0755 "$dir.partial/usr/sbin/policy-rc.d"
		mkdir -p "$dir.partial/etc/postgresql-common"
		printf 'create_main_cluster = false\n' >"$dir.partial/etc/postgresql-common/createcluster.conf"
		touch "$dir.partial/.cloudflare_fdw-base"
		rm -rf -- "$dir"
		mv "$dir.partial" "$dir"
	fi
	# The mirror may be a dated snapshot whose Release files have expired
	# (testing's are valid for a week): take them as they are.
	printf 'Acquire::Check-Valid-Until "false";\n' >"$dir/etc/apt/apt.conf.d/99cloudflare-fdw"
	for p in "$@"; do
		grep -qxF -- "$p" "$stamp" 2>/dev/null || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	cf_log "installing into $name: ${missing[*]}"
	cf_chroot_mount "$dir"
	if ! cf_chroot_run "$dir" sh -c 'apt-get update -q >/dev/null &&
		apt-get install -y -q --no-install-recommends "$@" >/var/log/cloudflare_fdw-apt.log 2>&1 &&
		{ ! command -v update-ca-certificates >/dev/null || update-ca-certificates >/dev/null 2>&1; }' \
		sh "${missing[@]}"; then
		tail -n 20 "$dir/var/log/cloudflare_fdw-apt.log" >&2 || true
		cf_chroot_umount "$dir" || true
		cf_die "apt-get install in $name failed"
	fi
	cf_chroot_umount "$dir" || true
	touch "$stamp"
	printf '%s\n' "$@" | sort -u - "$stamp" >"$stamp.new"
	mv "$stamp.new" "$stamp"
}

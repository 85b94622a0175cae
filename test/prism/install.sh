# test/prism/install.sh: sourced by test/prism/run.sh and test/contract/run.sh.
#
# prism_install: makes sure "$CACHE" holds @stainless-api/prism-cli at
# "$PRISM_VERSION" (npm install into it when not), and sets PRISM to its
# binary.  Uses the caller's CACHE, PRISM_VERSION and WORK (for npm's log)
# and the caller's log and die.

prism_installed_version() {
	node -e 'process.stdout.write(require(process.argv[1]).version)' \
		"$CACHE/node_modules/@stainless-api/prism-cli/package.json" 2>/dev/null
}

prism_install() {
	PRISM="$CACHE/node_modules/.bin/prism"
	if [[ ! -x "$PRISM" || "$(prism_installed_version)" != "$PRISM_VERSION" ]]; then
		log "installing @stainless-api/prism-cli@$PRISM_VERSION into $CACHE"
		mkdir -p "$CACHE"
		npm install --prefix "$CACHE" --no-audit --no-fund "@stainless-api/prism-cli@$PRISM_VERSION" \
			</dev/null >"$WORK/npm.log" 2>&1 || {
			tail -n 20 "$WORK/npm.log" >&2
			die "npm install of @stainless-api/prism-cli@$PRISM_VERSION failed"
		}
	fi
	[[ -x "$PRISM" ]] || die "prism is missing from $CACHE after npm install"
	[[ "$(prism_installed_version)" == "$PRISM_VERSION" ]] || die "prism-cli in $CACHE is not $PRISM_VERSION"
}

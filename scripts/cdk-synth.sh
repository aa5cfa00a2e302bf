#!/usr/bin/env bash
# `npm run synth -- -c gatepass:config=<file> [-c gatepass:apiType=rest ...]`: synthesize every gatepass stack
# offline, with no AWS credentials, and print each template. `cdk synth` alone prints
# nothing when an app has more than one stack, so this synthesizes once into cdk.out and
# then prints each stack from that cloud assembly (no second run of the app).
set -euo pipefail
cd "$(dirname "$0")/.."
export CDK_DISABLE_VERSION_CHECK=1 AWS_EC2_METADATA_DISABLED=true

usage() {
  cat <<'USAGE'
usage: npm run synth -- -c gatepass:config=<file> [-c <key>=<value> ...]
  synthesizes every gatepass stack offline (no AWS credentials) into cdk.out and prints each template
  -c, --context <key>=<value>  CDK context, repeatable: gatepass:config=<file>, gatepass:apiType=rest, ...
                               (the gatepass:* keys are in infra/deployment-settings.ts; gatepass:config is
                               required: try infra/gatepass.config.example.json; an unknown gatepass:* key fails)
USAGE
}

# Options are checked before cdk runs: cdk only warns about one it does not know, and --help must write nothing.
context=()
while (($# > 0)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    -c | --context)
      if (($# < 2)); then echo "$1 needs a <key>=<value>" >&2; usage >&2; exit 2; fi
      context+=("$1" "$2"); shift 2 ;;
    --context=*) context+=("$1"); shift ;;
    *) echo "unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

# ${context[@]+...}: an empty array under `set -u` is an error in bash before 4.4 (macOS ships 3.2).
npx cdk synth --no-notices --quiet ${context[@]+"${context[@]}"}
for stack in $(npx cdk list --no-notices --app cdk.out); do
  echo "# ---- ${stack} ----"
  npx cdk synth --no-notices --app cdk.out "${stack}"
done

#!/usr/bin/env bash
# `npm run synth [-- -c gatepass:apiType=rest ...]`: synthesize every gatepass stack
# offline, with no AWS credentials, and print each template. `cdk synth` alone prints
# nothing when an app has more than one stack, so this synthesizes once into cdk.out and
# then prints each stack from that cloud assembly (no second run of the app).
set -euo pipefail
cd "$(dirname "$0")/.."
export CDK_DISABLE_VERSION_CHECK=1 AWS_EC2_METADATA_DISABLED=true

npx cdk synth --no-notices --quiet "$@"
for stack in $(npx cdk list --no-notices --app cdk.out); do
  echo "# ---- ${stack} ----"
  npx cdk synth --no-notices --app cdk.out "${stack}"
done

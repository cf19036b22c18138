#!/usr/bin/env bash
# Print the API's base URL (the ALB's DNS name, https:// with a certificate).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

need_cmd aws
url="$(stack_output services ServiceUrl)"
echo "$url"
say "try: curl $url/health"

# The fleet totals computed by jq, for bench/summarize-compare.sh: newest
# verdict per server (client + computer + DNS domain, names compared
# case-insensitively; on a tie the later input wins), then servers by status
# and by finding kind. Run as: jq -n -c -f bench/summarize-totals.jq FILE
reduce inputs as $v ({};
  ($v.labels.client + "\u0000" + ($v.host.computer | ascii_downcase) + "\u0000" + ($v.host.dns_domain | ascii_downcase)) as $k
  | if .[$k] == null or .[$k].t <= ($v.generated_at | fromdateiso8601)
    then .[$k] = {t: ($v.generated_at | fromdateiso8601), s: $v.status, f: ([$v.findings[].kind] | unique)}
    else . end)
| [.[]] as $hosts
| {
    hosts: ($hosts | length),
    by_status: (reduce $hosts[] as $h ({}; .[$h.s] += 1)),
    by_finding_kind: (reduce ($hosts[] | .f[]) as $k ({}; .[$k] += 1))
  }

#!/bin/bash
# Kube-OVN installed after vipcast (tests/e2e/kubelab.sh, one node): the test control plane
# without kubeovn.io, its API server auditing the requests of the speaker's and the controller's
# ServiceAccounts (deploy/rbac), the controller and one speaker with kube-ovn-speaker's flags
# against BIRD (AS 64512, iBGP). Once both are ready, the Subnet CRD and a Subnet (cidrBlock
# holding the controller's pool, enableExternalLBAddress with excludeIps that do not cover the
# pool, ovn.kubernetes.io/bgp "true") are installed, and within seconds (no 120 s poll):
#   - both log that kubeovn.io/v1 is served and watch Subnets;
#   - the speaker announces the Subnet's CIDR to BIRD;
#   - the controller takes back the address it gave a Service from that pool before, with a
#     ClearAssignment Event naming the Subnet.
# While kubeovn.io is absent each daemon watches the CRD by name (deploy/rbac allows it: the
# list succeeds) and asked discovery (GET /apis/kubeovn.io) once, at start: the audit log says so.
# VIPCAST_E2E_ABSENT_S=130 keeps kubeovn.io absent that long first (more than the old 120 s poll).
#
# Usage: test_kube_ovn_late.sh BUILD_DIR
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/kubelib.sh"
kube_require kube_ovn_late
. "$(dirname "$0")/lib.sh"
e2e_init kovl "$1" openssl curl tac bird birdc python3
. "$(dirname "$0")/kubelab.sh"
KDIR=$E2E_TMP/kube
e2e_diag_extra() { kubelab_diag; }
[ -x "$CONTROLLER" ] || die "$CONTROLLER is not built"

N1=192.0.2.11
RIB="bird_rib rtr"
NET=198.18.20 SUBNET=late POOL=late-pool SVC=early
SPK_USER=system:serviceaccount:$KL_SYS:vipcast-speaker
CTL_USER=system:serviceaccount:$KL_SYS:vipcast-controller

scenario "control plane without kubeovn.io, controller and speaker"
ns_add rtr n1
lan_add lan
kubelab_api_port lan
lan_attach lan rtr eth0 192.0.2.1/24
lan_attach lan n1 eth0 "$N1/24" "$KL_NET.11/24"
kubelab_control_plane
kube_audit "users: [\"$SPK_USER\", \"$CTL_USER\"]"
kc create namespace "$KL_NS" >/dev/null
wait_until 20 kc -n "$KL_NS" get serviceaccount default || die "no default ServiceAccount in $KL_NS"
cfg_node node1 "$N1" | kc apply -f - >/dev/null || die "Node"
kubelab_bird 192.0.2.1 a rtr
{
	cfg_pool "$POOL" "$NET.200-$NET.220"
	cfg_adv adv "pools=$POOL"
} | kc apply -f - >/dev/null || die "pool"
kubelab_service "$SVC" Cluster
kubelab_controller
kubelab_speaker 1 --neighbor-address=192.0.2.1 --neighbor-as=64512 --cluster-as=64512 --holdtime=6s
require_within 30 "the speaker is ready (/readyz 200)" eval '[ "$(speaker_probe 1 /readyz)" = 200 ]'
require_within 20 "BIRD has node1 Established" bird_established rtr anode1
require_within 20 "the controller gives $SVC an address from $POOL" eval '[ -n "$(svc_ip "$SVC")" ]'
IP=$(svc_ip "$SVC")
controller_says() { grep -qE "$1" "$E2E_TMP/controller.log"; }
# says WHO ERE -> the log of the speaker or the controller holds ERE
says() { if [ "$1" = speaker ]; then speaker_says 1 "$2"; else controller_says "$2"; fi; }
for who in speaker controller; do
	check "$who: kubeovn.io absent, it watches the CRD subnets.kubeovn.io" \
		says "$who" 'kubeovn.io/v1 is not served: watching the CustomResourceDefinition subnets.kubeovn.io'
	check "$who: deploy/rbac lets it list that CRD by name" says "$who" 'customresourcedefinitions: listed 0 objects'
	check "$who: and watch it (no 403)" not says "$who" 'customresourcedefinitions: (list|watch) failed'
done
if [ "${VIPCAST_E2E_ABSENT_S:-0}" -gt 0 ]; then
	log "kubeovn.io absent for $VIPCAST_E2E_ABSENT_S s"
	sleep "$VIPCAST_E2E_ABSENT_S"
fi

# discoveries USER T0 T1 -> how many GET /apis/kubeovn.io USER sent in [T0, T1) (audit log)
discoveries() {
	$E2E_PY - "$E2E_TMP/audit.log" "$1" "$2" "$3" <<'EOF'
import datetime, json, sys
log, user, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
n = 0
for line in open(log):
    e = json.loads(line)
    if e.get("user", {}).get("username") != user or e.get("verb") != "get":
        continue
    if e.get("requestURI", "").split("?")[0].rstrip("/") != "/apis/kubeovn.io":
        continue
    t = datetime.datetime.strptime(e["requestReceivedTimestamp"][:26].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    n += t0 <= t.replace(tzinfo=datetime.timezone.utc).timestamp() < t1
print(n)
EOF
}
T_ABSENT=$(date +%s.%N)
check "speaker: one discovery while kubeovn.io was absent (audit log; got $(discoveries "$SPK_USER" 0 "$T_ABSENT"))" \
	[ "$(discoveries "$SPK_USER" 0 "$T_ABSENT")" = 1 ]
check "controller: one discovery while kubeovn.io was absent (got $(discoveries "$CTL_USER" 0 "$T_ABSENT"))" \
	[ "$(discoveries "$CTL_USER" 0 "$T_ABSENT")" = 1 ]

scenario "kubeovn.io installed late"
t0=$(now)
kube_subnet_crd
kc apply -f - >/dev/null <<EOF || die "Subnet $SUBNET"
apiVersion: kubeovn.io/v1
kind: Subnet
metadata:
  name: $SUBNET
  annotations: {ovn.kubernetes.io/bgp: "true"}
spec:
  protocol: IPv4
  cidrBlock: $NET.0/24
  provider: ovn
  enableExternalLBAddress: true
  excludeIps: ["$NET.200..$NET.210"]
EOF
log "CRD established and Subnet $SUBNET written in $(elapsed "$t0") s"
check_within 10 "speaker: kubeovn.io/v1 is served, it watches Subnets" speaker_says 1 'kubeovn.io/v1 is served: watching Subnets'
check_within 10 "controller: kubeovn.io/v1 is served, it watches Subnets" controller_says 'kubeovn.io/v1 is served: watching Subnets'
check_within 10 "the speaker announces Subnet $SUBNET's $NET.0/24 (ovn.kubernetes.io/bgp) to BIRD" \
	paths_are "$RIB" "$NET.0/24" "$N1"
# event_says REASON TEXT -> an Event of that reason on the Service says TEXT
event_says() {
	kc -n "$KL_NS" get events --field-selector "reason=$1,involvedObject.name=$SVC" \
		-o jsonpath='{range .items[*]}{.message}{"\n"}{end}' 2>/dev/null | grep -qF "$2"
}
check_within 10 "the controller takes $IP back: $POOL is not all in the Subnet's excludeIps (ClearAssignment)" \
	event_says ClearAssignment "is not all in the excludeIps of Kube-OVN Subnet $SUBNET"
check_within 5 "and $SVC has no address" eval '[ -z "$(svc_ip "$SVC")" ]'
log "discoveries after the CRD: speaker $(discoveries "$SPK_USER" "$T_ABSENT" "$(date +%s.%N)"), controller $(discoveries "$CTL_USER" "$T_ABSENT" "$(date +%s.%N)")"
e2e_finish

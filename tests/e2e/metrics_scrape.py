"""Scrapes a Prometheus endpoint and parses the whole text with the reference
parser (prometheus_client, Debian python3-prometheus-client).

usage: metrics_scrape.py URL
Prints one line per family, "type NAME TYPE", and one per sample,
"NAME{k="v",...} VALUE" with labels sorted. Exit 2: the request failed or the
Content-Type is not text format 0.0.4; 3: the text does not parse; 4: the
module is missing.
"""
import sys
import urllib.request

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("metrics_scrape: the prometheus_client module is missing (python3-prometheus-client)", file=sys.stderr)
    sys.exit(4)


def main():
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
            ctype = r.headers.get("Content-Type", "")
            text = r.read().decode("utf-8")
    except Exception as e:  # noqa: BLE001 - any failure is a failed scrape
        print(f"metrics_scrape: {e}", file=sys.stderr)
        sys.exit(2)
    if "version=0.0.4" not in ctype or not ctype.startswith("text/plain"):
        print(f"metrics_scrape: Content-Type {ctype!r}", file=sys.stderr)
        sys.exit(2)
    out = []
    try:
        for fam in text_string_to_metric_families(text):
            out.append(f"type {fam.name} {fam.type}")
            for s in fam.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                out.append(f"{s.name}{{{labels}}} {s.value:g}")
    except Exception as e:  # noqa: BLE001 - the parser raises ValueError and others
        print(f"metrics_scrape: does not parse: {e}", file=sys.stderr)
        sys.exit(3)
    print("\n".join(out))


main()

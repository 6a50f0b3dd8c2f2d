# Convenience targets; each is one script the README documents.
.PHONY: demo test release fleet-screenshot

demo:
	go run . detect --replay demo

test:
	bash scripts/test.sh

release:
	bash scripts/release.sh

# A 1,000-server generated fleet rendered by summarize --format html, as a PNG
# (default /tmp/entra8344-fleet.png; OUT=... to change).
fleet-screenshot:
	bash scripts/fleet-screenshot.sh $(OUT)

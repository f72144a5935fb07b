package shell

import (
	"strings"
	"testing"
)

// typicalScript is a run: step of the size and shape real workflows have.
const typicalScript = `set -euo pipefail
echo "::group::deps"
pip install --no-cache-dir -r requirements.txt || true
npm ci
echo "::endgroup::"
go vet ./... || true
golangci-lint run --timeout 3m ./... 2>&1 | tee lint.log
if ! go test -race -coverprofile=c.out ./...; then
  echo "::error::tests failed"; exit 1
fi
cat <<EOF >> "$GITHUB_STEP_SUMMARY"
coverage: $(go tool cover -func=c.out | tail -1)
EOF
`

func BenchmarkParseTypical(b *testing.B) {
	b.SetBytes(int64(len(typicalScript)))
	for i := 0; i < b.N; i++ {
		if _, err := Parse(typicalScript, Options{Errexit: true, MaskExpressions: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseHostile is the worst the limits let through: 256 KiB of 127-deep substitutions.
func BenchmarkParseHostile(b *testing.B) {
	unit := strings.Repeat("$(", 127) + "x" + strings.Repeat(")", 127) + "\n"
	src := strings.Repeat(unit, (256<<10)/len(unit))
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		if _, err := Parse(src, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

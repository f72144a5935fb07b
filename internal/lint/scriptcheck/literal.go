package scriptcheck

import (
	"strings"
)

// A large share of real run: scripts are plain invocations of well-known tools with literal
// arguments — `npm ci`, `go test -race ./...`, `sudo apt-get install -y libfoo-dev` — on which
// shellcheck has nothing to say: its checks need expansions, quotes, globs, redirections,
// pipelines, control flow, assignments, or one of the commands it knows pitfalls of (cd, rm, mv,
// cp, ln, mkdir, chmod, find, tr, grep, read, echo, printf, exit, set, export, local, trap, eval,
// source, su, ssh, xargs, which...). literalOnly recognises that shape, so the script is not
// handed to shellcheck at all: about a third of the unique scripts of actionlint's real-world
// corpus, a fifth of shellcheck's time. The shape is checked against the real shellcheck by
// TestLiteralOnlyIsClean (generated scripts), FuzzLiteralOnly, and TestMatchesActionlint (the
// real-world corpus, finding for finding), and applies only to the shellcheck versions those
// ran on (literalVersions) without SHELLCHECK_OPTS (which can enable optional checks).

// literalVersions are the shellcheck versions literalOnly was checked against.
var literalVersions = map[string]bool{"0.9.0": true}

// literalTools are commands with no shellcheck check of their own, whose arguments are theirs.
var literalTools = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range strings.Fields(`
		npm npx pnpm yarn node bun deno tsc eslint prettier jest vitest mocha lerna nx
		python python3 pip pip3 pipx poetry pipenv tox nox pytest coverage codecov pre-commit
		make cmake ctest ninja meson bazel bazelisk
		go gofmt cargo rustup rustc zig
		gradle ./gradlew mvn ./mvnw java sbt lein
		bundle gem rake ruby composer php phpunit
		dotnet swift xcodebuild pod flutter dart
		mix rebar3 stack cabal
		docker docker-compose helm kubectl terraform gcloud aws az
		git brew apt-get apt conda mamba platformio pio hugo
		curl wget tar unzip zip gzip`) {
		m[t] = true
	}
	return m
}()

// shellKeywords are reserved words; a script that has one anywhere is left to shellcheck (it
// reports a misplaced `done`, or `Fi` for `fi`, in any case).
var shellKeywords = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "fi": true, "case": true, "esac": true,
	"for": true, "while": true, "until": true, "do": true, "done": true, "in": true,
	"function": true, "select": true, "time": true, "coproc": true,
}

// literalOnly reports whether every line of script (after `${{ }}` sanitizing) is blank or one
// command from literalTools, optionally after `sudo`, with arguments made only of letters,
// digits and _ . / : @ % + - = (not starting with =), separated by single spaces: no quoting,
// expansion, glob, redirection, pipe, list, comment, tab, control character or non-ASCII byte.
// The script must hold at least one command.
func literalOnly(script string) bool {
	commands := 0
	for line := range strings.SplitSeq(script, "\n") {
		line = strings.TrimLeft(line, " ")
		if line == "" {
			continue
		}
		words := strings.Split(line, " ")
		if words[0] == "sudo" {
			words = words[1:]
		}
		if len(words) == 0 || !literalTools[words[0]] {
			return false
		}
		for i, w := range words {
			if !literalWord(w) || i > 0 && (w[0] == '=' || shellKeywords[strings.ToLower(w)]) {
				return false
			}
		}
		commands++
	}
	return commands > 0
}

// literalWord reports whether w is non-empty and made only of the bytes literalOnly allows.
func literalWord(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '.', c == '/', c == ':', c == '@', c == '%', c == '+', c == '-', c == '=':
		default:
			return false
		}
	}
	return true
}

// versionOf extracts the version from `shellcheck --version` output ("version: 0.9.0").
func versionOf(out string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "version:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
